import { beforeAll, describe, it } from 'vitest';
import { copyExamples, expectUsageError, runCli, snapshotFiles } from '../support/cli.js';

/**
 * Bad values of `mirror`, `fault` and `canary` exit 2 with one line naming the flag, before anything is
 * read or written: the manifests stay byte-identical.
 */
const target = ['-l', 'app=api-domain', '-d', 'api-domain:5000', '-b', '2'];
const pods = ['-p', 'app=api-domain,build=2'];
const mirror = (...extra: string[]): string[] => ['traffic', 'mirror', ...target, ...extra];
const fault = (...extra: string[]): string[] => ['traffic', 'fault', '-l', 'app=api-domain', ...extra];
const canary = (...extra: string[]): string[] => ['traffic', 'canary', ...target, ...pods, ...extra];
const prom = ['--prometheus-url', 'http://127.0.0.1:9', '--query', 'up'];

const cases: { name: string; args: string[]; mentions: string }[] = [
  // mirror
  { name: 'mirror percentage above 100', args: mirror(...pods, '--percentage', '100.5'), mentions: '--percentage' },
  { name: 'mirror negative percentage', args: mirror(...pods, '--percentage=-1'), mentions: '--percentage' },
  { name: 'mirror percentage with a percent sign', args: mirror(...pods, '--percentage', '50%'), mentions: '--percentage' },
  { name: 'mirror percentage that is not a number', args: mirror(...pods, '--percentage', 'half'), mentions: '--percentage' },
  { name: 'mirror without pod selector', args: mirror(), mentions: '--pod-selector' },
  { name: 'mirror without build', args: ['traffic', 'mirror', '-l', 'app=x', '-d', 'a:1', ...pods], mentions: '--build' },
  { name: 'mirror without destination', args: ['traffic', 'mirror', '-l', 'app=x', '-b', '2', ...pods], mentions: '--destination' },
  { name: 'mirror with a bad destination', args: ['traffic', 'mirror', '-l', 'app=x', '-d', 'a', '-b', '2', ...pods], mentions: '--destination' },
  { name: 'mirror --remove with a percentage', args: mirror('--remove', '--percentage', '10'), mentions: '--percentage' },
  { name: 'mirror with an uppercase build', args: ['traffic', 'mirror', '-l', 'app=x', '-d', 'a:1', '-b', 'B2', ...pods], mentions: '--build' },
  // fault
  { name: 'fault without any fault', args: fault(), mentions: '--delay' },
  { name: 'fault delay without its percentage', args: fault('--delay', '5s'), mentions: '--delay-percentage' },
  { name: 'fault delay percentage without the delay', args: fault('--delay-percentage', '10'), mentions: '--delay' },
  { name: 'fault abort status without its percentage', args: fault('--abort-status', '503'), mentions: '--abort-percentage' },
  { name: 'fault abort percentage without the status', args: fault('--abort-percentage', '10'), mentions: '--abort-status' },
  { name: 'fault delay of 0', args: fault('--delay', '0ms', '--delay-percentage', '10'), mentions: '--delay' },
  { name: 'fault delay below a millisecond', args: fault('--delay', '0.5ms', '--delay-percentage', '10'), mentions: '--delay' },
  { name: 'fault delay without unit', args: fault('--delay', '5', '--delay-percentage', '10'), mentions: '--delay' },
  { name: 'fault delay over 24h', args: fault('--delay', '25h', '--delay-percentage', '10'), mentions: '--delay' },
  { name: 'fault delay percentage over 100', args: fault('--delay', '5s', '--delay-percentage', '101'), mentions: '--delay-percentage' },
  { name: 'fault delay percentage below 0.0001', args: fault('--delay', '5s', '--delay-percentage', '0.00001'), mentions: '--delay-percentage' },
  { name: 'fault abort status 199', args: fault('--abort-status', '199', '--abort-percentage', '10'), mentions: '--abort-status' },
  { name: 'fault abort status 600', args: fault('--abort-status', '600', '--abort-percentage', '10'), mentions: '--abort-status' },
  { name: 'fault abort status that is not a number', args: fault('--abort-status', 'unavailable', '--abort-percentage', '10'), mentions: '--abort-status' },
  { name: 'fault abort percentage negative', args: fault('--abort-status', '503', '--abort-percentage=-1'), mentions: '--abort-percentage' },
  { name: 'fault header without value', args: fault('-H', 'x-test', '--abort-status', '503', '--abort-percentage', '10'), mentions: '--headers' },
  { name: 'fault regex header that is not RE2', args: fault('-r', '-H', 'x-test=(?=a)', '--abort-status', '503', '--abort-percentage', '10'), mentions: 'RE2' },
  { name: 'fault regexp without headers', args: fault('-r', '--abort-status', '503', '--abort-percentage', '10'), mentions: '--regexp' },
  { name: 'fault with a bad destination', args: fault('-d', 'api-domain', '--abort-status', '503', '--abort-percentage', '10'), mentions: '--destination' },
  { name: 'fault --remove with a delay', args: fault('--remove', '--delay', '5s', '--delay-percentage', '10'), mentions: '--delay' },
  { name: 'fault --remove with an abort', args: fault('--remove', '--abort-status', '503'), mentions: '--abort-status' },
  // canary
  { name: 'canary without steps', args: canary(), mentions: '--steps' },
  { name: 'canary steps not ending at 100', args: canary('--steps', '10,50'), mentions: '--steps' },
  { name: 'canary steps decreasing', args: canary('--steps', '50,10,100'), mentions: '--steps' },
  { name: 'canary steps repeated', args: canary('--steps', '10,10,100'), mentions: '--steps' },
  { name: 'canary step 0', args: canary('--steps', '0,100'), mentions: '--steps' },
  { name: 'canary step over 100', args: canary('--steps', '10,150'), mentions: '--steps' },
  { name: 'canary fractional step', args: canary('--steps', '12.5,100'), mentions: '--steps' },
  { name: 'canary empty step', args: canary('--steps', '10,,100'), mentions: '--steps' },
  { name: 'canary --no-promote ending at 100', args: canary('--steps', '10,100', '--no-promote'), mentions: '--steps' },
  { name: 'canary bad interval', args: canary('--steps', '100', '--interval', '60'), mentions: '--interval' },
  { name: 'canary interval over 24h', args: canary('--steps', '100', '--interval', '25h'), mentions: '--interval' },
  { name: 'canary both gates', args: canary('--steps', '100', ...prom, '--max', '1', '--gate-cmd', 'true'), mentions: '--gate-cmd' },
  { name: 'canary max with the command gate', args: canary('--steps', '100', '--gate-cmd', 'true', '--max', '1'), mentions: '--max' },
  { name: 'canary allow-empty with the command gate', args: canary('--steps', '100', '--gate-cmd', 'true', '--allow-empty'), mentions: '--allow-empty' },
  { name: 'canary prometheus without query', args: canary('--steps', '100', '--prometheus-url', 'http://127.0.0.1:9', '--max', '1'), mentions: '--query' },
  { name: 'canary prometheus without bound', args: canary('--steps', '100', ...prom), mentions: '--max' },
  { name: 'canary prometheus with both bounds', args: canary('--steps', '100', ...prom, '--max', '1', '--min', '0'), mentions: '--min' },
  { name: 'canary query without prometheus', args: canary('--steps', '100', '--query', 'up', '--max', '1'), mentions: '--prometheus-url' },
  { name: 'canary max without prometheus', args: canary('--steps', '100', '--max', '1'), mentions: '--prometheus-url' },
  { name: 'canary gate failures without prometheus', args: canary('--steps', '100', '--gate-failures', '2'), mentions: '--prometheus-url' },
  { name: 'canary prometheus URL without scheme', args: canary('--steps', '100', '--prometheus-url', 'prometheus:9090', '--query', 'up', '--max', '1'), mentions: '--prometheus-url' },
  { name: 'canary prometheus URL with another scheme', args: canary('--steps', '100', '--prometheus-url', 'ftp://prom', '--query', 'up', '--max', '1'), mentions: '--prometheus-url' },
  { name: 'canary max that is not a number', args: canary('--steps', '100', ...prom, '--max', 'five'), mentions: '--max' },
  { name: 'canary min that is not a number', args: canary('--steps', '100', ...prom, '--min', '1,5'), mentions: '--min' },
  { name: 'canary gate failures 0', args: canary('--steps', '100', ...prom, '--max', '1', '--gate-failures', '0'), mentions: '--gate-failures' },
  { name: 'canary gate failures fractional', args: canary('--steps', '100', ...prom, '--max', '1', '--gate-failures', '1.5'), mentions: '--gate-failures' },
  { name: 'canary gate command with an open quote', args: canary('--steps', '100', '--gate-cmd', `sh -c 'exit 1`), mentions: '--gate-cmd' },
  { name: 'canary gate command with a pipe', args: canary('--steps', '100', '--gate-cmd', 'check | grep ok'), mentions: '--gate-cmd' },
  { name: 'canary empty gate command', args: canary('--steps', '100', '--gate-cmd', '  '), mentions: '--gate-cmd' },
  { name: 'canary without pod selector', args: ['traffic', 'canary', ...target, '--steps', '100'], mentions: '--pod-selector' },
];

describe('bad values of mirror, fault and canary exit 2 and write nothing', () => {
  let dir: string;
  let before: Record<string, string>;
  beforeAll(() => {
    dir = copyExamples();
    before = snapshotFiles(dir);
  });

  it.each(cases)('$name', async ({ args, mentions }) => {
    expectUsageError(await runCli([...args, '--manifests', dir]), mentions, dir, before);
  });
});
