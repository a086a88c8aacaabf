/**
 * Release artifacts (scripts/release-artifacts.mjs): archives and a krew plugin manifest that krew
 * would accept. The rules below restate krew's documented manifest requirements
 * (krew.sigs.k8s.io/docs/developer-guide/plugin-manifest and krew's plugin validation): apiVersion
 * and kind; a name of word characters and dashes, not a reserved Windows device name, equal to the
 * file name; a one-line short description; a `v`-prefixed semantic version; at least one platform,
 * each with a selector on `os`/`arch` only (not empty), a uri, a sha256 of 64 lowercase hex digits,
 * a bin, and `files` either absent or non-empty with `from` and `to`. On top, what krew checks at
 * install time: the sha256 is the archive's, and the bin is a file of the archive.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/cli.js';

const SEMVER = /^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;
const WINDOWS_RESERVED = ['CON', 'PRN', 'AUX', 'NUL', ...Array.from({ length: 9 }, (_, i) => `COM${i + 1}`), ...Array.from({ length: 9 }, (_, i) => `LPT${i + 1}`)];
const KNOWN_OS = ['linux', 'darwin', 'windows'];
const KNOWN_ARCH = ['amd64', 'arm64', 'arm', '386', 'ppc64le', 's390x'];

interface Platform {
  selector?: { matchLabels?: Record<string, string>; matchExpressions?: { key: string }[] };
  uri?: string;
  sha256?: string;
  bin?: string;
  files?: { from?: string; to?: string }[];
}
interface KrewPlugin {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string };
  spec?: { version?: string; shortDescription?: string; homepage?: string; platforms?: Platform[] };
}

/** The problems krew would find in `plugin` read from `fileName`; [] when it would accept it. */
function krewProblems(plugin: KrewPlugin, fileName: string): string[] {
  const problems: string[] = [];
  const name = plugin.metadata?.name ?? '';
  if (plugin.apiVersion !== 'krew.googlecontainertools.github.com/v1alpha2') problems.push(`apiVersion ${plugin.apiVersion}`);
  if (plugin.kind !== 'Plugin') problems.push(`kind ${plugin.kind}`);
  if (!/^[\w-]+$/.test(name) || WINDOWS_RESERVED.includes(name.toUpperCase())) problems.push(`name "${name}" not allowed`);
  if (`${name}.yaml` !== fileName) problems.push(`name "${name}" does not match the file ${fileName}`);
  const spec = plugin.spec ?? {};
  if (!spec.shortDescription) problems.push('no shortDescription');
  else if (/[\r\n]/.test(spec.shortDescription)) problems.push('line break in shortDescription');
  if (!spec.version || !SEMVER.test(spec.version)) problems.push(`version "${spec.version}" is not v + semver`);
  if (!spec.platforms || spec.platforms.length === 0) problems.push('no platforms');
  for (const [i, p] of (spec.platforms ?? []).entries()) {
    const at = `platforms[${i}]`;
    if (!p.uri) problems.push(`${at}: no uri`);
    if (!p.sha256) problems.push(`${at}: no sha256`);
    else if (!/^[a-f0-9]{64}$/.test(p.sha256)) problems.push(`${at}: sha256 not 64 lowercase hex digits`);
    if (!p.bin) problems.push(`${at}: no bin`);
    if (p.files !== undefined) {
      if (p.files.length === 0) problems.push(`${at}: files empty`);
      for (const f of p.files) if (!f.from || !f.to) problems.push(`${at}: files entry without from/to`);
    }
    const sel = p.selector;
    if (!sel || (sel.matchLabels === undefined && (sel.matchExpressions ?? []).length === 0)) problems.push(`${at}: empty selector`);
    else {
      const keys = [...Object.keys(sel.matchLabels ?? {}), ...(sel.matchExpressions ?? []).map((e) => e.key)];
      for (const k of keys) if (k !== 'os' && k !== 'arch') problems.push(`${at}: selector key ${k} not supported`);
      if (sel.matchLabels !== undefined && Object.keys(sel.matchLabels).length === 0) problems.push(`${at}: matchLabels empty`);
      const { os, arch } = sel.matchLabels ?? {};
      if (os !== undefined && !KNOWN_OS.includes(os)) problems.push(`${at}: os ${os} is not a GOOS`);
      if (arch !== undefined && !KNOWN_ARCH.includes(arch)) problems.push(`${at}: arch ${arch} is not a GOARCH`);
    }
  }
  return problems;
}

