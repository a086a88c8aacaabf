import { describe, expect, it } from 'vitest';
import { quoteShellWord, splitShellWords } from './shell-words.js';

describe('splitShellWords splits like a POSIX shell without expansion', () => {
  it.each([
    ['true', ['true']],
    ['  sh   -c  "exit 1" ', ['sh', '-c', 'exit 1']],
    [`sh -c 'exit 1'`, ['sh', '-c', 'exit 1']],
    [`a'b'"c"d`, ['abcd']],
    [`echo ''`, ['echo', '']],
    [`echo "" x`, ['echo', '', 'x']],
    [`echo 'a\\b'`, ['echo', 'a\\b']],
    [`echo "a\\"b\\\\c\\d\\$e"`, ['echo', 'a"b\\c\\d$e']],
    ['echo a\\ b', ['echo', 'a b']],
    ['echo a\\\nb', ['echo', 'ab']],
    ['echo $HOME ${X} ~ *.txt `id`', ['echo', '$HOME', '${X}', '~', '*.txt', '`id`']],
    ['./smoke.sh --url=http://a/b?c#d', ['./smoke.sh', '--url=http://a/b?c#d']],
    ['check # a comment', ['check']],
    ['a\tb\nc', ['a', 'b', 'c']],
    [`"|" '&&' \\;`, ['|', '&&', ';']],
  ])('%j', (text, want) => expect(splitShellWords(text)).toEqual(want));

  it.each([
    [`sh -c 'exit 1`, 'unterminated single quote'],
    [`sh -c "exit 1`, 'unterminated double quote'],
    ['echo \\', 'backslash'],
    ['   ', 'empty command'],
    ['# only a comment', 'empty command'],
    ['a | b', 'operator "|"'],
    ['a && b', 'operator "&"'],
    ['a; b', 'operator ";"'],
    ['a > f', 'operator ">"'],
    ['echo $(id)', 'operator "("'],
  ])('refuses %j (%s), naming --gate-cmd', (text, why) => {
    expect(() => splitShellWords(text)).toThrow(/^--gate-cmd /);
    expect(() => splitShellWords(text)).toThrow(why);
  });

  it.each([['plain'], ['with space'], [`it's`], [''], ['$HOME'], ['a"b'], ['sum(rate(x[5m]))']])('quoteShellWord(%j) splits back to itself', (word) =>
    expect(splitShellWords(`x ${quoteShellWord(word)}`)).toEqual(['x', word]),
  );
});
