/**
 * The single executable (`npm run build:binary`) behaves as `node dist/istiops.cjs`: same output, same exit
 * codes, same files and objects written. Runs only when ISTIOPS_BIN names the executable (CI sets it,
 * together with running test/cli and test/integration/kube-cli.test.ts against it).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, CLI, ROOT, copyExamples, snapshotFiles, type CliResult } from '../support/cli.js';
import { apiDomain, startCluster, type Cluster } from '../support/cluster.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };

/** Runs `file ...args` in `cwd` with a clean environment. */
function run(file: string, args: readonly string[], cwd: string = ROOT): Promise<CliResult> {
  const [cmd, argv] = file === CLI ? [process.execPath, [CLI, ...args]] : [file, [...args]];
  return new Promise((done) => {
    execFile(cmd, argv, { cwd, env: { PATH: process.env['PATH'], HOME: cwd, NO_COLOR: '1' }, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

const reviews = ['-n', 'bookinfo', '-l', 'app=reviews', '-d', 'reviews:9080', '-b', '3', '-p', 'app=reviews,version=v3'];
const api = ['-l', 'app=api-domain', '-d', 'api-domain:5000', '-b', '2', '-p', 'app=api-domain,build=2', '--propagation-wait', '0s'];

let clusters: Cluster[] = [];
afterEach(async () => {
  await Promise.all(clusters.map((c) => c.server.close()));
  clusters = [];
});

describe.skipIf(BIN === undefined)('the single executable ($ISTIOPS_BIN)', () => {
  const bin = BIN ?? '';

  it('prints the package version', async () => {
    const res = await run(bin, ['version']);
    expect(res).toMatchObject({ code: 0, stderr: '' });
    expect(res.stdout).toContain(pkg.version);
    expect(res.stdout).toBe((await run(CLI, ['version'])).stdout);
  });

  it.each([
    ['traffic show', ['traffic', 'show', '--manifests', 'M', '-n', 'bookinfo', '-l', 'team=books']],
    ['traffic show -o json', ['traffic', 'show', '--manifests', 'M', '-n', 'bookinfo', '-l', 'team=books', '-o', 'json']],
    ['traffic shift -w --dry-run', ['traffic', 'shift', '--dry-run', '--manifests', 'M', ...reviews, '-w', '25']],
    ['a usage error (exit 2)', ['traffic', 'shift', '--manifests', 'M', ...reviews, '-w', '250']],
  ])('%s on manifests prints what node dist/istiops.cjs prints', async (_name, template) => {
    const dir = copyExamples();
    const args = template.map((a) => (a === 'M' ? dir : a));
    const [viaBin, viaNode] = [await run(bin, args), await run(CLI, args)];
    expect(viaBin).toEqual(viaNode);
  });

  it('traffic shift -H on manifests edits the files as node dist/istiops.cjs does', async () => {
    const [a, b] = [copyExamples(), copyExamples()];
    const args = (dir: string): string[] => ['traffic', 'shift', '--manifests', dir, ...reviews, '-H', 'end-user=tester'];
    const viaBin = await run(bin, args(a));
    expect(viaBin.code, viaBin.stderr).toBe(0);
    expect(viaBin.stdout).toBe((await run(CLI, args(b))).stdout);
    expect(snapshotFiles(a)).toEqual(snapshotFiles(b));
  });

  it('traffic show -o json against the API server over TLS prints what node dist/istiops.cjs prints', async () => {
    const cluster = await startCluster(apiDomain());
    clusters.push(cluster);
    const args = ['traffic', 'show', '-l', 'app=api-domain', '-o', 'json', '--kubeconfig', cluster.kubeconfig];
    const viaBin = await run(bin, args, cluster.dir);
    expect(viaBin.code, viaBin.stderr).toBe(0);
    expect(viaBin).toEqual(await run(CLI, args, cluster.dir));
  });

  it('traffic shift -w against the API server writes the objects node dist/istiops.cjs writes', async () => {
    const [one, two] = [await startCluster(apiDomain()), await startCluster(apiDomain())];
    clusters.push(one, two);
    const viaBin = await run(bin, ['traffic', 'shift', ...api, '-w', '10', '--kubeconfig', one.kubeconfig], one.dir);
    const viaNode = await run(CLI, ['traffic', 'shift', ...api, '-w', '10', '--kubeconfig', two.kubeconfig], two.dir);
    expect(viaBin.code, viaBin.stderr).toBe(0);
    expect(viaBin.stdout).toBe(viaNode.stdout);
    const specs = (c: Cluster): unknown[] => [
      c.server.getObject('virtualservices', 'default', 'api-domain')?.['spec'],
      c.server.getObject('destinationrules', 'default', 'api-domain')?.['spec'],
    ];
    expect(specs(one)).toEqual(specs(two));
    expect(JSON.stringify(specs(one))).toContain('"weight":10');
  });
});
