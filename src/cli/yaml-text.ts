// YAML text for output and diffs, and YAML parsing for the CLI's own reads (kubeconfig names for
// completion). A static import here (loaded lazily by the CLI) keeps the bundled CommonJS `yaml`
// package's named exports intact.
import { parse, stringify } from 'yaml';

/** YAML text of a value, without folding long lines. */
export function toYamlText(value: unknown): string {
  return stringify(value, { lineWidth: 0 });
}

/** Parses YAML text (one document). */
export function parseYamlText(text: string): unknown {
  return parse(text) as unknown;
}
