import { describe, expect, it } from 'vitest';
import { runInProcess } from '../support/run-in-process.js';

const GLOBAL_FLAGS = ['--manifests', '-n, --namespace', '-o, --output', '--dry-run', '--kubeconfig', '--context', '--request-timeout', '--propagation-wait', '--force'];

const commands: { path: string[]; own: string[]; notOwn: string[] }[] = [
  { path: ['traffic', 'show'], own: ['-l, --label-selector', '-w, --watch'], notOwn: ['--weight', '--headers'] },
  { path: ['traffic', 'shift'], own: ['-l, --label-selector', '-d, --destination', '-b, --build', '-p, --pod-selector', '-H, --headers', '-r, --regexp', '-w, --weight'], notOwn: ['--hostname', '--watch'] },
  { path: ['traffic', 'rollback'], own: ['-p, --pod-selector', '-b, --build', '-d, --destination'], notOwn: ['--weight', '--headers'] },
  { path: ['traffic', 'clear'], own: ['-l, --label-selector', '--all', '-m, --mode'], notOwn: ['--weight'] },
  { path: ['traffic', 'headers'], own: ['--hostname', '--port', '-H, --headers', '-r, --regexp', '-b, --build'], notOwn: ['--weight', '--destination'] },
  { path: ['traffic', 'weight'], own: ['--hostname', '--port', '-w, --weight', '-b, --build'], notOwn: ['--headers', '--regexp', '--destination'] },
  { path: ['completion'], own: [], notOwn: ['--weight'] },
  { path: ['version'], own: [], notOwn: ['--weight'] },
  { path: ['traffic'], own: [], notOwn: ['--weight'] },
];

describe('help', () => {
  it.each(commands)('$path lists its own flags, the global flags and examples', async ({ path, own, notOwn }) => {
    const res = await runInProcess([...path, '--help']);
    expect(res.code).toBe(0);
    for (const flag of own) expect(res.stdout).toContain(flag);
    for (const flag of notOwn) expect(res.stdout).not.toContain(flag);
    const globals = res.stdout.slice(res.stdout.indexOf('Global Options:'));
    for (const flag of GLOBAL_FLAGS) expect(globals).toContain(flag);
    const examples = res.stdout.slice(res.stdout.indexOf('Examples:'));
    expect(examples.match(new RegExp(`^  istiops ${path.join(' ')}|^  source|^  echo`, 'gm'))?.length ?? 0).toBeGreaterThanOrEqual(1);
  });

  it.each([
    [['help', 'traffic', 'shift'], 'Usage: istiops traffic shift'],
    [['help', 'traffic'], 'Usage: istiops traffic'],
    [['traffic', 'help', 'rollback'], 'Usage: istiops traffic rollback'],
    [['help', 'completion'], 'Usage: istiops completion'],
    [['help'], 'Usage: istiops'],
  ])('%j prints the help of the command it names', async (args, usage) => {
    const res = await runInProcess(args);
    expect(res.code).toBe(0);
    expect(res.stdout.split('\n')[0]?.startsWith(`${usage} [`)).toBe(true);
  });

  it('names the program "kubectl istiops" when run as the kubectl plugin', async () => {
    const res = await runInProcess(['help', 'traffic', 'shift'], { programName: 'kubectl istiops' });
    expect(res.stdout.split('\n')[0]).toBe('Usage: kubectl istiops traffic shift [options]');
    expect(res.stdout).toContain('  kubectl istiops traffic shift -n bookinfo');
  });
});
