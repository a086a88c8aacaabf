/**
 * JSON helpers and the two patch formats the API server accepts for custom
 * resources: JSON merge patch (RFC 7386) and JSON patch (RFC 6902).
 *
 * @module
 */

/** Any JSON value. */
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;

/** A JSON object. */
export interface JsonObject {
  [key: string]: JsonValue;
}

/** Thrown when a patch document is malformed (the API server answers 400). */
export class PatchFormatError extends Error {
  override name = 'PatchFormatError';
}

/** Thrown when a well-formed JSON patch cannot be applied, including a failed `test` (the API server answers 422). */
export class PatchApplyError extends Error {
  override name = 'PatchApplyError';
}

/** True for a non-null, non-array object. */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Deep copy of a JSON value. */
export function cloneJson<T extends JsonValue>(value: T): T {
  return structuredClone(value);
}

/** Structural equality of two JSON values (object key order is irrelevant). */
export function jsonEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((item, i) => jsonEqual(item, b[i]));
  }
  if (isJsonObject(a) && isJsonObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}

/** Applies an RFC 7386 merge patch; `null` removes a member, arrays are replaced wholesale. */
export function applyMergePatch(target: JsonValue | undefined, patch: JsonValue): JsonValue {
  if (!isJsonObject(patch)) return cloneJson(patch);
  const result: JsonObject = isJsonObject(target) ? cloneJson(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value);
  }
  return result;
}

interface Operation {
  readonly op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  readonly path: string;
  readonly from?: string;
  readonly value?: JsonValue;
}

const OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);

function decodeOperations(patch: JsonValue): Operation[] {
  if (!Array.isArray(patch)) throw new PatchFormatError('json patch must be an array of operations');
  return patch.map((raw, i) => {
    if (!isJsonObject(raw) || typeof raw['op'] !== 'string' || !OPS.has(raw['op'])) {
      throw new PatchFormatError(`json patch operation ${i} has a missing or unknown "op"`);
    }
    const path = raw['path'];
    if (typeof path !== 'string') throw new PatchFormatError(`json patch operation ${i} has no "path"`);
    const op = raw['op'] as Operation['op'];
    const from = raw['from'];
    if ((op === 'move' || op === 'copy') && typeof from !== 'string') {
      throw new PatchFormatError(`json patch operation ${i} (${op}) has no "from"`);
    }
    if ((op === 'add' || op === 'replace' || op === 'test') && !Object.hasOwn(raw, 'value')) {
      throw new PatchFormatError(`json patch operation ${i} (${op}) has no "value"`);
    }
    const value = raw['value'];
    return {
      op,
      path,
      ...(typeof from === 'string' ? { from } : {}),
      ...(value !== undefined ? { value } : {}),
    };
  });
}

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new PatchApplyError(`invalid JSON pointer "${pointer}"`);
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function arrayIndex(token: string, length: number, allowEnd: boolean, pointer: string): number {
  if (allowEnd && token === '-') return length;
  if (!/^(0|[1-9]\d*)$/.test(token)) throw new PatchApplyError(`invalid array index "${token}" in "${pointer}"`);
  const index = Number(token);
  if (index > length || (!allowEnd && index === length)) throw new PatchApplyError(`array index out of range in "${pointer}"`);
  return index;
}

/** Resolves the parent container of `pointer` and the last token. */
function locate(doc: JsonValue, pointer: string): { parent: JsonObject | JsonValue[]; token: string } {
  const tokens = parsePointer(pointer);
  const last = tokens.pop();
  if (last === undefined) throw new PatchApplyError('operations on the document root are not supported');
  let node: JsonValue = doc;
  for (const token of tokens) {
    let child: JsonValue | undefined;
    if (Array.isArray(node)) child = node[arrayIndex(token, node.length, false, pointer)];
    else if (isJsonObject(node)) child = Object.hasOwn(node, token) ? node[token] : undefined;
    if (child === undefined || (typeof child !== 'object' || child === null)) {
      throw new PatchApplyError(`path "${pointer}" does not exist`);
    }
    node = child;
  }
  if (!Array.isArray(node) && !isJsonObject(node)) throw new PatchApplyError(`path "${pointer}" does not exist`);
  return { parent: node, token: last };
}

function getAt(doc: JsonValue, pointer: string): JsonValue {
  const { parent, token } = locate(doc, pointer);
  const value = Array.isArray(parent)
    ? parent[arrayIndex(token, parent.length, false, pointer)]
    : Object.hasOwn(parent, token)
      ? parent[token]
      : undefined;
  if (value === undefined) throw new PatchApplyError(`path "${pointer}" does not exist`);
  return value;
}

function removeAt(doc: JsonValue, pointer: string): JsonValue {
  const { parent, token } = locate(doc, pointer);
  if (Array.isArray(parent)) {
    const [removed] = parent.splice(arrayIndex(token, parent.length, false, pointer), 1);
    if (removed === undefined) throw new PatchApplyError(`path "${pointer}" does not exist`);
    return removed;
  }
  const removed = Object.hasOwn(parent, token) ? parent[token] : undefined;
  if (removed === undefined) throw new PatchApplyError(`unable to remove nonexistent key "${token}" at "${pointer}"`);
  delete parent[token];
  return removed;
}

function addAt(doc: JsonValue, pointer: string, value: JsonValue, replace: boolean): void {
  const { parent, token } = locate(doc, pointer);
  if (Array.isArray(parent)) {
    const index = arrayIndex(token, parent.length, !replace, pointer);
    parent.splice(index, replace ? 1 : 0, value);
    return;
  }
  if (replace && !Object.hasOwn(parent, token)) {
    throw new PatchApplyError(`replace operation does not apply: doc is missing key "${pointer}"`);
  }
  parent[token] = value;
}

/**
 * Applies an RFC 6902 JSON patch to a copy of `doc`.
 *
 * @throws {@link PatchFormatError} when `patch` is not a list of valid operations.
 * @throws {@link PatchApplyError} when an operation does not apply or a `test` fails.
 */
export function applyJsonPatch(doc: JsonObject, patch: JsonValue): JsonObject {
  const operations = decodeOperations(patch);
  const result = cloneJson(doc);
  for (const op of operations) {
    switch (op.op) {
      case 'add':
      case 'replace':
        addAt(result, op.path, cloneJson(op.value ?? null), op.op === 'replace');
        break;
      case 'remove':
        removeAt(result, op.path);
        break;
      case 'move': {
        const from = op.from ?? '';
        if (op.path.startsWith(from + '/')) throw new PatchApplyError(`cannot move "${from}" into its own child`);
        addAt(result, op.path, removeAt(result, from), false);
        break;
      }
      case 'copy':
        addAt(result, op.path, cloneJson(getAt(result, op.from ?? '')), false);
        break;
      case 'test': {
        let actual: JsonValue | undefined;
        try {
          actual = getAt(result, op.path);
        } catch {
          actual = undefined;
        }
        if (!jsonEqual(actual, op.value ?? null)) {
          throw new PatchApplyError(`testing value ${op.path} failed: test failed`);
        }
        break;
      }
    }
  }
  return result;
}