/** The files of a .tar.gz, extracted into a temp dir: name -> mode. */
function archiveFiles(archive: string): Map<string, number> {
  const dir = mkdtempSync(join(tmpdir(), 'istiops-archive-'));
  execFileSync('tar', ['xzf', archive, '-C', dir]);
  return new Map(readdirSync(dir).map((f) => [f, statSync(join(dir, f)).mode & 0o777]));
}

/** Problems of the artifacts in `dir`: the manifest's, and each platform's archive against its sha256 and bin. */
function artifactProblems(dir: string): string[] {
  const plugin = parse(readFileSync(join(dir, 'istiops.yaml'), 'utf8')) as KrewPlugin;
  const problems = krewProblems(plugin, 'istiops.yaml');
  for (const p of plugin.spec?.platforms ?? []) {
    const archive = join(dir, basename(new URL(p.uri ?? 'x:/').pathname));
    if (!existsSync(archive)) {
      problems.push(`${p.uri}: no archive ${basename(archive)}`);
      continue;
    }
    const sha = createHash('sha256').update(readFileSync(archive)).digest('hex');
    if (sha !== p.sha256) {
      problems.push(`${basename(archive)}: sha256 ${sha}, manifest says ${p.sha256}`);
      continue;
    }
    const files = archiveFiles(archive);
    const binMode = files.get(p.bin ?? '');
    if (binMode === undefined) problems.push(`${basename(archive)}: bin ${p.bin} not in the archive`);
    else if ((binMode & 0o111) === 0) problems.push(`${basename(archive)}: bin ${p.bin} not executable`);
    if (!files.has('LICENSE')) problems.push(`${basename(archive)}: no LICENSE`);
  }
  return problems;
}

const valid: KrewPlugin = {
  apiVersion: 'krew.googlecontainertools.github.com/v1alpha2',
  kind: 'Plugin',
  metadata: { name: 'istiops' },
  spec: {
    version: 'v1.2.3',
    shortDescription: 'Shift Istio traffic',
    platforms: [{ selector: { matchLabels: { os: 'linux', arch: 'amd64' } }, uri: 'https://e.x/a.tar.gz', sha256: 'a'.repeat(64), bin: 'istiops' }],
  },
};
const withSpec = (spec: Partial<NonNullable<KrewPlugin['spec']>>): KrewPlugin => ({ ...valid, spec: { ...valid.spec, ...spec } });
const withPlatform = (p: Partial<Platform>): KrewPlugin => withSpec({ platforms: [{ ...valid.spec!.platforms![0], ...p }] });

describe('krew manifest rules', () => {
  it('accept a well-formed manifest', () => expect(krewProblems(valid, 'istiops.yaml')).toEqual([]));

  it.each<[string, KrewPlugin, string]>([
    ['another apiVersion', { ...valid, apiVersion: 'krew.googlecontainertools.github.com/v1alpha1' }, 'apiVersion'],
    ['a name with a dot', { ...valid, metadata: { name: 'istio.ops' } }, 'not allowed'],
    ['a reserved name', { ...valid, metadata: { name: 'con' } }, 'not allowed'],
    ['a version without v', withSpec({ version: '1.2.3' }), 'semver'],
    ['a version that is not semver', withSpec({ version: 'v1.2' }), 'semver'],
    ['a two-line short description', withSpec({ shortDescription: 'a\nb' }), 'line break'],
    ['no platforms', withSpec({ platforms: [] }), 'no platforms'],
    ['no uri', withPlatform({ uri: '' }), 'no uri'],
    ['an uppercase sha256', withPlatform({ sha256: 'A'.repeat(64) }), 'sha256'],
    ['a short sha256', withPlatform({ sha256: 'a'.repeat(63) }), 'sha256'],
    ['no bin', withPlatform({ bin: '' }), 'no bin'],
    ['empty files', withPlatform({ files: [] }), 'files empty'],
    ['a selector on cpu', withPlatform({ selector: { matchLabels: { os: 'linux', cpu: 'x' } } }), 'cpu'],
    ['an empty matchLabels', withPlatform({ selector: { matchLabels: {} } }), 'matchLabels empty'],
    ['no selector', withPlatform({ selector: {} }), 'empty selector'],
    ['node arch names', withPlatform({ selector: { matchLabels: { os: 'linux', arch: 'x64' } } }), 'GOARCH'],
  ])('refuse %s', (_name, plugin, problem) => {
    expect(krewProblems(plugin, 'istiops.yaml').join('; ')).toContain(problem);
  });

  it('refuse a manifest whose name is not its file name', () => {
    expect(krewProblems(valid, 'kubectl-istiops.yaml').join('; ')).toContain('does not match');
  });
});

