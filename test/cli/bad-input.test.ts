import { beforeAll, describe, expect, it } from 'vitest';
import { copyExamples, expectUsageError, runCli, snapshotFiles } from '../support/cli.js';

/**
 * Invalid input exits 2 with one line naming the flag, before anything is read or written: the
 * manifests stay byte-identical and no stack trace is printed.
 */
const base = ['-l', 'app=api-domain', '-d', 'api-domain:5000', '-b', '2', '-p', 'app=api-domain,build=2'];
const shift = (...extra: string[]): string[] => ['traffic', 'shift', ...extra];

const cases: { name: string; args: string[]; mentions: string }[] = [
  { name: 'headers and weight together', args: shift(...base, '-H', 'x-cid=a', '-w', '10'), mentions: '--weight' },
  { name: 'neither headers nor weight', args: shift(...base), mentions: '--headers' },
  { name: 'weight 0', args: shift(...base, '-w', '0'), mentions: '--weight' },
  { name: 'weight 101', args: shift(...base, '-w', '101'), mentions: '--weight' },
  { name: 'fractional weight', args: shift(...base, '-w', '1.5'), mentions: '--weight' },
  { name: 'weight that is not a number', args: shift(...base, '-w', 'ten'), mentions: '--weight' },
  { name: 'negative weight', args: shift(...base, '-w=-5'), mentions: '--weight' },
  { name: 'destination without port', args: shift('-l', 'app=x', '-d', 'api-domain', '-b', '2', '-p', 'a=b', '-w', '5'), mentions: '--destination' },
  { name: 'port 0', args: shift('-l', 'app=x', '-d', 'api-domain:0', '-b', '2', '-p', 'a=b', '-w', '5'), mentions: '--destination' },
  { name: 'port 65536', args: shift('-l', 'app=x', '-d', 'api-domain:65536', '-b', '2', '-p', 'a=b', '-w', '5'), mentions: '--destination' },
  { name: 'uppercase host', args: shift('-l', 'app=x', '-d', 'API:80', '-b', '2', '-p', 'a=b', '-w', '5'), mentions: '--destination' },
  { name: 'header without value', args: shift(...base, '-H', 'x-cid'), mentions: '--headers' },
  { name: 'header with empty value', args: shift(...base, '-H', 'x-cid='), mentions: '--headers' },
  { name: 'header name with a space', args: shift(...base, '-H', 'x cid=a'), mentions: '--headers' },
  { name: 'regex with lookahead (not RE2)', args: shift(...base, '-r', '-H', 'x-id=(?=a)b'), mentions: 'RE2' },
  { name: 'regex with a backreference', args: shift(...base, '-r', '-H', 'x-id=(a)\\1'), mentions: 'RE2' },
  { name: 'unbalanced regex', args: shift(...base, '-r', '-H', 'x-id=(a'), mentions: 'RE2' },
  { name: 'regexp without headers', args: shift(...base, '-r', '-w', '10'), mentions: '--regexp' },
  { name: 'set-based pod selector', args: shift('-l', 'app=x', '-d', 'a:1', '-b', '2', '-p', 'app in (a,b)', '-w', '5'), mentions: '--pod-selector' },
  { name: 'pod selector with !=', args: shift('-l', 'app=x', '-d', 'a:1', '-b', '2', '-p', 'app!=a', '-w', '5'), mentions: '--pod-selector' },
  { name: 'pod selector without value separator', args: shift('-l', 'app=x', '-d', 'a:1', '-b', '2', '-p', 'app', '-w', '5'), mentions: '--pod-selector' },
  { name: 'uppercase build', args: shift('-l', 'app=x', '-d', 'a:1', '-b', 'PR-10', '-p', 'a=b', '-w', '5'), mentions: '--build' },
  { name: 'build making a subset name over 63 characters', args: shift('-l', 'app=x', '-d', 'a:1', '-b', 'b'.repeat(60), '-p', 'a=b', '-w', '5'), mentions: '--build' },
  { name: 'unbalanced label selector', args: shift('-l', 'app in (a,b', '-d', 'a:1', '-b', '2', '-p', 'a=b', '-w', '5'), mentions: '--label-selector' },
  { name: 'label selector with an invalid key', args: ['traffic', 'show', '-l', '-bad=x'], mentions: '' },
  { name: 'label selector with double operator', args: ['traffic', 'show', '-l', 'app==='], mentions: '--label-selector' },
  { name: 'label selector with a too-long value', args: ['traffic', 'show', '-l', `app=${'v'.repeat(64)}`], mentions: '--label-selector' },
  { name: 'namespace with uppercase', args: ['traffic', 'show', '-l', 'app=x', '-n', 'Prod'], mentions: '--namespace' },
  { name: 'namespace with underscore', args: ['traffic', 'show', '-l', 'app=x', '-n', 'my_ns'], mentions: '--namespace' },
  { name: 'unknown output format', args: ['traffic', 'show', '-l', 'app=x', '-o', 'table'], mentions: '--output' },
  { name: 'clear mode typo', args: ['traffic', 'clear', '-l', 'app=x', '-m', 'sfot'], mentions: '--mode' },
  { name: 'rollback without selector of the build', args: ['traffic', 'rollback', '-l', 'app=x'], mentions: '--pod-selector' },
  { name: 'rollback with build but no destination', args: ['traffic', 'rollback', '-l', 'app=x', '-b', '2'], mentions: '--destination' },
  { name: 'rollback with pod selector and build', args: ['traffic', 'rollback', '-l', 'app=x', '-p', 'a=b', '-b', '2'], mentions: '--pod-selector' },
  { name: 'clear without label selector or --all', args: ['traffic', 'clear'], mentions: '--all' },
  { name: 'clear with both label selector and --all', args: ['traffic', 'clear', '-l', 'app=x', '--all'], mentions: '--all' },
  { name: 'weight given twice', args: shift(...base, '-w', '10', '-w', '20'), mentions: '-w, --weight' },
  { name: 'output given twice (kubectl spelling)', args: ['traffic', 'show', '-o=json', '--output', 'yaml'], mentions: '-o, --output' },
  { name: 'namespace given twice', args: ['traffic', 'show', '-n', 'a', '-nb'], mentions: '-n, --namespace' },
  { name: 'label selector given twice', args: ['traffic', 'show', '-l', 'a=b', '-l', 'c=d'], mentions: '-l, --label-selector' },
  { name: 'mermaid output of a mutating command', args: shift(...base, '-w', '10', '-o', 'mermaid'), mentions: '--output' },
  { name: 'watch on manifest files', args: ['traffic', 'show', '--watch'], mentions: '--manifests' },
  { name: 'alias whose build cannot be derived from the pod labels', args: ['traffic', 'weight', '--hostname', 'a', '--port', '80', '-p', 'app=A_B', '-w', '5'], mentions: '--pod-selector' },
  { name: 'help of an unknown command', args: ['help', 'traffic', 'shiftt'], mentions: 'shiftt' },
  { name: 'completion for an unknown shell', args: ['completion', 'tcsh'], mentions: 'tcsh' },
  { name: 'unknown flag', args: ['traffic', 'show', '-l', 'app=x', '--colour'], mentions: '--colour' },
  { name: 'unknown command', args: ['traffic', 'shiftt'], mentions: 'shiftt' },
  { name: 'bad dry-run mode', args: shift(...base, '-w', '10', '--dry-run=maybe'), mentions: '--dry-run' },
  { name: 'bad request timeout', args: ['traffic', 'show', '-l', 'app=x', '--request-timeout', '30'], mentions: '--request-timeout' },
  { name: 'bad propagation wait', args: shift(...base, '-w', '10', '--propagation-wait', '3 seconds'), mentions: '--propagation-wait' },
  { name: 'alias weight without weight', args: ['traffic', 'weight', '-l', 'app=x', '--hostname', 'a', '--port', '80', '-b', '2', '-p', 'a=b'], mentions: '--weight' },
  { name: 'alias headers with hostname but no port', args: ['traffic', 'headers', '-l', 'app=x', '--hostname', 'a', '-b', '2', '-p', 'a=b', '-H', 'a=b'], mentions: '--port' },
  { name: 'alias with port out of range', args: ['traffic', 'headers', '-l', 'app=x', '--hostname', 'a', '--port', '70000', '-b', '2', '-p', 'a=b', '-H', 'a=b'], mentions: '--port' },
  { name: 'manifests combined with --context', args: ['traffic', 'show', '-l', 'app=x', '--context', 'prod'], mentions: '--manifests' },
  { name: 'server dry run on manifests', args: shift(...base, '-w', '10', '--dry-run=server'), mentions: '--dry-run' },
];

describe('bad input exits 2 and writes nothing', () => {
  let dir: string;
  let before: Record<string, string>;
  beforeAll(() => {
    dir = copyExamples();
    before = snapshotFiles(dir);
  });

  it('has at least 30 cases', () => expect(cases.length).toBeGreaterThanOrEqual(30));

  it.each(cases)('$name', async ({ args, mentions }) => {
    // Every case runs against the manifests, except the one that tests the --manifests conflict itself.
    expectUsageError(await runCli([...args, '--manifests', dir]), mentions, dir, before);
  });
});
