#!/usr/bin/env node
// Entry of the bundled `istiops` / `kubectl-istiops` binary.
import { run } from './cli/main.js';

process.exitCode = await run(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  isTTY: process.stdout.isTTY === true,
  env: process.env,
});
