import { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { parseClearMode } from '../../input/flags.js';
import type { CommandModule } from '../context.js';
import { allOption, clearModeOption, globalsOf, labelSelectorOption, selectorOf, withExamples } from '../options.js';

/** `istiops traffic clear`: remove routes that lead nowhere, then unused managed subsets. */
export const clear: CommandModule = {
  parent: 'traffic',
  create: ({ io }) =>
    withExamples(
      new Command('clear')
        .description('remove routes that lead nowhere (soft) or all but the catch-all and uri prefix routes (hard), then unused managed subsets; needs -l or --all')
        .addOption(labelSelectorOption())
        .addOption(allOption())
        .addOption(clearModeOption())
        .action(async (o: { labelSelector?: string; all?: boolean; mode?: string }, c: Command) => {
          const g = globalsOf(c);
          // clear edits every candidate: an accidental run on a whole namespace needs saying so (design.md).
          if (o.labelSelector === undefined && o.all !== true) throw new UsageError('clear edits every selected object: give -l, --label-selector or --all');
          if (o.labelSelector !== undefined && o.all === true) throw new UsageError('--all and -l, --label-selector exclude each other: give one');
          const labelSelector = selectorOf(o.labelSelector);
          const request = { mode: parseClearMode(o.mode ?? 'soft') };
          const { runMutation } = await import('../context.js');
          await runMutation('clear', g, io, (istiops, namespace, run) => istiops.clear({ namespace, labelSelector }, request, run));
        }),
      [
        ['remove the routes and subsets of builds that have no ready pods', '$0 traffic clear -n bookinfo -l app=reviews'],
        ['keep only the catch-all and uri prefix routes of every VirtualService of the namespace', '$0 traffic clear -n bookinfo --all -m hard --dry-run'],
      ],
    ),
};
