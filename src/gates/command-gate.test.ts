import { describe, expect, it } from 'vitest';
import { CommandGate } from './command-gate.js';

const ctx = { step: 2, weight: 25, signal: new AbortController().signal };

describe('CommandGate runs a command without a shell', () => {
  it.each([
    { command: 'true', pass: true, value: 0 },
    { command: 'false', pass: false, value: 1 },
    { command: `sh -c 'exit 0'`, pass: true, value: 0 },
    { command: `sh -c "exit 7"`, pass: false, value: 7 },
  ])('$command: pass $pass, value $value', async ({ command, pass, value }) => {
    const result = await new CommandGate({ command }).check(ctx);
    expect(result).toMatchObject({ pass, value });
  });

  it('puts the tail of stdout and stderr in the reason', async () => {
    const result = await new CommandGate({ command: ['sh', '-c', 'echo "checked 42 requests"; echo "3 errors" >&2; exit 2'] }).check(ctx);
    expect(result.pass).toBe(false);
    expect(result.reason).toMatch(/^command exited with 2: /);
    expect(result.reason).toContain('checked 42 requests');
    expect(result.reason).toContain('3 errors');
  });

  it('keeps only the end of a long output', async () => {
    const result = await new CommandGate({ command: ['sh', '-c', 'seq 1 5000; echo LAST'], tailChars: 50 }).check(ctx);
    expect(result.reason).toContain('LAST');
    expect(result.reason.length).toBeLessThan(120);
  });

  it('does not expand variables or globs: no shell runs the words', async () => {
    const result = await new CommandGate({ command: `sh -c 'test "$1" = "\\$HOME*" ' x $HOME*`, env: { HOME: '/root', PATH: process.env['PATH'] } }).check(ctx);
    expect(result.pass).toBe(true);
  });

  it('tells the command the step and the weight', async () => {
    const result = await new CommandGate({ command: ['sh', '-c', 'test "$ISTIOPS_CANARY_STEP/$ISTIOPS_CANARY_WEIGHT" = 2/25'] }).check(ctx);
    expect(result.pass).toBe(true);
  });

  it('a command that does not exist fails the gate', async () => {
    const result = await new CommandGate({ command: 'no-such-command-istiops' }).check(ctx);
    expect(result).toEqual({ pass: false, reason: 'command "no-such-command-istiops" not found' });
  });

  it('an interruption kills the command and fails the check', async () => {
    const controller = new AbortController();
    const pending = new CommandGate({ command: 'sleep 30' }).check({ ...ctx, signal: controller.signal });
    setTimeout(() => controller.abort('SIGINT'), 50);
    const result = await pending;
    expect(result.pass).toBe(false);
  });

  it('describes itself with the words quoted for a shell', () => {
    expect(new CommandGate({ command: `sh -c 'exit 1'` }).description).toBe(`command sh -c 'exit 1'`);
  });
});
