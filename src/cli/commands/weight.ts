import { Command } from 'commander';
import type { CommandModule } from '../context.js';
import { buildOption, labelSelectorOption, podSelectorOption, weightOption, withExamples } from '../options.js';
import { hostnameOptions } from './headers.js';
import { shiftAction } from './shift.js';

/** `istiops traffic weight`: the first version's weight shift (an alias of `shift -w`). */
export const weight: CommandModule = {
  parent: 'traffic',
  create: ({ io }) => {
    const [hostname, port] = hostnameOptions();
    return withExamples(
      new Command('weight')
        .description('alias of "shift -w" in the first version\'s syntax (--hostname, --port; the build defaults to the pod selector\'s build or version label)')
        .addOption(labelSelectorOption())
        .addOption(hostname)
        .addOption(port)
        .addOption(buildOption('release identifier (default: the pod selector\'s build label, else its version label, else its values joined with "-")'))
        .addOption(podSelectorOption())
        .addOption(weightOption())
        .action(shiftAction(io, 'weight')),
      [['10% of the requests to the pods labelled app=api-domain,build=2 (build 2)', '$0 traffic weight -l app=api-domain --hostname api-domain --port 5000 -p app=api-domain,build=2 -w 10']],
    );
  },
};
