import { Command } from 'commander';
import { UsageError } from '../../errors.js';
import type { ShiftRequest } from '../../domain/requests.js';
import {
  buildFromPodSelector,
  checkRe2,
  parseBuild,
  parseDestination,
  parseHeaders,
  parseHost,
  parsePodSelector,
  parsePort,
  parseWeight,
} from '../../input/flags.js';
import type { CliIO, CommandModule } from '../context.js';
import {
  buildOption,
  destinationOption,
  globalsOf,
  headersOption,
  labelSelectorOption,
  podSelectorOption,
  regexpOption,
  selectorOf,
  weightOption,
  withExamples,
} from '../options.js';

/** Raw flags of `shift` and of its first-version aliases. */
export interface ShiftFlags {
  labelSelector?: string;
  destination?: string;
  hostname?: string;
  port?: string;
  build?: string;
  podSelector?: string;
  headers?: string[];
  regexp?: boolean;
  weight?: string;
}

const missing = (flag: string): UsageError => new UsageError(`required option '${flag}' not specified`);

/**
 * Validates the flags of `shift` (alias undefined) or of `traffic headers` / `traffic weight` into a
 * request; every check runs before any request is sent.
 */
export async function shiftRequest(o: ShiftFlags, alias: 'headers' | 'weight' | undefined): Promise<ShiftRequest> {
  let destination;
  if (alias === undefined) {
    if (o.destination === undefined) throw missing('-d, --destination <host:port>');
    destination = parseDestination(o.destination);
  } else {
    if (o.hostname === undefined || o.port === undefined) throw new UsageError('--hostname and --port go together: give both');
    destination = { host: parseHost(o.hostname, '--hostname'), port: parsePort(o.port, '--port') };
  }
  if (o.headers !== undefined && o.weight !== undefined) throw new UsageError('--headers and --weight are mutually exclusive: give exactly one');
  if (alias === 'headers' && o.headers === undefined) throw missing('-H, --headers <k=v>');
  if (alias === 'weight' && o.weight === undefined) throw missing('-w, --weight <percent>');
  if (o.headers === undefined && o.weight === undefined) throw new UsageError('one of --headers or --weight is required');
  if (o.regexp === true && o.headers === undefined) throw new UsageError('--regexp applies to --headers values only');
  if (o.podSelector === undefined) throw missing('-p, --pod-selector <labels>');
  const podSelector = parsePodSelector(o.podSelector);
  // The first version had no --build: the aliases take it from the pod labels (design.md).
  const build = o.build !== undefined ? parseBuild(o.build) : alias !== undefined ? buildFromPodSelector(podSelector) : undefined;
  if (build === undefined) throw missing('-b, --build <build>');
  if (o.headers !== undefined) {
    const headers = parseHeaders(o.headers);
    if (o.regexp === true) await checkRe2(headers);
    return { destination, build, podSelector, traffic: { kind: 'headers', headers, regex: o.regexp === true } };
  }
  return { destination, build, podSelector, traffic: { kind: 'weight', percent: parseWeight(o.weight ?? '') } };
}

/** The action of `shift` and its aliases: validate, open the store, shift, print. */
export function shiftAction(io: CliIO, alias: 'headers' | 'weight' | undefined) {
  return async (o: ShiftFlags, c: Command): Promise<void> => {
    const g = globalsOf(c);
    const labelSelector = selectorOf(o.labelSelector);
    const request = await shiftRequest(o, alias);
    const { runMutation } = await import('../context.js');
    const { subsetNameFor } = await import('../../domain/names.js');
    await runMutation('shift', g, io, async (istiops, namespace, run) => {
      // A too-long or invalid subset name fails before any request.
      subsetNameFor(request.destination.host, request.build, namespace);
      return istiops.shift({ namespace, labelSelector }, request, run);
    });
  };
}

/** `istiops traffic shift`: header or weight routing to a build. */
export const shift: CommandModule = {
  parent: 'traffic',
  create: ({ io }) =>
    withExamples(
      new Command('shift')
        .description('send requests matching headers (-H), or a weight (-w) of the traffic, to a build')
        .addOption(labelSelectorOption())
        .addOption(destinationOption())
        .addOption(buildOption())
        .addOption(podSelectorOption())
        .addOption(headersOption())
        .addOption(regexpOption())
        .addOption(weightOption())
        .action(shiftAction(io, undefined)),
      [
        ['testers sending end-user: tester reach build 3 of reviews', "$0 traffic shift -n bookinfo -d reviews:9080 -b 3 -p app=reviews,version=v3 -H end-user=tester"],
        ['then 25% of all requests, first as a dry run with a diff', '$0 traffic shift -n bookinfo -d reviews:9080 -b 3 -p app=reviews,version=v3 -w 25 --dry-run'],
        ['promote build 3 in manifest files', '$0 traffic shift --manifests deploy/ -n bookinfo -d reviews:9080 -b 3 -p app=reviews,version=v3 -w 100'],
      ],
    ),
};
