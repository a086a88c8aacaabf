import path from 'node:path';
import { createTwoFilesPatch } from 'diff';
import type { PlannedWrite } from '../domain/changes.js';
import { describeObject } from '../domain/istio.js';
import type { FilePreview } from '../store/route-store.js';
import { toYamlText } from './yaml-text.js';

/** Drops the `Index:` and `=====` lines jsdiff prints and trailing blanks of the `---`/`+++` headers. */
function tidy(patch: string): string {
  return patch
    .split('\n')
    .filter((line) => !line.startsWith('=====') && !line.startsWith('Index: '))
    .map((line) => (line.startsWith('--- ') || line.startsWith('+++ ') ? line.trimEnd() : line))
    .join('\n');
}

/** A unified diff of each planned write, the object's YAML before and after, as `--dry-run` prints it. */
export function unifiedDiff(writes: readonly PlannedWrite[]): string {
  return writes
    .map((w) => {
      const name = describeObject(w.after).replace(' ', '/');
      return tidy(createTwoFilesPatch(`a/${name}`, `b/${name}`, toYamlText(w.before), toYamlText(w.after), '', '', { context: 3 }));
    })
    .join('');
}

/**
 * A unified diff of each changed manifest file (manifest-mode `--dry-run`), with 3 lines of context:
 * both headers name the file relative to `cwd` (`/` separators), so that `patch -p0` run in `cwd`
 * applies it and leaves the files exactly as the real write would. Files whose text does not change
 * are left out; an empty string means nothing would change.
 * @param previews from `RouteStore.previewFiles`.
 * @param cwd the working directory the paths are made relative to (usually `process.cwd()`).
 */
export function renderFileDiff(previews: readonly FilePreview[], cwd: string): string {
  return previews
    .filter((p) => p.before !== p.after)
    .map((p) => {
      const name = path.relative(cwd, path.resolve(cwd, p.path)).split(path.sep).join('/');
      return tidy(createTwoFilesPatch(name, name, p.before, p.after, '', '', { context: 3 }));
    })
    .join('');
}
