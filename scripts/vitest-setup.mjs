// Vitest global setup: generates the precompiled Istio validators (gitignored) when they are missing,
// so that a single test file can be run on a fresh clone without `npm run build` first.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export default function setup() {
  const generated = fileURLToPath(new URL('../src/app/validators/generated/istio.js', import.meta.url));
  if (!existsSync(generated)) execFileSync(process.execPath, [fileURLToPath(new URL('generate-validators.mjs', import.meta.url))], { stdio: 'inherit' });
}
