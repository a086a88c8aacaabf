import { createTwoFilesPatch } from 'diff';
import type { PlannedWrite } from '../domain/changes.js';
import { describeObject } from '../domain/istio.js';
import { toYamlText } from './yaml-text.js';

/** A unified diff of each planned write, the object's YAML before and after, as `--dry-run` prints it. */
export function unifiedDiff(writes: readonly PlannedWrite[]): string {
  return writes
    .map((w) => {
      const name = describeObject(w.after).replace(' ', '/');
      return createTwoFilesPatch(`a/${name}`, `b/${name}`, toYamlText(w.before), toYamlText(w.after), '', '', { context: 3 })
        .split('\n')
        .filter((line) => !line.startsWith('====='))
        .map((line) => (line.startsWith('--- ') || line.startsWith('+++ ') ? line.trimEnd() : line))
        .join('\n');
    })
    .join('');
}
