import { spawn } from 'node:child_process';
import type { Gate, GateContext, GateResult } from './gate.js';
import { quoteShellWord, splitShellWords } from './shell-words.js';

/** Options of {@link CommandGate}. */
export interface CommandGateOptions {
  /** The command: a line split like a POSIX shell without expansion ({@link splitShellWords}), or the words themselves. */
  readonly command: string | readonly string[];
  /** Environment of the command; default: this process's. `ISTIOPS_CANARY_STEP` and `ISTIOPS_CANARY_WEIGHT` are added. */
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** How many characters of the end of the command's output go into the reason. Default 300. */
  readonly tailChars?: number;
}

/**
 * A gate that runs a command (`--gate-cmd`) without a shell: exit 0 passes, any other exit, a signal
 * or a command that cannot start fails. The end of its stdout and stderr goes into the reason, and its
 * exit code is the gate's value. The command learns the step through `ISTIOPS_CANARY_STEP` (1-based)
 * and `ISTIOPS_CANARY_WEIGHT` (percent). When the canary is interrupted the command gets SIGTERM.
 * @throws UsageError from the constructor when a command line cannot be split.
 */
export class CommandGate implements Gate {
  readonly argv: readonly string[];
  readonly description: string;
  private readonly options: CommandGateOptions;

  constructor(options: CommandGateOptions) {
    this.options = options;
    this.argv = typeof options.command === 'string' ? splitShellWords(options.command) : [...options.command];
    if (this.argv.length === 0) throw new TypeError('CommandGate: empty command');
    this.description = `command ${this.argv.map(quoteShellWord).join(' ')}`;
  }

  check(ctx: GateContext): Promise<GateResult> {
    const [file, ...args] = this.argv as [string, ...string[]];
    const tailChars = this.options.tailChars ?? 300;
    return new Promise((resolve) => {
      let output = '';
      const keep = (chunk: Buffer): void => {
        output = (output + chunk.toString('utf8')).slice(-4 * tailChars);
      };
      const tail = (): string => {
        const t = output.trim().slice(-tailChars).replace(/\s*\n\s*/g, ' | ');
        return t === '' ? '' : `: ${t}`;
      };
      const child = spawn(file, args, {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...(this.options.env ?? process.env), ISTIOPS_CANARY_STEP: String(ctx.step), ISTIOPS_CANARY_WEIGHT: String(ctx.weight) },
        ...(this.options.cwd !== undefined ? { cwd: this.options.cwd } : {}),
        signal: ctx.signal,
        killSignal: 'SIGTERM',
      });
      child.stdout.on('data', keep);
      child.stderr.on('data', keep);
      let settled = false;
      child.on('error', (e: NodeJS.ErrnoException) => {
        if (settled) return;
        settled = true;
        const why = e.name === 'AbortError' ? 'interrupted' : e.code === 'ENOENT' ? `command "${file}" not found` : e.message;
        resolve({ pass: false, reason: why });
      });
      child.on('close', (code, signal) => {
        if (settled) return;
        settled = true;
        if (code === 0) resolve({ pass: true, value: 0, reason: `command exited with 0${tail()}` });
        else if (code !== null) resolve({ pass: false, value: code, reason: `command exited with ${code}${tail()}` });
        else resolve({ pass: false, reason: `command killed by ${signal ?? 'a signal'}${tail()}` });
      });
    });
  }
}
