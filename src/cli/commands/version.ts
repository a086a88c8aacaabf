import { Command } from 'commander';
import type { CommandModule } from '../context.js';
import { withExamples } from '../options.js';

declare const __ISTIOPS_VERSION__: string | undefined;

/** The version baked in at build time (`0.0.0-dev` when run from the sources). */
export const VERSION = typeof __ISTIOPS_VERSION__ === 'string' ? __ISTIOPS_VERSION__ : '0.0.0-dev';

/** `istiops version`: prints the version; loads nothing else. */
export const version: CommandModule = {
  parent: null,
  create: ({ io }) =>
    withExamples(
      new Command('version')
        .description('print the version')
        .action(() => io.stdout(`istiops ${VERSION}\n`)),
      [
        ['the version of this istiops', '$0 version'],
        ['the version installed as a kubectl plugin', 'kubectl istiops version'],
      ],
    ),
};
