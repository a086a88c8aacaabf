#!/usr/bin/env node
// Entry of the bundled `istiops` / `kubectl-istiops` binary.
import { run } from './cli/main.js';

// Dependencies of the Kubernetes client trigger Node deprecation warnings (punycode, url.parse) on
// newer Node versions; they are not the user's concern and would break one-line error output.
if (!process.env['ISTIOPS_DEBUG']) process.noDeprecation = true;

process.exitCode = await run(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  isTTY: process.stdout.isTTY === true,
  env: process.env,
});
