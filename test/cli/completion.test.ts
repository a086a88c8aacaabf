/**
 * Shell completion, exercised in a real bash: the script of `istiops completion bash` is sourced, the
 * completion function is called with COMP_WORDS / COMP_CWORD set as bash sets them, and COMPREPLY is
 * checked. The script calls the built CLI (`istiops __complete`) through a shim on PATH.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, ROOT, runCli } from '../support/cli.js';
import { runInProcess } from '../support/run-in-process.js';

let bin: string;
let kubeconfig: string;

beforeAll(() => {
  bin = mkdtempSync(join(tmpdir(), 'istiops-completion-'));
  for (const name of ['istiops', 'kubectl-istiops']) {
    writeFileSync(join(bin, name), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`);
    chmodSync(join(bin, name), 0o755);
  }
  kubeconfig = join(bin, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'contexts:',
      '- name: prod-eu',
      '  context: {cluster: eu, user: admin, namespace: payments}',
      '- name: staging',
      '  context: {cluster: eu, user: admin, namespace: bookinfo}',
      'users:',
      '- name: admin',
      '  user: {token: s3cr3t-token}',
      'clusters: []',
      '',
    ].join('\n'),
  );
});

/** Sources the bash script, completes `words` (the last is the word under the cursor), returns COMPREPLY. */
function bashComplete(words: readonly string[]): Promise<string[]> {
  const quoted = words.map((w) => `'${w.replaceAll("'", "'\\''")}'`).join(' ');
  const script = [
    'set -u',
    'source <(istiops completion bash)',
    `COMP_WORDS=(${quoted})`,
    `COMP_CWORD=${words.length - 1}`,
    `COMP_LINE="\${COMP_WORDS[*]}"`,
    'COMP_POINT=${#COMP_LINE}',
    '_istiops_complete',
    'printf "%s\\n" "${COMPREPLY[@]}"',
  ].join('\n');
  return new Promise((resolve, reject) => {
    execFile('bash', ['-c', script], { env: { PATH: `${bin}:${process.env['PATH'] ?? ''}`, HOME: bin, KUBECONFIG: kubeconfig } }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${error.message}\n${stderr}`));
      else resolve(stdout.split('\n').filter((l) => l !== ''));
    });
  });
}

describe('bash completion', () => {
  it.each([
    { words: ['istiops', ''], want: ['traffic', 'version', 'completion', 'help'] },
    { words: ['istiops', 'tr'], want: ['traffic'] },
    { words: ['istiops', 'traffic', 'sh'], want: ['show', 'shift'] },
    { words: ['kubectl-istiops', 'traffic', 'r'], want: ['rollback'] },
    { words: ['istiops', 'traffic', 'shift', '--we'], want: ['--weight'] },
    { words: ['istiops', 'traffic', 'weight', '--h'], want: ['--hostname', '--help'] },
    { words: ['istiops', 'traffic', 'shift', '--dry'], want: ['--dry-run'] },
    { words: ['istiops', 'traffic', 'shift', '-o', ''], want: ['pretty', 'json', 'yaml', 'name'] },
    { words: ['istiops', 'traffic', 'show', '-o', ''], want: ['pretty', 'json', 'yaml', 'name', 'mermaid'] },
    { words: ['istiops', 'traffic', 'show', '--output', '=', 'm'], want: ['mermaid'] },
    { words: ['istiops', 'traffic', 'show', '--output', '='], want: ['pretty', 'json', 'yaml', 'name', 'mermaid'] },
    { words: ['istiops', 'traffic', 'clear', '-m', ''], want: ['soft', 'hard'] },
    { words: ['istiops', '-n', 'bookinfo', 'traffic', 'clear', '--mode', 's'], want: ['soft'] },
    { words: ['istiops', 'traffic', 'show', '--context', ''], want: ['prod-eu', 'staging'] },
    { words: ['istiops', 'traffic', 'show', '-n', ''], want: ['bookinfo', 'default', 'payments'] },
    { words: ['istiops', 'traffic', 'show', '-n', 'pa'], want: ['payments'] },
    { words: ['istiops', 'traffic', 'show', '-l', 'app=x', ''], want: [] },
    { words: ['istiops', 'completion', ''], want: [] },
  ])('$words', async ({ words, want }) => {
    expect(await bashComplete(words)).toEqual(want);
  });

  it('reads the contexts of the --kubeconfig given on the line', async () => {
    const other = join(bin, 'other-config');
    writeFileSync(other, 'contexts:\n- name: lab\n  context: {namespace: lab-ns}\n');
    expect(await bashComplete(['istiops', '--kubeconfig', other, 'traffic', 'show', '--context', ''])).toEqual(['lab']);
  });
});

describe('__complete (cobra protocol, used by kubectl_complete-istiops)', () => {
  it('prints candidates with descriptions, then the directive', async () => {
    const res = await runInProcess(['__complete', 'traffic', 'sh']);
    expect(res.stdout.split('\n')).toEqual([expect.stringMatching(/^show\t/), expect.stringMatching(/^shift\t/), ':4', '']);
  });

  it('lets the shell complete file names for --manifests', async () => {
    expect((await runInProcess(['__complete', 'traffic', 'show', '--manifests', ''])).stdout).toBe(':0\n');
  });

  it('never prints a credential of the kubeconfig', async () => {
    const res = await runInProcess(['__complete', 'traffic', 'show', '--context', ''], { env: { KUBECONFIG: kubeconfig } });
    expect(res.stdout).toBe('prod-eu\nstaging\n:4\n');
  });

  it('kubectl_complete-istiops answers for `kubectl istiops <TAB>`', async () => {
    const res = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [join(ROOT, 'bin/kubectl_complete-istiops'), 'traffic', 'rollback', '-'], (e, out) => (e ? reject(new Error(e.message)) : resolve(out))),
    );
    expect(res).toContain('--pod-selector\t');
    expect(res).toContain('--namespace\t');
    expect(res.trimEnd().split('\n').at(-1)).toBe(':4');
  });
});

describe('completion scripts', () => {
  it.each(['bash', 'zsh', 'fish'])('%s script calls back the program it was generated by', async (shell) => {
    const res = await runCli(['completion', shell]);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('istiops __complete');
    expect(res.stdout).toMatch(/kubectl-istiops/);
  });
});

const has = (shell: string): boolean => {
  try {
    execFileSync(shell, ['-c', 'exit 0'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

function shellOutput(shell: string, script: string): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(shell, ['-c', script], { env: { PATH: `${bin}:${process.env['PATH'] ?? ''}`, HOME: bin, KUBECONFIG: kubeconfig } }, (e, out, err) =>
      e ? reject(new Error(`${e.message}\n${err}`)) : resolve(out),
    ),
  );
}

// zsh and fish are optional on a build machine: these run where the shell is installed.
describe.skipIf(!has('fish'))('fish completion (fish installed)', () => {
  it.each([
    { line: 'istiops traffic sh', want: ['shift', 'show'] },
    { line: 'istiops traffic show --output=m', want: ['--output=mermaid'] },
    { line: 'kubectl-istiops traffic clear -m ', want: ['hard', 'soft'] },
    { line: 'istiops --context ', want: ['prod-eu', 'staging'] },
  ])('$line', async ({ line, want }) => {
    const out = await shellOutput('fish', `istiops completion fish | source; complete -C '${line}'`);
    expect(out.split('\n').filter(Boolean).map((l) => l.split('\t')[0]).sort()).toEqual(want);
  });
});

describe.skipIf(!has('zsh'))('zsh completion (zsh installed; compadd and compset stubbed)', () => {
  it.each([
    { words: ['istiops', 'traffic', 'sh'], want: ['show', 'shift'] },
    { words: ['istiops', 'traffic', 'show', '--output=m'], want: ['compset -P *=', 'mermaid'] },
    { words: ['istiops', 'traffic', 'show', '--manifests', ''], want: ['_files'] },
    { words: ['istiops', '-n', ''], want: ['bookinfo', 'default', 'payments'] },
  ])('$words', async ({ words, want }) => {
    const script = [
      'compdef() { :; }',
      'compadd() { local arr; while (( $# )); do case $1 in -a) arr=$2; shift 2;; -d) shift 2;; *) shift;; esac; done; print -l -- "${(@P)arr}"; }',
      'compset() { print -r -- "compset $*"; }',
      '_files() { print _files; }',
      'source <(istiops completion zsh)',
      `words=(${words.map((w) => `'${w}'`).join(' ')}); CURRENT=${words.length}`,
      '_istiops_complete',
    ].join('\n');
    expect((await shellOutput('zsh', script)).split('\n').filter(Boolean)).toEqual(want);
  });
});
