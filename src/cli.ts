// Entry of the CLI bundle dist/cli.cjs, run by the bin dist/istiops.cjs (`istiops`, `kubectl-istiops`,
// `kubectl_complete-istiops`), and of the single executable.
import { basename } from 'node:path';
import { run } from './cli/main.js';
import { interruptSignal } from './cli/signals.js';

// Dependencies of the Kubernetes client trigger Node deprecation warnings (punycode, url.parse) on
// newer Node versions; they are not the user's concern and would break one-line error output.
if (!process.env['ISTIOPS_DEBUG']) process.noDeprecation = true;

// Run as a kubectl plugin (`kubectl istiops`), help and usage say so.
const asPlugin = /^kubectl[-_]/.test(basename(process.argv[1] ?? ''));

// No top-level await: the bundle is a CommonJS script (scripts/build.mjs).
void run(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  isTTY: process.stdout.isTTY === true,
  env: process.env,
  programName: asPlugin ? 'kubectl istiops' : 'istiops',
  binName: asPlugin ? 'kubectl-istiops' : 'istiops',
  interrupts: interruptSignal,
}).then((code) => {
  process.exitCode = code;
});
