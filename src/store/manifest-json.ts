/**
 * JSON manifests (design rule 7: "a `.json` file stays JSON"): parsing with positions for `file:line`
 * messages, and edits that change only the members whose values differ, formatted like the file
 * (indentation of 2 or 4 spaces or a tab, line endings), so that `jq` and `kubectl` read the result
 * and untouched lines stay byte-identical.
 */
import { applyEdits, getNodeValue, modify, parseTree, printParseErrorCode } from 'jsonc-parser';
import type { FormattingOptions, JSONPath, Node as JsonNode, ParseError } from 'jsonc-parser';
import { jsonEqual } from '../domain/istio.js';

/** A JSON syntax error at `offset` (UTF-16 offset into the text, BOM included). */
export class JsonSyntaxError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.offset = offset;
  }
}

const BOM = '\uFEFF';

/** One object of a JSON file: the root, or an item of a root `kind: List`. */
export interface JsonObjectAt {
  readonly path: JSONPath;
  readonly value: unknown;
  /** UTF-16 offset of the object in the text (BOM included). */
  readonly offset: number;
}

/**
 * Parses strict JSON (no comments, no trailing commas).
 * @returns the root value and its tree (offsets relative to the text without BOM).
 * @throws JsonSyntaxError at the first error.
 */
export function parseJson(text: string): { value: unknown; tree: JsonNode | undefined } {
  const bom = text.startsWith(BOM) ? 1 : 0;
  const errors: ParseError[] = [];
  const tree = parseTree(text.slice(bom), errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const error = errors[0];
  if (error) throw new JsonSyntaxError(`invalid JSON: ${printParseErrorCode(error.error)}`, error.offset + bom);
  return { value: tree === undefined ? undefined : getNodeValue(tree) as unknown, tree };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The objects of a parsed JSON file: the root object, or, for a `kind: List` root, each item of its
 * `items` (objects only).
 */
export function jsonObjects(text: string): JsonObjectAt[] {
  const bom = text.startsWith(BOM) ? 1 : 0;
  const { value, tree } = parseJson(text);
  if (!isPlainObject(value) || tree === undefined) return [];
  if (value['kind'] === 'List' && Array.isArray(value['items'])) {
    const itemsNode = tree.children?.find((p) => p.children?.[0]?.value === 'items')?.children?.[1];
    return value['items'].flatMap((item: unknown, i) =>
      isPlainObject(item) ? [{ path: ['items', i], value: item, offset: (itemsNode?.children?.[i]?.offset ?? tree.offset) + bom }] : [],
    );
  }
  return [{ path: [], value, offset: tree.offset + bom }];
}

/** Formatting of a JSON text: the first indented line decides (tab, else its count of spaces; default 2). */
export function detectJsonFormat(text: string): FormattingOptions {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const indent = /\n([ \t]+)["{[\]}0-9tfn-]/.exec(text)?.[1];
  if (indent?.startsWith('\t')) return { insertSpaces: false, tabSize: 1, eol };
  return { insertSpaces: true, tabSize: indent ? indent.length : 2, eol };
}

function normalize(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value ?? null)) as unknown;
}

/**
 * Replaces the value at `path` (`[]` for the root, `['items', 3]` for a List item) of the JSON `text`
 * by `next`, editing only members whose values differ (removed members deleted, new members appended,
 * arrays of another length replaced whole). BOM, line endings, indentation and the final newline stay.
 * @throws JsonSyntaxError when `text` is not JSON; Error when the result does not parse back to the
 *   expected value.
 */
export function replaceJsonValue(text: string, path: readonly (string | number)[], next: unknown): string {
  const bom = text.startsWith(BOM) ? BOM : '';
  let body = text.slice(bom.length);
  const { value: root } = parseJson(text);
  const target = normalize(next);
  let current: unknown = root;
  for (const key of path) current = (current as Record<string | number, unknown> | undefined)?.[key];
  if (jsonEqual(current, target)) return text;
  const formattingOptions = detectJsonFormat(body);
  const set = (at: JSONPath, value: unknown): void => {
    body = applyEdits(body, modify(body, at, value, { formattingOptions }));
  };
  const walk = (at: JSONPath, old: unknown, value: unknown): void => {
    if (jsonEqual(old, value)) return;
    if (isPlainObject(old) && isPlainObject(value)) {
      for (const key of Object.keys(old)) if (!Object.hasOwn(value, key)) set([...at, key], undefined);
      for (const [key, v] of Object.entries(value)) {
        if (Object.hasOwn(old, key)) walk([...at, key], old[key], v);
        else set([...at, key], v);
      }
      return;
    }
    if (Array.isArray(old) && Array.isArray(value) && old.length === value.length) {
      value.forEach((v, i) => walk([...at, i], old[i], v));
      return;
    }
    set(at, value);
  };
  walk([...path], current, target);
  const result = bom + body;
  let expected = normalize(root);
  if (path.length === 0) expected = target;
  else {
    let parent = expected as Record<string | number, unknown>;
    for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
    parent[path[path.length - 1] as string | number] = target;
  }
  if (!jsonEqual(JSON.parse(body) as unknown, expected)) throw new Error('could not produce JSON equivalent to the new value');
  return result;
}
