// Builds single executables with `bun build --compile --bytecode` (npm package `bun`, a devDependency):
//   dist/bin/istiops                 for this machine
//   dist/bin/istiops-<os>-<arch>     for linux-x64, linux-arm64, darwin-x64, darwin-arm64
// Cross-compiling needs bun's runtime for the target. bun would download it from GitHub; instead this
// script fetches the same runtime from the npm registry (`npm pack @oven/bun-<os>-<arch>@<bun's version>`,
// cached in node_modules/.cache/istiops-bun) and hands it to bun with --compile-executable-path.
//
//   node scripts/build-binary.mjs                 host + every target
//   ISTIOPS_BINARY_TARGETS=host                   dist/bin/istiops and its copy dist/bin/istiops-<this os>-<arch>
//   ISTIOPS_BINARY_TARGETS=linux-x64,darwin-arm64 host + these targets
// Prints which targets were built; exits 1 only when the host executable could not be built.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const bunPkg = JSON.parse(readFileSync(join(root, 'node_modules/bun/package.json'), 'utf8'));
// bun's postinstall puts its platform binary at bin/bun.exe; when install scripts did not run, take it
// from the optional dependency @oven/bun-<os>-<arch> directly.
const bun = [
  join(root, 'node_modules/bun/bin/bun.exe'),
  join(root, `node_modules/@oven/bun-${process.platform}-${process.arch === 'arm64' ? 'aarch64' : process.arch}/bin/bun`),
].find((p) => existsSync(p) && statSync(p).size > 1_000_000);
if (!bun) throw new Error('no bun binary in node_modules: run npm ci (bun is a devDependency)');
const outDir = join(root, 'dist/bin');
const cacheDir = join(root, 'node_modules/.cache/istiops-bun');

/** Release platforms: our name -> bun's --target and the npm package holding that runtime. */
export const TARGETS = {
  'linux-x64': { target: 'bun-linux-x64', npm: '@oven/bun-linux-x64' },
  'linux-arm64': { target: 'bun-linux-arm64', npm: '@oven/bun-linux-aarch64' },
  'darwin-x64': { target: 'bun-darwin-x64', npm: '@oven/bun-darwin-x64' },
  'darwin-arm64': { target: 'bun-darwin-arm64', npm: '@oven/bun-darwin-aarch64' },
};
const host = `${process.platform}-${process.arch}`;

// `host` stands for this machine's platform (a copy of dist/bin/istiops, no download).
const requested = [
  ...new Set(
    (process.env.ISTIOPS_BINARY_TARGETS ?? Object.keys(TARGETS).join(','))
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s && (s !== 'host' || host in TARGETS))
      .map((s) => (s === 'host' ? host : s)),
  ),
];
for (const t of requested) if (!(t in TARGETS)) throw new Error(`unknown target ${t}; known: ${Object.keys(TARGETS).join(', ')}`);

// The precompiled validators are part of the sources bun bundles.
execFileSync(process.execPath, [join(root, 'scripts/generate-validators.mjs')], { stdio: 'inherit' });
mkdirSync(outDir, { recursive: true });

function compile(outfile, extra) {
  rmSync(outfile, { force: true });
  execFileSync(
    bun,
    [
      'build',
      'src/cli.ts',
      '--compile',
      '--bytecode',
      '--format=esm',
      `--define`,
      `__ISTIOPS_VERSION__=${JSON.stringify(pkg.version)}`,
      '--outfile',
      outfile,
      ...extra,
    ],
    { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] },
  );
}

/** bun's runtime for `name` from the npm registry (cached); returns the path of its `bun` binary. */
function runtimeFromNpm(name) {
  const dir = join(cacheDir, `${name.replace('/', '+')}-${bunPkg.version}`);
  const binary = join(dir, 'package/bin/bun');
  if (existsSync(binary)) return binary;
  mkdirSync(dir, { recursive: true });
  const tarball = execFileSync('npm', ['pack', `${name}@${bunPkg.version}`, '--silent', '--pack-destination', dir], { cwd: dir, encoding: 'utf8' })
    .trim()
    .split('\n')
    .pop();
  execFileSync('tar', ['xzf', join(dir, tarball), '-C', dir]);
  rmSync(join(dir, tarball), { force: true });
  chmodSync(binary, 0o755);
  return binary;
}

const built = [];
const failed = [];
const hostOut = join(outDir, 'istiops');
try {
  compile(hostOut, []);
  built.push(`host (${host}) -> dist/bin/istiops`);
} catch (e) {
  console.error(`could not build dist/bin/istiops: ${e.message}`);
  process.exit(1);
}

for (const name of requested) {
  const out = join(outDir, `istiops-${name}`);
  try {
    if (name === host) {
      copyFileSync(hostOut, out);
      chmodSync(out, 0o755);
    } else {
      const { target, npm } = TARGETS[name];
      compile(out, [`--target=${target}`, `--compile-executable-path=${runtimeFromNpm(npm)}`]);
    }
    built.push(`${name} -> dist/bin/istiops-${name}`);
  } catch (e) {
    failed.push(`${name}: ${e.message.split('\n')[0]}`);
  }
}
console.log(`bun ${bunPkg.version}: built ${built.join('; ')}`);
if (failed.length > 0) console.log(`not built: ${failed.join('; ')}`);
