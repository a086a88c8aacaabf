/** Runs the CLI in this process (src/cli/main.ts) with captured output: fast, for tests of parsing, help and rendering. */
import { run } from '../../src/cli/main.js';
import type { CliIO } from '../../src/cli/context.js';

export interface Captured {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `args`; `io` overrides parts of the captured IO (program name, TTY, interrupts). */
export async function runInProcess(args: readonly string[], io: Partial<CliIO> = {}): Promise<Captured> {
  let stdout = '';
  let stderr = '';
  const code = await run(args, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    isTTY: false,
    env: { NO_COLOR: '1', HOME: '/nonexistent' },
    ...io,
  });
  return { code, stdout, stderr };
}
