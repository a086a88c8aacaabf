/**
 * Splits a command line into words the way a POSIX shell does (XCU 2.2 Quoting, 2.3 Token
 * Recognition), but WITHOUT any expansion: no variables, no globbing, no tilde, no command
 * substitution. `$HOME`, `*.txt` and `~` stay literal words.
 *
 * - outside quotes, blanks separate words; `\c` is `c`; `\` before a newline joins the lines;
 * - `'...'` keeps everything literally (no escapes inside);
 * - `"..."` keeps everything literally except `\$`, `` \` ``, `\"`, `\\` and `\`-newline;
 * - `#` at the start of a word starts a comment up to the end of the line;
 * - unquoted operators (`| & ; < > ( )`) are refused: there is no shell to run them (write `sh -c '...'`).
 *
 * Hand-written rather than taken from a package: the npm splitters either expand variables and globs
 * (shell-quote) or treat backslashes inside single quotes as escapes, which POSIX does not.
 */
import { UsageError } from '../errors.js';

const BLANK = /[ \t\n]/;
const OPERATOR = /[|&;<>()]/;

/**
 * @returns the words, at least one.
 * @throws UsageError (naming `flag`) on an unterminated quote, a trailing backslash, an unquoted
 * shell operator, or an empty command.
 */
export function splitShellWords(text: string, flag = '--gate-cmd'): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  const fail = (why: string): never => {
    throw new UsageError(`${flag} ${JSON.stringify(text)}: ${why}`);
  };
  while (i < text.length) {
    const c = text[i] as string;
    if (BLANK.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i++;
    } else if (c === '#' && !inWord) {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '\\') {
      if (i + 1 >= text.length) fail('ends with a backslash');
      if (text[i + 1] !== '\n') {
        word += text[i + 1];
        inWord = true;
      }
      i += 2;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) fail('unterminated single quote');
      word += text.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      inWord = true;
      i++;
      for (;;) {
        if (i >= text.length) fail('unterminated double quote');
        const d = text[i] as string;
        if (d === '"') break;
        if (d === '\\' && i + 1 < text.length && '$`"\\\n'.includes(text[i + 1] as string)) {
          if (text[i + 1] !== '\n') word += text[i + 1];
          i += 2;
        } else {
          word += d;
          i++;
        }
      }
      i++;
    } else if (OPERATOR.test(c)) {
      fail(`the shell operator "${c}" needs a shell: write it as sh -c '...'`);
    } else {
      word += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(word);
  if (words.length === 0) fail('empty command');
  return words;
}

/** Quotes one word for a POSIX shell (the inverse of {@link splitShellWords}): bare when safe, else single-quoted. */
export function quoteShellWord(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}
