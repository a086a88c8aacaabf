// YAML text for output and diffs. A static import here (loaded lazily by the CLI) keeps the bundled
// CommonJS `yaml` package's named exports intact.
import { stringify } from 'yaml';

/** YAML text of a value, without folding long lines. */
export function toYamlText(value: unknown): string {
  return stringify(value, { lineWidth: 0 });
}
