/** `traffic mirror`: mirror a share of the general routes' requests of a host to a build; `--remove` takes it off. */
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { parseLabelSelector } from '../../domain/label-selector.js';
import type { MirrorRemoveRequest, MirrorRequest } from '../../domain/requests.js';
import { parseBuild, parseDestination, parsePodSelector } from '../../input/flags.js';
import { parseMirrorPercentage } from '../../input/strategy-flags.js';
import { checkSubsetName, openIstiops, parseGlobals, printOutcome, type CliIO, type GlobalFlags } from '../main.js';

interface MirrorFlags {
  labelSelector: string;
  destination: string;
  build: string;
  podSelector?: string;
  percentage?: string;
  remove?: boolean;
}

/** The request of `mirror` (or `mirror --remove`) from its flags. @throws UsageError naming the flag. */
export function mirrorRequest(o: MirrorFlags): { kind: 'set'; request: MirrorRequest } | { kind: 'remove'; request: MirrorRemoveRequest } {
  const destination = parseDestination(o.destination);
  const build = parseBuild(o.build);
  if (o.remove === true) {
    if (o.percentage !== undefined) throw new UsageError('--percentage cannot be combined with --remove');
    if (o.podSelector !== undefined) parsePodSelector(o.podSelector);
    return { kind: 'remove', request: { destination, build } };
  }
  if (o.podSelector === undefined) throw new UsageError("required option '-p, --pod-selector <labels>' not specified");
  const podSelector = parsePodSelector(o.podSelector);
  const percentage = o.percentage === undefined ? 100 : parseMirrorPercentage(o.percentage);
  return { kind: 'set', request: { destination, build, podSelector, percentage } };
}

/** Adds `mirror` to the `traffic` command. */
export function addMirrorCommand(traffic: Command, io: CliIO): void {
  traffic
    .command('mirror')
    .description("mirror a share of a host's requests to a build (Istio discards the mirror's answers); --remove takes it off")
    .requiredOption('-l, --label-selector <selector>', 'label selector of the VirtualServices and DestinationRules')
    .requiredOption('-d, --destination <host:port>', 'Kubernetes service host and port')
    .requiredOption('-b, --build <build>', 'release identifier; the subset is <service>-<build>-<namespace>')
    .option('-p, --pod-selector <labels>', "equality labels of the build's pods (k=v,k2=v2)")
    .option('--percentage <percent>', 'percent of requests mirrored, 0..100, decimals allowed (default 100)')
    .option('--remove', "take the build's mirror off (the subset stays until rollback or clear)")
    .action(async (o: MirrorFlags, c: Command) => {
      const g = parseGlobals(c.optsWithGlobals<GlobalFlags>());
      const labelSelector = parseLabelSelector(o.labelSelector);
      const r = mirrorRequest(o);
      const { istiops, namespace } = await openIstiops(g, io);
      await checkSubsetName(r.request.destination.host, r.request.build, namespace);
      const selection = { namespace, labelSelector };
      const run = { dryRun: g.dryRun, force: g.force };
      const outcome = r.kind === 'set' ? await istiops.mirror(selection, r.request, run) : await istiops.unmirror(selection, r.request, run);
      await printOutcome('mirror', outcome, g, io);
    });
}
