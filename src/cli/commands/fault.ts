/** `traffic fault`: set a delay and/or abort fault on the general routes, or on managed header routes; `--remove`. */
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { parseLabelSelector } from '../../domain/label-selector.js';
import type { FaultRemoveRequest, FaultRequest, HeaderTraffic } from '../../domain/requests.js';
import { checkRe2, parseDestination, parseHeaders } from '../../input/flags.js';
import { parseFaultDelay, parseFaultPercentage, parseHttpStatus } from '../../input/strategy-flags.js';
import { collect, openIstiops, parseGlobals, printOutcome, type CliIO, type GlobalFlags } from '../main.js';

interface FaultFlags {
  labelSelector: string;
  destination?: string;
  headers?: string[];
  regexp?: boolean;
  delay?: string;
  delayPercentage?: string;
  abortStatus?: string;
  abortPercentage?: string;
  remove?: boolean;
}

/** The request of `fault` (or `fault --remove`) from its flags. @throws UsageError naming the flag. */
export async function faultRequest(o: FaultFlags): Promise<{ kind: 'set'; request: FaultRequest } | { kind: 'remove'; request: FaultRemoveRequest }> {
  const destination = o.destination === undefined ? undefined : parseDestination(o.destination);
  if (o.regexp === true && o.headers === undefined) throw new UsageError('--regexp applies to --headers values only');
  let headers: HeaderTraffic | undefined;
  if (o.headers !== undefined) {
    const values = parseHeaders(o.headers);
    if (o.regexp === true) await checkRe2(values);
    headers = { kind: 'headers', headers: values, regex: o.regexp === true };
  }
  const scope = { ...(destination !== undefined ? { destination } : {}), ...(headers !== undefined ? { headers } : {}) };
  if (o.remove === true) {
    for (const [flag, value] of [['--delay', o.delay], ['--delay-percentage', o.delayPercentage], ['--abort-status', o.abortStatus], ['--abort-percentage', o.abortPercentage]] as const) {
      if (value !== undefined) throw new UsageError(`${flag} cannot be combined with --remove`);
    }
    return { kind: 'remove', request: scope };
  }
  if ((o.delay === undefined) !== (o.delayPercentage === undefined)) {
    throw new UsageError(o.delay === undefined ? '--delay-percentage needs --delay' : '--delay needs --delay-percentage');
  }
  if ((o.abortStatus === undefined) !== (o.abortPercentage === undefined)) {
    throw new UsageError(o.abortStatus === undefined ? '--abort-percentage needs --abort-status' : '--abort-status needs --abort-percentage');
  }
  if (o.delay === undefined && o.abortStatus === undefined) {
    throw new UsageError('fault needs --delay with --delay-percentage, --abort-status with --abort-percentage, or both (or --remove)');
  }
  const delay = o.delay !== undefined ? { fixedDelayMs: parseFaultDelay(o.delay), percentage: parseFaultPercentage(o.delayPercentage as string, '--delay-percentage') } : undefined;
  const abort = o.abortStatus !== undefined ? { httpStatus: parseHttpStatus(o.abortStatus), percentage: parseFaultPercentage(o.abortPercentage as string, '--abort-percentage') } : undefined;
  return { kind: 'set', request: { ...scope, ...(delay !== undefined ? { delay } : {}), ...(abort !== undefined ? { abort } : {}) } };
}

/** Adds `fault` to the `traffic` command. */
export function addFaultCommand(traffic: Command, io: CliIO): void {
  traffic
    .command('fault')
    .description('inject a delay and/or an abort into the general routes, or into requests with headers (-H); --remove takes it off')
    .requiredOption('-l, --label-selector <selector>', 'label selector of the VirtualServices and DestinationRules')
    .option('-d, --destination <host:port>', 'only the routes of this host')
    .option('-H, --headers <k=v>', 'only requests with these headers, k=v[,k=v] (repeatable)', collect)
    .option('-r, --regexp', 'header values are RE2 regular expressions')
    .option('--delay <duration>', 'fixed delay, e.g. 500ms, 5s (whole milliseconds, at least 1ms)')
    .option('--delay-percentage <percent>', 'percent of requests delayed: 0 or 0.0001..100')
    .option('--abort-status <code>', 'HTTP status to answer with, 200..599')
    .option('--abort-percentage <percent>', 'percent of requests aborted: 0 or 0.0001..100')
    .option('--remove', 'take the fault off (with -H: remove those managed fault routes)')
    .action(async (o: FaultFlags, c: Command) => {
      const g = parseGlobals(c.optsWithGlobals<GlobalFlags>());
      const labelSelector = parseLabelSelector(o.labelSelector);
      const r = await faultRequest(o);
      const { istiops, namespace } = await openIstiops(g, io);
      const selection = { namespace, labelSelector };
      const run = { dryRun: g.dryRun, force: g.force };
      const outcome = r.kind === 'set' ? await istiops.fault(selection, r.request, run) : await istiops.unfault(selection, r.request, run);
      await printOutcome('fault', outcome, g, io);
    });
}
