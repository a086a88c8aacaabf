import { Command } from 'commander';
import { UsageError } from '../../errors.js';
import type { RollbackRequest } from '../../domain/requests.js';
import { parseBuild, parseDestination, parsePodSelector } from '../../input/flags.js';
import type { CommandModule } from '../context.js';
import { buildOption, destinationOption, globalsOf, labelSelectorOption, podSelectorOption, selectorOf, withExamples } from '../options.js';

interface RollbackFlags {
  labelSelector?: string;
  podSelector?: string;
  build?: string;
  destination?: string;
}

/** Validates the flags of `rollback`: the build by its pod labels, or by build and destination. */
export function rollbackRequest(o: RollbackFlags): RollbackRequest {
  if (o.podSelector !== undefined) {
    if (o.build !== undefined || o.destination !== undefined) throw new UsageError('give --pod-selector, or --build with --destination, not both');
    return { by: 'pods', podSelector: parsePodSelector(o.podSelector) };
  }
  if (o.build === undefined && o.destination === undefined) throw new UsageError('rollback needs --pod-selector, or --build with --destination');
  if (o.build === undefined) throw new UsageError("required option '-b, --build <build>' not specified (with --destination)");
  if (o.destination === undefined) throw new UsageError("required option '-d, --destination <host:port>' not specified (with --build)");
  return { by: 'build', build: parseBuild(o.build), destination: parseDestination(o.destination) };
}

/** `istiops traffic rollback`: remove everything that leads to a build, then its subset. */
export const rollback: CommandModule = {
  parent: 'traffic',
  create: ({ io }) =>
    withExamples(
      new Command('rollback')
        .description('remove every route, destination and mirror leading to a build, then its subset')
        .addOption(labelSelectorOption())
        .addOption(podSelectorOption("equality labels of the build's pods (the labels of its subset)"))
        .addOption(buildOption('release identifier (with --destination)'))
        .addOption(destinationOption())
        .action(async (o: RollbackFlags, c: Command) => {
          const g = globalsOf(c);
          const labelSelector = selectorOf(o.labelSelector);
          const request = rollbackRequest(o);
          const { runMutation } = await import('../context.js');
          const { subsetNameFor } = await import('../../domain/names.js');
          await runMutation('rollback', g, io, async (istiops, namespace, run) => {
            if (request.by === 'build') subsetNameFor(request.destination.host, request.build, namespace);
            return istiops.rollback({ namespace, labelSelector }, request, run);
          });
        }),
      [
        ['take build 3 of reviews out of every route, found by its pod labels', '$0 traffic rollback -n bookinfo -p app=reviews,version=v3'],
        ['the same by build and destination, as a dry run', '$0 traffic rollback -n bookinfo -b 3 -d reviews:9080 --dry-run'],
      ],
    ),
};
