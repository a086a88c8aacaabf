/**
 * JSON manifests (design rule 7: "a `.json` file stays JSON"): parsing with positions for `file:line`
 * messages, and edits that change only the members whose values differ, formatted like the file
 * (indentation of 2 or 4 spaces or a tab, line endings), so that `jq` and `kubectl` read the result
 * and untouched lines stay byte-identical.
 */
import { diffArrays } from 'diff';
import { applyEdits, findNodeAtLocation, getNodeValue, modify, parseTree, printParseErrorCode } from 'jsonc-parser';
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
 * by `next`, editing only members whose values differ (removed members deleted, new members appended;
 * in arrays, items that stay keep their text and only added or removed items are inserted or deleted).
 * BOM, line endings, indentation and the final newline stay.
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
    if (Array.isArray(old) && Array.isArray(value)) {
      walkArray(at, old, value);
      return;
    }
    set(at, value);
  };
  /**
   * Edits an array item by item, aligned on the items that stay (jsdiff's LCS of their JSON): items
   * that stay keep their text, a changed item is edited in place, and only added or removed items
   * are inserted or deleted, so that a destination added to a compact `route` list, or one removed
   * from its middle, leaves the other items' lines as they were.
   */
  const walkArray = (at: JSONPath, old: readonly unknown[], value: readonly unknown[]): void => {
    const parts = diffArrays(old.map((v) => JSON.stringify(v)), value.map((v) => JSON.stringify(v)));
    let oldIndex = 0;
    let newIndex = 0;
    for (let p = 0; p < parts.length; p++) {
      const part = parts[p] as (typeof parts)[number];
      if (!part.added && !part.removed) {
        oldIndex += part.count;
        newIndex += part.count;
        continue;
      }
      // A run removed then a run added: pair them up and edit those items in place.
      const next = parts[p + 1];
      const removed = part.removed ? part.count : 0;
      const added = part.added ? part.count : next?.added === true && part.removed ? next.count : 0;
      if (part.removed && next?.added === true) p++;
      const paired = Math.min(removed, added);
      for (let k = 0; k < paired; k++) walk([...at, newIndex + k], old[oldIndex + k], value[newIndex + k]);
      // The rest: delete the removed items left over, insert the added ones.
      for (let k = paired; k < removed; k++) removeItem(at, newIndex + paired);
      for (let k = paired; k < added; k++) insertItem(at, newIndex + k, value[newIndex + k]);
      oldIndex += removed;
      newIndex += added;
    }
  };
  /** The items of the array at `at` in the current text (offsets without BOM). */
  const itemsAt = (at: JSONPath): JsonNode[] => findNodeAtLocation(parseTree(body) as JsonNode, at)?.children ?? [];
  // jsonc-parser formats the lines around its edits, which would reflow a neighbouring compact item;
  // between two items, plain text edits touch nothing else.
  const removeItem = (at: JSONPath, index: number): void => {
    const items = itemsAt(at);
    const item = items[index];
    const before = items[index - 1];
    const after = items[index + 1];
    if (item === undefined || (before === undefined && after === undefined)) return set([...at, index], undefined);
    // `, item` after the previous item, or `item, ` before the next one.
    const [from, to] = before !== undefined ? [before.offset + before.length, item.offset + item.length] : [item.offset, (after as JsonNode).offset];
    body = body.slice(0, from) + body.slice(to);
  };
  const insertItem = (at: JSONPath, index: number, item: unknown): void => {
    const previous = itemsAt(at)[index - 1];
    if (previous === undefined) {
      body = applyEdits(body, modify(body, [...at, index], item, { formattingOptions, isArrayInsertion: true }));
      return;
    }
    // After the previous item, on a line of its own, indented like the previous item's line.
    const lineStart = body.lastIndexOf('\n', previous.offset) + 1;
    const indent = /^[ \t]*/.exec(body.slice(lineStart, previous.offset))?.[0] ?? '';
    const eol = formattingOptions.eol ?? '\n';
    const unit = formattingOptions.insertSpaces === false ? '\t' : ' '.repeat(formattingOptions.tabSize ?? 2);
    const text = JSON.stringify(item, null, unit).split('\n').join(`${eol}${indent}`);
    const end = previous.offset + previous.length;
    body = `${body.slice(0, end)},${eol}${indent}${text}${body.slice(end)}`;
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
