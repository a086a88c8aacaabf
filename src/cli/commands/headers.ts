import { Command } from 'commander';
import type { CommandModule } from '../context.js';
import { buildOption, headersOption, labelSelectorOption, podSelectorOption, regexpOption, scalar, withExamples } from '../options.js';
import { shiftAction } from './shift.js';

/** `--hostname` and `--port`: the destination in the first version's syntax. */
export const hostnameOptions = () => [scalar('--hostname <host>', 'destination service host'), scalar('--port <port>', 'destination service port')] as const;

/** `istiops traffic headers`: the first version's header shift (an alias of `shift -H`). */
export const headers: CommandModule = {
  parent: 'traffic',
  create: ({ io }) => {
    const [hostname, port] = hostnameOptions();
    return withExamples(
      new Command('headers')
        .description('alias of "shift -H" in the first version\'s syntax (--hostname, --port; the build defaults to the pod selector\'s build or version label)')
        .addOption(labelSelectorOption())
        .addOption(hostname)
        .addOption(port)
        .addOption(buildOption('release identifier (default: the pod selector\'s build label, else its version label, else its values joined with "-")'))
        .addOption(podSelectorOption())
        .addOption(headersOption())
        .addOption(regexpOption())
        .action(shiftAction(io, 'headers')),
      [['testers reach the pods labelled version=v3 (build v3)', '$0 traffic headers -n bookinfo -l app=reviews --hostname reviews --port 9080 -p app=reviews,version=v3 -H end-user=tester']],
    );
  },
};
