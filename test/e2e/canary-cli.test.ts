import { execFile, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { splitShellWords } from '../../src/gates/shell-words.js';
import { CLI, copyExamples, runCli, snapshotFiles } from '../support/cli.js';
import { startCli } from './spawn.js';

/**
 * `traffic canary` end to end on a copy of the example manifests, through the built CLI: a command gate
 * that passes promotes, one that fails rolls back, --no-promote, --dry-run, -o json, and SIGINT/SIGTERM
 * during the interval with the printed commands run afterwards. No timing is asserted.
 */
const target = (dir: string): string[] => ['--manifests', dir, '-l', 'app=api-domain', '-d', 'api-domain:5000', '-b', '2', '-p', 'app=api-domain,build=2'];

async function weights(dir: string): Promise<Record<string, number>> {
  const res = await runCli(['traffic', 'show', '--manifests', dir, '-l', 'app=api-domain', '-o', 'json']);
  expect(res.code, res.stderr).toBe(0);
  const report = JSON.parse(res.stdout) as { virtualServices: { http: { catchAll: boolean; destinations: { subset: string; weight: number }[] }[] }[] };
  const route = report.virtualServices[0]?.http.find((r) => r.catchAll);
  return Object.fromEntries((route?.destinations ?? []).map((d) => [d.subset, d.weight]));
}

/** The words of a printed `istiops ...` command, for running it again through the built CLI. */
function printedCommand(stdout: string, label: string): string[] {
  const line = stdout.split('\n').find((l) => l.startsWith(label));
  expect(line, stdout).toBeDefined();
  const words = splitShellWords((line as string).slice(label.length).trim());
  expect(words[0]).toBe('istiops');
  return words.slice(1);
}

describe('traffic canary with a command gate', () => {
  it('promotes when the gate passes (true)', async () => {
    const dir = copyExamples();
    const res = await runCli(['traffic', 'canary', ...target(dir), '--steps', '10,50,100', '--interval', '1s', '--gate-cmd', 'true']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/^step 1\/3: 10%/m);
    expect(res.stdout).toMatch(/^gate at 10%: pass/m);
    expect(res.stdout).toMatch(/^gate at 50%: pass/m);
    expect(res.stdout).toContain('promoted: api-domain-2-default takes 100%');
    expect(await weights(dir)).toEqual({ 'api-domain-2-default': 100 });
  });

  it(`rolls back when the gate fails (sh -c "exit 1"), leaving the files byte-identical`, async () => {
    const dir = copyExamples();
    const before = snapshotFiles(dir);
    const res = await runCli(['traffic', 'canary', ...target(dir), '--steps', '10,50,100', '--interval', '1s', '--gate-cmd', 'sh -c "echo 5 errors; exit 1"']);
    expect(res.code).toBe(1);
    expect(res.stderr).toBe('istiops: canary rolled back at 10%: the gate failed: command exited with 1: 5 errors\n');
    expect(res.stdout).toContain('rolled back from 10%:');
    expect(res.stdout).not.toContain('step 2/3');
    expect(snapshotFiles(dir)).toEqual(before);
  });

  it('with --no-promote, keeps the last step and the primary', async () => {
    const dir = copyExamples();
    const res = await runCli(['traffic', 'canary', ...target(dir), '--steps', '20,40', '--no-promote', '--interval', '0', '--gate-cmd', 'true']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('done: api-domain-2-default keeps 40% (--no-promote)');
    expect(await weights(dir)).toEqual({ 'api-domain-1-default': 60, 'api-domain-2-default': 40 });
  });

  it('--dry-run prints the plan of steps, writes nothing and returns at once (no wait of 1h)', async () => {
    const dir = copyExamples();
    const before = snapshotFiles(dir);
    const res = await runCli(['traffic', 'canary', ...target(dir), '--steps', '10,25,100', '--interval', '1h', '--gate-cmd', './smoke.sh', '--dry-run']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('dry run: nothing written. 3 steps:');
    expect(res.stdout).toContain('  step 1/3: 10%, then wait 1h and check the gate');
    expect(res.stdout).toContain('  step 3/3: 100% (promotion)');
    expect(res.stdout).toContain('gate: command ./smoke.sh');
    expect(res.stdout).toContain('add subset api-domain-2-default');
    expect(snapshotFiles(dir)).toEqual(before);
  });

  it('-o json prints one JSON event per line, ending with the outcome', async () => {
    const dir = copyExamples();
    const res = await runCli(['traffic', 'canary', ...target(dir), '--steps', '10,100', '--interval', '0', '--gate-cmd', 'sh -c "exit 3"', '-o', 'json']);
    expect(res.code).toBe(1);
    const events = res.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events.map((e) => e['event'])).toEqual(['plan', 'step-started', 'step-done', 'waiting', 'gate', 'rolled-back']);
    expect(events[4]).toMatchObject({ step: 1, weight: 10, pass: false, value: 3 });
    expect(events[5]).toMatchObject({ outcome: 'rolled-back', weight: 10, value: 3 });
  });
});

describe('traffic canary --dry-run -o json', () => {
  it('prints the plan as JSON lines and writes nothing', async () => {
    const dir = copyExamples();
    const before = snapshotFiles(dir);
    const res = await runCli(['traffic', 'canary', ...target(dir), '--steps', '50,100', '--dry-run', '-o', 'json']);
    expect(res.code, res.stderr).toBe(0);
    const events = res.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events).toEqual([
      { event: 'plan', steps: [50, 100], intervalMs: 60_000, gate: null, promote: true },
      expect.objectContaining({ event: 'planned', outcome: 'planned', steps: [50, 100], firstStep: expect.arrayContaining([expect.stringContaining('add subset api-domain-2-default')]) }),
    ]);
    expect(snapshotFiles(dir)).toEqual(before);
  });
});

describe('traffic canary interrupted during the interval', () => {
  it('SIGINT: exit 130, the weight stays, and the printed resume command finishes the canary', async () => {
    const dir = copyExamples();
    const run = startCli(['traffic', 'canary', ...target(dir), '--steps', '10,25,100', '--interval', '10m', '--gate-cmd', 'true']);
    await run.waitForOutput(/^step 1\/3: 10%/m);
    run.child.kill('SIGINT');
    const res = await run.done;
    expect(res.code, res.stderr).toBe(130);
    expect(res.stderr).toBe('istiops: canary interrupted by SIGINT: api-domain-2-default keeps 10%\n');
    expect(await weights(dir)).toEqual({ 'api-domain-1-default': 90, 'api-domain-2-default': 10 });
    const resume = printedCommand(res.stdout, 'to resume:');
    expect(resume).toEqual([
      'traffic', 'canary', '-l', 'app=api-domain', '-d', 'api-domain:5000', '-b', '2', '-p', 'app=api-domain,build=2',
      '--steps', '25,100', '--interval', '10m', '--gate-cmd', 'true', '-n', 'default', '--manifests', dir,
    ]);
    expect(printedCommand(res.stdout, 'to roll back:')).toEqual(['traffic', 'rollback', '-l', 'app=api-domain', '-d', 'api-domain:5000', '-b', '2', '-n', 'default', '--manifests', dir]);
    // The same command, with a shorter interval so that the test does not wait 10 minutes.
    const resumed = await runCli(resume.map((word, i) => (resume[i - 1] === '--interval' ? '0' : word)));
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain('promoted');
    expect(await weights(dir)).toEqual({ 'api-domain-2-default': 100 });
  });

  it('SIGTERM: exit 143, and the printed rollback command restores the files byte for byte', async () => {
    const dir = copyExamples();
    const before = snapshotFiles(dir);
    const run = startCli(['traffic', 'canary', ...target(dir), '--steps', '60,100', '--interval', '10m']);
    await run.waitForOutput(/^step 1\/2: 60%/m);
    run.child.kill('SIGTERM');
    const res = await run.done;
    expect(res.code, res.stderr).toBe(143);
    expect(res.stderr).toContain('interrupted by SIGTERM');
    expect(await weights(dir)).toEqual({ 'api-domain-1-default': 40, 'api-domain-2-default': 60 });
    const rollback = printedCommand(res.stdout, 'to roll back:');
    expect(rollback).toContain('--force');
    const rolled = await runCli(rollback);
    expect(rolled.code, rolled.stderr).toBe(0);
    expect(snapshotFiles(dir)).toEqual(before);
  });
});

// util-linux `script` gives the CLI a pseudo-terminal, as a person at a terminal would have.
const noScript = spawnSync('script', ['--version']).status !== 0;

describe('traffic canary on a terminal', () => {
  it.skipIf(noScript)('draws a progress bar with the weight, the step and the time to the next check (skipped without util-linux script)', async () => {
    const dir = copyExamples();
    const words = [process.execPath, CLI, 'traffic', 'canary', ...target(dir), '--steps', '50,100', '--interval', '2s', '--gate-cmd', 'true'];
    const { code, output } = await new Promise<{ code: number; output: string }>((done) => {
      execFile('script', ['-qec', words.map((w) => `'${w}'`).join(' '), '/dev/null'], { env: { PATH: process.env['PATH'], HOME: dir, TERM: 'xterm' } }, (error, stdout) =>
        done({ code: error ? Number(error.code) : 0, output: stdout }),
      );
    });
    // eslint-disable-next-line no-control-regex
    const text = output.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');
    expect(code, text).toBe(0);
    expect(text).toMatch(/ 50% \| step 1\/2 \| next check in [0-2]s/);
    expect(text).toMatch(/ 100% \| step 2\/2 \| done/);
    expect(text).toContain('gate at 50%: pass: command exited with 0');
    expect(text).toContain('promoted: api-domain-2-default takes 100%');
    expect(await weights(dir)).toEqual({ 'api-domain-2-default': 100 });
  });
});
