/** `traffic mirror`: mirror a share of the general routes' requests of a host to a build; `--remove` takes it off. */
import { Command } from 'commander';
import { UsageError } from '../../errors.js';
import type { MirrorRemoveRequest, MirrorRequest } from '../../domain/requests.js';
import { parseBuild, parseDestination, parsePodSelector } from '../../input/flags.js';
import { parseMirrorPercentage } from '../../input/strategy-flags.js';
import type { CommandModule } from '../context.js';
import { buildOption, destinationOption, globalsOf, labelSelectorOption, podSelectorOption, scalar, selectorOf, withExamples } from '../options.js';

interface MirrorFlags {
  labelSelector?: string;
  destination?: string;
  build?: string;
  podSelector?: string;
  percentage?: string;
  remove?: boolean;
}

/** The request of `mirror` (or `mirror --remove`) from its flags. @throws UsageError naming the flag. */
export function mirrorRequest(o: MirrorFlags & { destination: string; build: string }): { kind: 'set'; request: MirrorRequest } | { kind: 'remove'; request: MirrorRemoveRequest } {
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

/** `istiops traffic mirror`: mirror the general routes of a host to a build, or `--remove` the mirror. */
export const mirror: CommandModule = {
  parent: 'traffic',
  create: ({ io }) =>
    withExamples(
      new Command('mirror')
        .description("mirror a share of a host's requests to a build (Istio discards the mirror's answers); --remove takes it off")
        .addOption(labelSelectorOption())
        .addOption(destinationOption())
        .addOption(buildOption())
        .addOption(podSelectorOption())
        .addOption(scalar('--percentage <percent>', 'percent of requests mirrored, 0..100, decimals allowed (default 100)'))
        .option('--remove', "take the build's mirror off (the subset stays until rollback or clear)")
        .action(async (o: MirrorFlags, c: Command) => {
          const g = globalsOf(c);
          const labelSelector = selectorOf(o.labelSelector);
          if (o.destination === undefined) throw new UsageError("required option '-d, --destination <host:port>' not specified");
          if (o.build === undefined) throw new UsageError("required option '-b, --build <build>' not specified");
          const r = mirrorRequest({ ...o, destination: o.destination, build: o.build });
          const { runMutation } = await import('../context.js');
          const { subsetNameFor } = await import('../../domain/names.js');
          await runMutation('mirror', g, io, async (istiops, namespace, run) => {
            subsetNameFor(r.request.destination.host, r.request.build, namespace);
            const selection = { namespace, labelSelector };
            return r.kind === 'set' ? istiops.mirror(selection, r.request, run) : istiops.unmirror(selection, r.request, run);
          });
        }),
      [
        ['copy 12.5% of the requests to reviews to build 3 (its answers are discarded)', '$0 traffic mirror -n bookinfo -d reviews:9080 -b 3 -p app=reviews,version=v3 --percentage 12.5'],
        ['stop mirroring build 3', '$0 traffic mirror -n bookinfo -d reviews:9080 -b 3 --remove'],
      ],
    ),
};
