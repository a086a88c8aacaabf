import { Command, Option } from 'commander';
import { UsageError } from '../../errors.js';
import type { CommandModule } from '../context.js';
import { acceptOutputFormats, globalsOf, labelSelectorOption, selectorOf, withExamples } from '../options.js';

/** `istiops traffic show`: the routing of the selected VirtualServices, once or followed (`--watch`). */
export const show: CommandModule = {
  parent: 'traffic',
  create: ({ io }) => {
    const cmd = new Command('show')
      .description('show the routing of the selected VirtualServices as a tree (or json, yaml, name, a Mermaid flowchart)')
      .addOption(labelSelectorOption())
      .addOption(new Option('-w, --watch', 'after the first report, print the routing again after every change, until interrupted (cluster only)'))
      .action(async (o: { labelSelector?: string; watch?: boolean }, c: Command) => {
        const g = globalsOf(c);
        const labelSelector = selectorOf(o.labelSelector);
        if (o.watch === true) {
          if (g.manifests.length > 0) throw new UsageError('--watch follows a cluster with the Kubernetes watch API: it cannot be combined with --manifests');
          if (g.output !== 'pretty' && g.output !== 'json' && g.output !== 'yaml') throw new UsageError(`--watch prints pretty, json or yaml, not --output ${g.output}`);
        }
        const { openIstiops } = await import('../context.js');
        const { OutcomePrinter } = await import('../output.js');
        const printer = new OutcomePrinter('show', g, io);
        const { istiops, namespace } = await openIstiops(g, io, (e) => printer.progress(e));
        const selection = { namespace, labelSelector };
        const render = await import('../render.js');
        if (o.watch === true) {
          const { followReports } = await import('../watch.js');
          const signal = io.interrupts?.() ?? new AbortController().signal;
          await followReports((onReport, s) => istiops.watch(selection, onReport, s), { format: g.output, io, signal });
          return;
        }
        const report = await istiops.get(selection);
        io.stdout(await render.formatReport(report, g.output, io));
      });
    acceptOutputFormats(cmd, ['mermaid']);
    return withExamples(cmd, [
      ['the routing of the VirtualServices labelled team=books in namespace bookinfo', '$0 traffic show -n bookinfo -l team=books'],
      ['the same from manifest files, as a Mermaid flowchart for a pull request', '$0 traffic show --manifests deploy/ -n bookinfo -o mermaid'],
      ['follow the routing during a rollout, one JSON document per change', '$0 traffic show -n bookinfo -l app=reviews --watch -o json'],
    ]);
  },
};
