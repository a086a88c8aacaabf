import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DestinationRule, VirtualService } from '../domain/istio.js';
import { ManifestStore } from '../store/manifest-store.js';
import { renderFileDiff } from './diff.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

const DR = 'apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: api\nspec:\n  host: api\n  subsets:\n  - name: v1\n    labels:\n      version: v1\n';
const VS = {
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name: 'api' },
  spec: { hosts: ['api'], http: [{ route: [{ destination: { host: 'api', subset: 'v1' } }] }] },
};

/** A repository with a CRLF YAML file in a subfolder, a JSON file without final newline, and an untouched file. */
function repository(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'istiops-diff-'));
  dirs.push(root);
  fs.mkdirSync(path.join(root, 'apps/api'), { recursive: true });
  fs.writeFileSync(path.join(root, 'apps/api/dr.yaml'), `# rules\r\n${DR.replace(/\n/g, '\r\n')}`);
  fs.writeFileSync(path.join(root, 'apps/api/vs.json'), JSON.stringify(VS, null, 2));
  fs.writeFileSync(path.join(root, 'other.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n');
  return root;
}

async function planned(root: string): Promise<{ store: ManifestStore; objects: [DestinationRule, VirtualService] }> {
  const store = new ManifestStore({ paths: [root] });
  const state = await store.read({ namespace: 'default', labelSelector: [], readiness: { kind: 'none' }, subsetUsers: false });
  const dr = structuredClone(state.destinationRules[0]!);
  dr.spec.subsets = [...(dr.spec.subsets ?? []), { name: 'v2', labels: { version: 'v2' } }];
  const vs = structuredClone(state.virtualServices[0]!);
  vs.spec.http = [{ route: [{ destination: { host: 'api', subset: 'v1' }, weight: 90 }, { destination: { host: 'api', subset: 'v2' }, weight: 10 }] }];
  return { store, objects: [dr, vs] };
}

function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else out[path.relative(root, full)] = fs.readFileSync(full, 'utf8');
    }
  };
  walk(root);
  return out;
}

describe('renderFileDiff', () => {
  it('prints a diff that patch -p0 applies in the working directory, giving the files a real write gives', async () => {
    const root = repository();
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'istiops-diff-copy-'));
    dirs.push(copy);
    fs.cpSync(root, copy, { recursive: true });

    const preview = await planned(root);
    const diff = renderFileDiff(await preview.store.previewFiles(preview.objects), root);
    expect(diff).toContain('--- apps/api/dr.yaml\n+++ apps/api/dr.yaml\n');
    expect(diff).toContain('--- apps/api/vs.json\n+++ apps/api/vs.json\n');
    expect(diff).not.toContain('other.yaml');

    const real = await planned(root);
    for (const object of real.objects) await real.store.write(object, { serverDryRun: false });
    execFileSync('patch', ['-p0', '--quiet', '--no-backup-if-mismatch'], { cwd: copy, input: diff });
    expect(snapshot(copy)).toEqual(snapshot(root));
  });

  it('names files relative to the working directory, also from a subfolder', () => {
    const diff = renderFileDiff([{ path: '/repo/apps/a.yaml', before: 'a: 1\n', after: 'a: 2\n' }], '/repo/apps');
    expect(diff.split('\n').slice(0, 3)).toEqual(['--- a.yaml', '+++ a.yaml', '@@ -1,1 +1,1 @@']);
  });

  it('prints nothing when no file changes', () => {
    expect(renderFileDiff([{ path: 'a.yaml', before: 'a: 1\n', after: 'a: 1\n' }], '/')).toBe('');
  });
});