describe('scripts/release-artifacts.mjs', () => {
  it('packs each executable with LICENSE and writes a manifest krew accepts, with the archives sha256', () => {
    const bin = mkdtempSync(join(tmpdir(), 'istiops-bin-'));
    const out = join(mkdtempSync(join(tmpdir(), 'istiops-release-')), 'release');
    for (const p of ['linux-x64', 'darwin-arm64']) {
      writeFileSync(join(bin, `istiops-${p}`), `#!/bin/sh\necho ${p}\n`);
      chmodSync(join(bin, `istiops-${p}`), 0o755);
    }
    execFileSync(process.execPath, [join(ROOT, 'scripts/release-artifacts.mjs')], {
      env: { ...process.env, ISTIOPS_RELEASE_BIN_DIR: bin, ISTIOPS_RELEASE_OUT_DIR: out, ISTIOPS_RELEASE_URL: 'https://dl.example.com/{version}/{archive}' },
      stdio: 'pipe',
    });
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    expect(readdirSync(out).sort()).toEqual([`istiops-v${version}-darwin-arm64.tar.gz`, `istiops-v${version}-linux-x64.tar.gz`, 'istiops.yaml']);
    expect(artifactProblems(out)).toEqual([]);
    const plugin = parse(readFileSync(join(out, 'istiops.yaml'), 'utf8')) as KrewPlugin;
    expect(plugin.spec?.version).toBe(`v${version}`);
    expect(plugin.spec?.platforms?.map((p) => [p.selector?.matchLabels, p.uri])).toEqual([
      [{ os: 'linux', arch: 'amd64' }, `https://dl.example.com/${version}/istiops-v${version}-linux-x64.tar.gz`],
      [{ os: 'darwin', arch: 'arm64' }, `https://dl.example.com/${version}/istiops-v${version}-darwin-arm64.tar.gz`],
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'istiops-x-'));
    execFileSync('tar', ['xzf', join(out, `istiops-v${version}-darwin-arm64.tar.gz`), '-C', dir]);
    expect(readFileSync(join(dir, 'istiops'), 'utf8')).toContain('darwin-arm64');
    expect(readFileSync(join(dir, 'LICENSE'), 'utf8')).toContain('Apache License');
  });

  it('notices an archive that does not match its sha256', () => {
    const bin = mkdtempSync(join(tmpdir(), 'istiops-bin-'));
    const out = join(mkdtempSync(join(tmpdir(), 'istiops-release-')), 'release');
    writeFileSync(join(bin, 'istiops-linux-x64'), '#!/bin/sh\n');
    execFileSync(process.execPath, [join(ROOT, 'scripts/release-artifacts.mjs')], { env: { ...process.env, ISTIOPS_RELEASE_BIN_DIR: bin, ISTIOPS_RELEASE_OUT_DIR: out }, stdio: 'pipe' });
    const archive = readdirSync(out).find((f) => f.endsWith('.tar.gz'))!;
    writeFileSync(join(out, archive), 'tampered');
    expect(artifactProblems(out).join('; ')).toContain('sha256');
  });
});

// The real artifacts, when `npm run release:artifacts` made them.
describe.skipIf(!existsSync(join(ROOT, 'dist/release/istiops.yaml')))('dist/release', () => {
  it('holds archives and a manifest krew accepts', () => expect(artifactProblems(join(ROOT, 'dist/release'))).toEqual([]));
});
