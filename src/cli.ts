#!/usr/bin/env node
// Entry of the bundled `istiops` / `kubectl-istiops` binary (and of `kubectl_complete-istiops`).
import { basename } from 'node:path';
import { run } from './cli/main.js';

// Dependencies of the Kubernetes client trigger Node deprecation warnings (punycode, url.parse) on
// newer Node versions; they are not the user's concern and would break one-line error output.
if (!process.env['ISTIOPS_DEBUG']) process.noDeprecation = true;

// Run as a kubectl plugin (`kubectl istiops`), help and usage say so.
const asPlugin = /^kubectl[-_]/.test(basename(process.argv[1] ?? ''));

/**
 * SIGINT/SIGTERM, for the commands that ask (`show --watch`): the first one aborts the signal and
 * the command ends cleanly; Node's default (end at once) comes back for a second one.
 */
function interrupts(): AbortSignal {
  const controller = new AbortController();
  const handler = (name: NodeJS.Signals): void => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
    controller.abort(name);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return controller.signal;
}

process.exitCode = await run(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  isTTY: process.stdout.isTTY === true,
  env: process.env,
  programName: asPlugin ? 'kubectl istiops' : 'istiops',
  binName: asPlugin ? 'kubectl-istiops' : 'istiops',
  interrupts,
});
