/** `traffic fault`: set a delay and/or abort fault on the general routes, or on managed header routes; `--remove`. */
import { Command } from 'commander';
import { UsageError } from '../../errors.js';
import type { FaultRemoveRequest, FaultRequest, HeaderTraffic } from '../../domain/requests.js';
import { checkRe2, parseDestination, parseHeaders } from '../../input/flags.js';
import { parseFaultDelay, parseFaultPercentage, parseHttpStatus } from '../../input/strategy-flags.js';
import type { CommandModule } from '../context.js';
import { allOption, destinationOption, globalsOf, headersOption, labelSelectorOption, regexpOption, scalar, selectorOf, withExamples } from '../options.js';

interface FaultFlags {
  labelSelector?: string;
  all?: boolean;
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

/** `istiops traffic fault`: inject a delay and/or an abort, or `--remove` it. */
export const fault: CommandModule = {
  parent: 'traffic',
  create: ({ io }) =>
    withExamples(
      new Command('fault')
        .description('inject a delay and/or an abort into the general routes, or into requests with headers (-H); --remove takes it off')
        .addOption(labelSelectorOption())
        .addOption(allOption())
        .addOption(destinationOption())
        .addOption(headersOption())
        .addOption(regexpOption())
        .addOption(scalar('--delay <duration>', 'fixed delay, e.g. 500ms, 5s (whole milliseconds, at least 1ms)'))
        .addOption(scalar('--delay-percentage <percent>', 'percent of requests delayed: 0 or 0.0001..100'))
        .addOption(scalar('--abort-status <code>', 'HTTP status to answer with, 200..599'))
        .addOption(scalar('--abort-percentage <percent>', 'percent of requests aborted: 0 or 0.0001..100'))
        .option('--remove', 'take the fault off (with -H: remove those managed fault routes)')
        .action(async (o: FaultFlags, c: Command) => {
          const g = globalsOf(c);
          // Without -d the fault goes on every general route of every candidate: name them (design.md).
          if (o.destination === undefined && o.labelSelector === undefined && o.all !== true) {
            throw new UsageError('fault without --destination edits every selected VirtualService: give --label-selector or --all');
          }
          if (o.labelSelector !== undefined && o.all === true) throw new UsageError('--all and --label-selector are mutually exclusive');
          const labelSelector = selectorOf(o.labelSelector);
          const r = await faultRequest(o);
          const { runMutation } = await import('../context.js');
          await runMutation('fault', g, io, async (istiops, namespace, run) => {
            const selection = { namespace, labelSelector };
            return r.kind === 'set' ? istiops.fault(selection, r.request, run) : istiops.unfault(selection, r.request, run);
          });
        }),
      [
        ['delay 10% of the requests to reviews by 5s', '$0 traffic fault -n bookinfo -d reviews:9080 --delay 5s --delay-percentage 10'],
        ['answer 503 to half of the requests of testers (x-chaos: on)', '$0 traffic fault -n bookinfo -d reviews:9080 -H x-chaos=on --abort-status 503 --abort-percentage 50'],
        ['take the testers\' fault off again', '$0 traffic fault -n bookinfo -d reviews:9080 -H x-chaos=on --remove'],
      ],
    ),
};
