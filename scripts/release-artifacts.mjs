// Release artifacts from the single executables in dist/bin (npm run build:binary):
//   dist/release/istiops-v<version>-<os>-<arch>.tar.gz   the executable, named `istiops`, and LICENSE
//   dist/release/istiops.yaml                            a krew plugin manifest with the sha256 of each archive
// Only the platforms whose executable exists are packed.
//
//   npm run release:artifacts          (builds, cross-compiles, then runs this script)
//   ISTIOPS_RELEASE_URL='https://example.com/v{version}/{archive}'   where the archives will be downloadable
//                                       ({version}, {archive}, {os}, {arch} are replaced)
//   ISTIOPS_RELEASE_BIN_DIR, ISTIOPS_RELEASE_OUT_DIR   other input/output folders (tests)
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';

const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const binDir = process.env.ISTIOPS_RELEASE_BIN_DIR ?? join(root, 'dist/bin');
const outDir = process.env.ISTIOPS_RELEASE_OUT_DIR ?? join(root, 'dist/release');
const homepage = pkg.homepage ?? 'https://github.com/pismo-foss/istiops';
const urlTemplate = process.env.ISTIOPS_RELEASE_URL ?? `${homepage}/releases/download/v{version}/{archive}`;

/** Our platform names -> krew's selector labels (Go's GOOS/GOARCH names). */
const PLATFORMS = {
  'linux-x64': { os: 'linux', arch: 'amd64' },
  'linux-arm64': { os: 'linux', arch: 'arm64' },
  'darwin-x64': { os: 'darwin', arch: 'amd64' },
  'darwin-arm64': { os: 'darwin', arch: 'arm64' },
};

rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
const platforms = [];
for (const [name, labels] of Object.entries(PLATFORMS)) {
  const exe = join(binDir, `istiops-${name}`);
  if (!existsSync(exe)) continue;
  const archive = `istiops-v${pkg.version}-${name}.tar.gz`;
  const stage = mkdtempSync(join(tmpdir(), 'istiops-release-'));
  copyFileSync(exe, join(stage, 'istiops'));
  chmodSync(join(stage, 'istiops'), 0o755);
  copyFileSync(join(root, 'LICENSE'), join(stage, 'LICENSE'));
  chmodSync(join(stage, 'LICENSE'), 0o644);
  // Reproducible archives: fixed order, owner and time; gzip without a name or time stamp.
  const tarball = join(stage, 'archive.tar');
  execFileSync('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '-cf', tarball, '-C', stage, 'istiops', 'LICENSE']);
  execFileSync('gzip', ['-n', tarball]);
  copyFileSync(`${tarball}.gz`, join(outDir, archive));
  rmSync(stage, { recursive: true, force: true });
  const sha256 = createHash('sha256').update(readFileSync(join(outDir, archive))).digest('hex');
  const uri = urlTemplate.replaceAll('{version}', pkg.version).replaceAll('{archive}', archive).replaceAll('{os}', labels.os).replaceAll('{arch}', labels.arch);
  platforms.push({ selector: { matchLabels: { os: labels.os, arch: labels.arch } }, uri, sha256, files: [{ from: 'istiops', to: '.' }, { from: 'LICENSE', to: '.' }], bin: 'istiops' });
  console.log(`${archive}  sha256 ${sha256}`);
}
if (platforms.length === 0) {
  console.error(`no executable in ${binDir} (istiops-<os>-<arch>): run npm run build:binary first`);
  process.exit(1);
}

const manifest = {
  apiVersion: 'krew.googlecontainertools.github.com/v1alpha2',
  kind: 'Plugin',
  metadata: { name: 'istiops' },
  spec: {
    version: `v${pkg.version}`,
    homepage,
    shortDescription: 'Shift, show and clear Istio traffic routing',
    description:
      'Manages Istio traffic without hand-editing YAML: sends a build traffic by header or by weight,\n' +
      'shows the routing of VirtualServices and DestinationRules with ready pods, rolls a build back and\n' +
      'clears routes that no longer lead anywhere. Safe to run from many CI pipelines at once.\n',
    platforms,
  },
};
writeFileSync(join(outDir, 'istiops.yaml'), stringify(manifest, { lineWidth: 0 }));
console.log(`wrote ${join(outDir, 'istiops.yaml')} (${platforms.length} platform(s))`);
