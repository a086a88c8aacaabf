/**
 * Style-preserving edits of YAML documents (design rule 7: "own only what you touch").
 *
 * Editing a document in a file takes three steps:
 * 1. {@link applyValue} reconciles the document's AST with the new JS value: only nodes whose value
 *    differs are touched, so comments, key order, quoting and flow/block style of the rest survive.
 * 2. {@link stringifyDocument} emits the AST with options detected from the file
 *    ({@link detectStyle}), so that an unmodified kubectl-style document re-stringifies to its source.
 * 3. {@link mergeLines} (a three-way line merge) lays the change over the document's original text,
 *    so that formatting the YAML library cannot reproduce (extra spaces before a comment, `[a,b]`
 *    without padding, trailing blank lines, hex case, ...) also stays as it was wherever the change
 *    does not reach.
 * {@link replaceDocumentValue} runs the three steps on one document of a multi-document file, splices
 * only that document's source range, and verifies the result by parsing it again.
 */
import { diffArrays } from 'diff';
import { isAlias, isCollection, isMap, isNode, isPair, isScalar, isSeq, parse, parseAllDocuments, stringify, visit } from 'yaml';
import type { Document, Node, Scalar, ToStringOptions, YAMLMap, YAMLSeq } from 'yaml';
import { jsonEqual } from '../domain/istio.js';

/** Formatting choices detected from a file, used when emitting changed documents. */
export interface YamlStyle {
  /** Spaces per nesting level of block mappings (default 2). */
  readonly indent: number;
  /** `key:\n  - a` (true) or kubectl's `key:\n- a` (false, the default when the file has no evidence). */
  readonly indentSeq: boolean;
  /** `{ a: 1 }` (true, the default) or `{a: 1}` (false). */
  readonly flowCollectionPadding: boolean;
  /** Prefer single quotes for new strings that need quoting (when the file uses them more than double). */
  readonly singleQuote: boolean;
}

/** The style of the YAML library's defaults, except kubectl's unindented sequences. */
export const DEFAULT_STYLE: YamlStyle = { indent: 2, indentSeq: false, flowCollectionPadding: true, singleQuote: false };

type PlainObject = Record<string, unknown>;

/**
 * An edit that cannot be expressed in the document (a change inside a node shared through an anchor,
 * the removal of a key inherited through a merge key `<<`). `offset` is where, in the parsed source.
 */
export class YamlEditError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.offset = offset;
  }
}

/** Parse options of every manifest: YAML 1.2 values, plus YAML 1.1 merge keys (`<<: *base`) as Kubernetes reads them. */
export const PARSE_OPTIONS = { merge: true } as const;

const YAML11_PLAIN: readonly RegExp[] = [
  /^(?:y|n|yes|no|true|false|on|off|null|~|=|<<)$/i, // booleans, null, value and merge keys, any case
  /^[-+]?(?=[0-9._]*[0-9])[0-9_]*\.?[0-9_]*(?:e[-+]?[0-9]+)?$/i, // integers and floats, with `_` and a sign
  /^[-+]?0(?:x[0-9a-f_]+|o[0-7_]+|b[01_]+|[0-7_]+)$/i, // hex, octal (0o17, 017), binary
  /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/, // sexagesimal 1:20, 1:20:30.5
  /^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)?$/, // dates, timestamps
  /^[-+]?\.(?:inf|nan)$/i,
];

/**
 * Whether a YAML 1.1 reader (kubectl's sigs.k8s.io/yaml, Helm, Argo CD) would read `value`, written as
 * a plain scalar, as something other than this string (a boolean such as `yes`/`on`/`n`, a number such
 * as `1_000`, `0x1f`, `+1`, `1:20`, a date such as `2024-01-01`, null such as `~`): such strings are
 * always written quoted.
 */
export function yaml11Ambiguous(value: string): boolean {
  if (value === '' || YAML11_PLAIN.some((re) => re.test(value))) return true;
  try {
    return typeof parse(value, { version: '1.1' }) !== 'string';
  } catch {
    return true;
  }
}

/** Quotes a string scalar that a YAML 1.1 reader would take for another type (see {@link yaml11Ambiguous}). */
function quoteIfAmbiguous(node: Scalar, singleQuote: boolean): void {
  if (typeof node.value !== 'string') return;
  if (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE') return;
  if (node.type === 'BLOCK_FOLDED' || node.type === 'BLOCK_LITERAL') return;
  if (yaml11Ambiguous(node.value)) node.type = singleQuote ? 'QUOTE_SINGLE' : 'QUOTE_DOUBLE';
}

/** State of one edit: the file's quote preference and the anchors that aliases refer to. */
interface EditContext {
  readonly singleQuote: boolean;
  /** Anchor names some alias (or merge key) of the document refers to. */
  readonly aliased: ReadonlySet<string>;
}

function aliasedAnchors(doc: Document): Set<string> {
  const names = new Set<string>();
  visit(doc, {
    Alias(_, node) {
      names.add(node.source);
    },
  });
  return names;
}

function quoteTree(node: unknown, ctx: EditContext): void {
  if (isScalar(node)) quoteIfAmbiguous(node, ctx.singleQuote);
  else if (isPair(node)) {
    quoteTree(node.key, ctx);
    quoteTree(node.value, ctx);
  } else if (isNode(node)) {
    visit(node, {
      Scalar(_, scalar) {
        quoteIfAmbiguous(scalar, ctx.singleQuote);
      },
    });
  }
}

function isMergeKey(key: unknown): boolean {
  return isScalar(key) && (typeof key.value === 'symbol' || (key.value === '<<' && key.type === 'PLAIN'));
}

function offsetOf(node: unknown): number {
  return isNode(node) && node.range ? node.range[0] : 0;
}

function isPlainObject(value: unknown): value is PlainObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function columnOf(text: string, offset: number): number {
  return offset - (text.lastIndexOf('\n', offset - 1) + 1);
}

function mostCommon<T>(votes: ReadonlyMap<T, number>, fallback: T): T {
  let best = fallback;
  let count = 0;
  for (const [value, n] of votes) {
    if (n > count) {
      best = value;
      count = n;
    }
  }
  return best;
}

function vote<T>(votes: Map<T, number>, value: T): void {
  votes.set(value, (votes.get(value) ?? 0) + 1);
}

/**
 * Detects the formatting of `text` from its parsed documents (`docs` must come from parsing `text`):
 * mapping indentation, whether block sequences under a key are indented, padding inside flow
 * collections and the preferred quote. The most frequent form wins; see {@link YamlStyle} for defaults.
 */
export function detectStyle(docs: readonly Document[], text: string): YamlStyle {
  const indents = new Map<number, number>();
  const seqIndents = new Map<boolean, number>();
  const padding = new Map<boolean, number>();
  let single = 0;
  let double = 0;
  for (const doc of docs) {
    visit(doc, {
      Pair(_, pair) {
        const key = pair.key;
        const value = pair.value;
        if (!isNode(key) || !key.range || !isCollection(value) || value.flow || !value.range) return;
        if (value.items.length === 0) return;
        const keyCol = columnOf(text, key.range[0]);
        const valueCol = columnOf(text, value.range[0]);
        if (isSeq(value)) {
          vote(seqIndents, valueCol > keyCol);
          if (valueCol > keyCol) vote(indents, valueCol - keyCol);
        } else if (valueCol > keyCol) {
          vote(indents, valueCol - keyCol);
        }
      },
      Collection(_, node) {
        if (!node.flow || !node.range || node.items.length === 0) return;
        const after = text[node.range[0] + 1];
        if (after === ' ' || after === '\t') vote(padding, true);
        else if (after !== '\n' && after !== '\r') vote(padding, false);
      },
      Scalar(_, node) {
        if (node.type === 'QUOTE_SINGLE') single++;
        else if (node.type === 'QUOTE_DOUBLE') double++;
      },
    });
  }
  return {
    indent: mostCommon(indents, DEFAULT_STYLE.indent),
    indentSeq: mostCommon(seqIndents, DEFAULT_STYLE.indentSeq),
    flowCollectionPadding: mostCommon(padding, DEFAULT_STYLE.flowCollectionPadding),
    singleQuote: single > double,
  };
}

/**
 * Emits a document in `style`, never folding long lines (`lineWidth: 0`). For kubectl-style YAML
 * (single space before `#` comments, one style per file) an unmodified document comes out exactly as
 * it was parsed, including its comments and a leading `---`.
 * @throws Error from the YAML library when the document cannot be emitted (e.g. an alias whose anchor
 *   was removed).
 */
export function stringifyDocument(doc: Document, style: YamlStyle = DEFAULT_STYLE): string {
  const options: ToStringOptions = {
    indent: style.indent,
    indentSeq: style.indentSeq,
    flowCollectionPadding: style.flowCollectionPadding,
    singleQuote: style.singleQuote ? true : null,
    lineWidth: 0,
    minContentWidth: 0,
  };
  return doc.toString(options);
}

/** Copies a value as JSON would see it: `undefined` object members are dropped, `undefined` array items become null. */
function normalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => (item === undefined ? null : normalize(item)));
  if (isPlainObject(value)) {
    const out: PlainObject = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = normalize(v);
    return out;
  }
  return value;
}

/**
 * How alike two JSON values are, from 0 (nothing in common) to 1 (equal): for mappings the share of
 * keys with alike values, for sequences the share of items with an alike partner. Used to pair the
 * unnamed items of an old and a new sequence (e.g. the catch-all route whose weights changed).
 */
export function similarity(a: unknown, b: unknown): number {
  if (jsonEqual(a, b)) return 1;
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    let sum = 0;
    for (const k of keys) if (Object.hasOwn(a, k) && Object.hasOwn(b, k)) sum += similarity(a[k], b[k]);
    return sum / keys.size;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    let sum = 0;
    for (const x of a) sum += Math.max(0, ...b.map((y) => similarity(x, y)));
    return sum / Math.max(a.length, b.length);
  }
  return 0;
}

function nodeValue(doc: Document, node: unknown): unknown {
  return isNode(node) ? node.toJS(doc) : node;
}

/** The `name` of a mapping item (its identity in a list of routes, subsets, ports), if it has one. */
function identityOf(value: unknown): string | undefined {
  if (!isPlainObject(value)) return undefined;
  const name = value['name'];
  return typeof name === 'string' || typeof name === 'number' ? String(name) : undefined;
}

function freshNode(doc: Document, old: unknown, next: unknown, ctx: EditContext): Node {
  const node = doc.createNode(next, { aliasDuplicateObjects: false }) as Node;
  quoteTree(node, ctx);
  if (isNode(old)) {
    if (old.commentBefore) node.commentBefore = old.commentBefore;
    if (old.spaceBefore) node.spaceBefore = true;
    if (old.comment && isScalar(node)) node.comment = old.comment;
  }
  return node;
}

/** Whether a string can be written as a plain scalar, i.e. quotes around it are a choice, not a need. */
function plainCapable(value: string): boolean {
  return !/^["'|>]/.test(stringify(value, { lineWidth: 0 }));
}

function setScalar(node: Scalar, next: unknown, ctx: EditContext): void {
  const sameType = typeof node.value === typeof next && node.value !== null && next !== null;
  // Quotes the old value needed (`"#x"`, `"0x1F"`) say nothing about the new one; chosen ones are kept.
  // A block style (`|`, `>`) stays only for a value that still spans lines; a plain style gives way
  // to the library's choice (a block) for a value that now does.
  const old = node.value;
  const quoted = node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE';
  const block = node.type === 'BLOCK_FOLDED' || node.type === 'BLOCK_LITERAL';
  const multiline = typeof next === 'string' && next.includes('\n');
  const styleLost =
    (quoted && typeof old === 'string' && !plainCapable(old)) || (block && !multiline) || (node.type === 'PLAIN' && multiline);
  node.value = next;
  if (styleLost) delete node.type;
  delete node.source;
  if (!sameType) {
    delete node.type;
    delete node.format;
    delete node.minFractionDigits;
    delete node.tag;
  } else if (typeof next === 'number' && !Number.isInteger(next)) {
    delete node.format;
  }
  quoteIfAmbiguous(node, ctx.singleQuote);
}

function reconcileMap(doc: Document, map: YAMLMap, next: PlainObject, ctx: EditContext): void {
  if (map.items.some((pair) => isMergeKey(pair.key))) {
    reconcileMergedMap(doc, map, next, ctx);
    return;
  }
  const seen = new Set<string>();
  map.items = map.items.filter((pair) => {
    const key = String((pair.key as Scalar).value);
    if (seen.has(key) || !Object.hasOwn(next, key)) return false;
    seen.add(key);
    pair.value = reconcile(doc, pair.value, next[key], ctx);
    return true;
  });
  for (const [key, value] of Object.entries(next)) {
    if (!seen.has(key)) map.items.push(newPair(doc, key, value, ctx));
  }
}

function newPair(doc: Document, key: string, value: unknown, ctx: EditContext): YAMLMap['items'][number] {
  const pair = doc.createPair(key, value, { aliasDuplicateObjects: false });
  quoteTree(pair, ctx);
  return pair;
}

/**
 * A mapping with merge keys (`<<: *base`, YAML 1.1 as Kubernetes reads it): its own keys are
 * reconciled, an inherited key whose value changes gets an own key that overrides it (the anchor
 * stays as it is), and a removal that the merge would undo fails.
 */
function reconcileMergedMap(doc: Document, map: YAMLMap, next: PlainObject, ctx: EditContext): void {
  const own = new Set(map.items.filter((p) => !isMergeKey(p.key)).map((p) => String((p.key as Scalar).value)));
  const all = nodeValue(doc, map) as PlainObject;
  for (const key of Object.keys(all)) {
    if (!Object.hasOwn(next, key) && !own.has(key)) {
      throw new YamlEditError(`cannot remove "${key}": it comes from a merge key (<<) and removing it would break the anchor`, offsetOf(map));
    }
  }
  map.items = map.items.filter((pair) => {
    if (isMergeKey(pair.key)) return true;
    const key = String((pair.key as Scalar).value);
    if (Object.hasOwn(next, key)) {
      pair.value = reconcile(doc, pair.value, next[key], ctx);
      return true;
    }
    if (mergedSourcesHave(doc, map, key)) {
      throw new YamlEditError(`cannot remove "${key}": a merge key (<<) would supply it again`, offsetOf(pair.key));
    }
    return false;
  });
  for (const [key, value] of Object.entries(next)) {
    if (own.has(key)) continue;
    if (Object.hasOwn(all, key) && jsonEqual(all[key], value)) continue;
    map.items.push(newPair(doc, key, value, ctx));
  }
}

/** Whether a merge key of `map` supplies `key`. */
function mergedSourcesHave(doc: Document, map: YAMLMap, key: string): boolean {
  return map.items.some((pair) => {
    if (!isMergeKey(pair.key)) return false;
    const value = nodeValue(doc, pair.value);
    const sources = Array.isArray(value) ? value : [value];
    return sources.some((source) => isPlainObject(source) && Object.hasOwn(source, key));
  });
}

/**
 * Pairs each new sequence item with an old item node: first deep-equal items (even when they moved),
 * then items with the same `name`, then the most similar remaining items of the same shape (ties go
 * to the closest position), then remaining items at the same position of the same shape.
 */
function pairItems(oldValues: readonly unknown[], next: readonly unknown[]): (number | undefined)[] {
  const used = new Array<boolean>(oldValues.length).fill(false);
  const assigned = new Array<number | undefined>(next.length).fill(undefined);
  const take = (j: number, i: number): void => {
    assigned[j] = i;
    used[i] = true;
  };
  next.forEach((value, j) => {
    const i = oldValues.findIndex((old, k) => !used[k] && jsonEqual(old, value));
    if (i >= 0) take(j, i);
  });
  next.forEach((value, j) => {
    const name = identityOf(value);
    if (assigned[j] !== undefined || name === undefined) return;
    const i = oldValues.findIndex((old, k) => !used[k] && identityOf(old) === name);
    if (i >= 0) take(j, i);
  });
  const sameShape = (a: unknown, b: unknown): boolean =>
    (isPlainObject(a) && isPlainObject(b)) || (Array.isArray(a) && Array.isArray(b));
  const candidates: { j: number; i: number; score: number }[] = [];
  next.forEach((value, j) => {
    if (assigned[j] !== undefined) return;
    oldValues.forEach((old, i) => {
      if (used[i] || !sameShape(old, value)) return;
      const a = identityOf(old);
      const b = identityOf(value);
      if (a !== undefined && b !== undefined && a !== b) return;
      const score = similarity(old, value);
      if (score > 0) candidates.push({ j, i, score });
    });
  });
  candidates.sort((x, y) => y.score - x.score || Math.abs(x.i - x.j) - Math.abs(y.i - y.j) || x.j - y.j);
  for (const { j, i } of candidates) if (assigned[j] === undefined && !used[i]) take(j, i);
  next.forEach((value, j) => {
    const old = oldValues[j];
    if (assigned[j] !== undefined || j >= oldValues.length || used[j]) return;
    const scalars = !isPlainObject(old) && !Array.isArray(old) && !isPlainObject(value) && !Array.isArray(value);
    if (scalars || (sameShape(old, value) && identityOf(old) === undefined && identityOf(value) === undefined)) {
      take(j, j);
    }
  });
  return assigned;
}

function reconcileSeq(doc: Document, seq: YAMLSeq, next: readonly unknown[], ctx: EditContext): void {
  const oldItems = seq.items;
  // The comment above the first item of a block sequence is parsed as the sequence's own; it belongs
  // to that item: it moves down with it (a route inserted before it) and goes when it is removed.
  const first = oldItems[0];
  if (seq.commentBefore && !seq.flow && isNode(first)) {
    first.commentBefore = first.commentBefore ? `${seq.commentBefore}\n${first.commentBefore}` : seq.commentBefore;
    delete seq.commentBefore;
  }
  const assigned = pairItems(
    oldItems.map((item) => nodeValue(doc, item)),
    next,
  );
  seq.items = next.map((value, j) => {
    const i = assigned[j];
    return i === undefined ? freshNode(doc, undefined, value, ctx) : reconcile(doc, oldItems[i], value, ctx);
  });
}

function reconcile(doc: Document, node: unknown, next: unknown, ctx: EditContext): unknown {
  if (isNode(node) && jsonEqual(nodeValue(doc, node), next)) return node;
  // An alias is replaced by the new value written out; the anchor and its other aliases stay.
  if (isAlias(node)) return freshNode(doc, node, next, ctx);
  if (isNode(node) && node.anchor !== undefined && ctx.aliased.has(node.anchor)) {
    throw new YamlEditError(
      `the change falls inside the node anchored &${node.anchor}, which aliases or merge keys (<<) also use; edit it by hand`,
      offsetOf(node),
    );
  }
  if (isPlainObject(next)) {
    if (isMap(node) && node.items.every((pair) => isScalar(pair.key))) {
      reconcileMap(doc, node, next, ctx);
      return node;
    }
    return freshNode(doc, node, next, ctx);
  }
  if (Array.isArray(next)) {
    if (isSeq(node) && node.items.every((item) => isNode(item))) {
      reconcileSeq(doc, node, next, ctx);
      return node;
    }
    return freshNode(doc, node, next, ctx);
  }
  if (isScalar(node)) {
    setScalar(node, next, ctx);
    return node;
  }
  return freshNode(doc, node, next, ctx);
}

/**
 * Changes `doc` in place so that `doc.toJS()` equals `next` (a JSON-compatible value; `undefined`
 * members count as absent), touching only what differs:
 * - mappings: keys whose values differ are reconciled recursively, removed keys are deleted, new
 *   keys are appended in `next`'s order; the other pairs keep their order, comments and style;
 * - sequences: old item nodes deep-equal to a new item are kept (even when they moved); an item
 *   keeping its identity (same `name`, or the most similar unnamed item of the same shape, or the
 *   same position) is reconciled in place; only new items get new (block style) nodes;
 * - scalars: the value changes only when it differs; quoting style is kept while the type stays.
 * Aliased or anchored nodes that change are replaced by plain nodes. When the reconciled tree still
 * does not convert to `next` (exotic YAML such as merge keys), the document's contents are rebuilt.
 * @returns whether anything changed.
 */
export function applyValue(doc: Document, next: unknown, options: { path?: readonly (string | number)[]; singleQuote?: boolean } = {}): boolean {
  const path = options.path ?? [];
  const target = normalize(next);
  const ctx: EditContext = { singleQuote: options.singleQuote ?? false, aliased: aliasedAnchors(doc) };
  // Walk down to the edited node (a List item), remembering how to put a replacement back.
  let node: unknown = doc.contents;
  let put = (value: unknown): void => {
    doc.contents = value as Node;
  };
  for (const key of path) {
    if (isAlias(node)) throw new YamlEditError('the object is an alias; edit it by hand', offsetOf(node));
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && p.key.value === key);
      if (pair === undefined) throw new Error(`no key ${String(key)} in the document`);
      node = pair.value;
      put = (value) => {
        pair.value = value;
      };
    } else if (isSeq(node) && typeof key === 'number' && key < node.items.length) {
      const seq = node;
      node = seq.items[key];
      put = (value) => {
        seq.items[key] = value;
      };
    } else {
      throw new Error(`no item ${String(key)} in the document`);
    }
  }
  if (jsonEqual(nodeValue(doc, node), target)) return false;
  const expected = path.length === 0 ? target : withValueAt(valueOf(doc), path, target);
  put(reconcile(doc, node, target, ctx));
  let ok: boolean;
  try {
    ok = jsonEqual(doc.toJS(), expected);
  } catch {
    ok = false;
  }
  if (!ok && path.length === 0 && ctx.aliased.size === 0) doc.contents = freshNode(doc, doc.contents, target, ctx);
  else if (!ok) throw new YamlEditError('the change cannot be written without breaking an anchor or merge key (<<); edit it by hand', offsetOf(node));
  return true;
}

/** A copy of `root` with the value at `path` replaced by `value`. */
function withValueAt(root: unknown, path: readonly (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const [key, ...rest] = path as [string | number, ...(string | number)[]];
  if (Array.isArray(root)) return root.map((item: unknown, i) => (i === key ? withValueAt(item, rest, value) : item));
  const object = isPlainObject(root) ? root : {};
  return { ...object, [key]: withValueAt(object[key], rest, value) };
}

function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/** For each item of `a`, the index of the same item in `b` on a longest common subsequence, or -1. */
function matchItems(a: string[], b: string[]): Int32Array {
  const match = new Int32Array(a.length).fill(-1);
  let i = 0;
  let j = 0;
  for (const change of diffArrays(a, b)) {
    const n = change.count;
    if (change.added) {
      j += n;
    } else if (change.removed) {
      i += n;
    } else {
      for (let k = 0; k < n; k++) match[i + k] = j + k;
      i += n;
      j += n;
    }
  }
  return match;
}

function sameItems(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}

/** Where `part` occurs as a contiguous run in `items` (0 for an empty `part`), or -1. */
function indexOfItems(items: readonly string[], part: readonly string[]): number {
  for (let i = 0; i + part.length <= items.length; i++) {
    if (part.every((item, k) => items[i + k] === item)) return i;
  }
  return -1;
}

/** Resolves a region that both `ours` and `theirs` changed. */
type Resolve = (base: string[], ours: string[], theirs: string[]) => string[];

/**
 * diff3 over sequences of strings: items common to all three are anchors; between anchors a region
 * only `ours` changed keeps `ours`, a region only `theirs` changed (or both alike) takes `theirs`, and
 * a region both changed goes to `resolve`.
 */
function diff3(b: string[], o: string[], t: string[], resolve: Resolve): string[] {
  const toOurs = matchItems(b, o);
  const toTheirs = matchItems(b, t);
  const out: string[] = [];
  let bi = 0;
  let oi = 0;
  let ti = 0;
  const region = (bEnd: number, oEnd: number, tEnd: number): void => {
    const bc = b.slice(bi, bEnd);
    const oc = o.slice(oi, oEnd);
    const tc = t.slice(ti, tEnd);
    if (sameItems(tc, bc)) out.push(...oc);
    else if (sameItems(oc, bc) || sameItems(oc, tc)) out.push(...tc);
    else out.push(...resolve(bc, oc, tc));
  };
  for (let k = 0; k < b.length; k++) {
    const ok = toOurs[k] as number;
    const tk = toTheirs[k] as number;
    if (ok < 0 || tk < 0) continue;
    region(k, ok, tk);
    out.push(b[k] as string);
    bi = k + 1;
    oi = ok + 1;
    ti = tk + 1;
  }
  region(b.length, o.length, t.length);
  return out;
}

/** Equal-length regions item by item: `theirs` where `ours` kept the base, `ours` where `theirs` did, else `conflict`. */
function byPosition(b: string[], o: string[], t: string[], conflict: (b: string, o: string, t: string) => string): string[] {
  return b.map((bk, k) => {
    const ok = o[k] as string;
    const tk = t[k] as string;
    if (ok === bk) return tk;
    if (tk === bk) return ok;
    return conflict(bk, ok, tk);
  });
}

/** Merges one line word by word, so that `ours`' spacing (an aligned comment) survives a changed value. */
function mergeLine(base: string, ours: string, theirs: string): string {
  const words = (line: string): string[] => line.split(/(\s+)/).filter((w) => w !== '');
  const resolve: Resolve = (bc, oc, tc) =>
    bc.length === oc.length && oc.length === tc.length ? byPosition(bc, oc, tc, (_, __, t) => t) : tc;
  return diff3(words(base), words(ours), words(theirs), resolve).join('');
}

/**
 * Three-way line merge (diff3): the changes from `base` to `theirs` laid over `ours`. Regions that
 * only `ours` changed keep `ours`; regions that only `theirs` changed take `theirs`. Where both
 * changed: when `ours` holds the base lines plus lines of its own before or after them (blank lines
 * and comments the library drops), those stay around `theirs`; when the three regions have as many
 * lines, lines are merged pairwise, word by word with `words` (so `weight: 90    # canary` keeps its
 * spacing when the weight changes); otherwise `theirs` wins.
 * In {@link replaceDocumentValue}, `ours` is the document's original text, `base` its re-stringified
 * form and `theirs` the re-stringified changed document, so the result is `theirs` with the original
 * formatting wherever the change does not reach. Texts are LF-terminated lines.
 */
export function mergeLines(base: string, ours: string, theirs: string, options: { words?: boolean } = {}): string {
  const words = options.words ?? true;
  const resolve: Resolve = (bc, oc, tc) => {
    const at = indexOfItems(oc, bc);
    if (at >= 0) return [...oc.slice(0, at), ...tc, ...oc.slice(at + bc.length)];
    if (bc.length === oc.length && oc.length === tc.length) {
      return byPosition(bc, oc, tc, (b, o, t) => (words ? mergeLine(b, o, t) : t));
    }
    if (words && bc.length === oc.length) return aligned(bc, oc, tc);
    return tc;
  };
  return diff3(splitLines(base), splitLines(ours), splitLines(theirs), resolve).join('');
}

function indentOf(line: string): number {
  return /^ */.exec(line)?.[0].length ?? 0;
}

/**
 * A region both sides changed where `ours` differs from `base` only line by line (formatting: a
 * sequence indented differently from the style the library emits) and `theirs` inserts or removes
 * lines: lines `theirs` kept from `base` are taken from `ours`, and each new line is shifted as the
 * nearest line before it at the same or a lower indentation was (its sibling or parent in the tree).
 */
function aligned(bc: string[], oc: string[], tc: string[]): string[] {
  const toTheirs = matchItems(bc, tc);
  const fromTheirs = new Int32Array(tc.length).fill(-1);
  toTheirs.forEach((j, i) => {
    if (j >= 0) fromTheirs[j] = i;
  });
  const seen: { indent: number; delta: number }[] = [];
  return tc.map((line, j) => {
    const i = fromTheirs[j] as number;
    const indent = indentOf(line);
    if (i >= 0) {
      seen.push({ indent, delta: indentOf(oc[i] as string) - indentOf(bc[i] as string) });
      return oc[i] as string;
    }
    let delta: number | undefined;
    for (let k = seen.length - 1; k >= 0 && delta === undefined; k--) {
      const s = seen[k] as { indent: number; delta: number };
      if (s.indent <= indent) delta = s.delta;
    }
    // Nothing before it (a route inserted first): shift as the next kept line at its indentation.
    for (let k = j + 1; k < tc.length && delta === undefined; k++) {
      const i2 = fromTheirs[k] as number;
      if (i2 >= 0 && indentOf(tc[k] as string) <= indent) delta = indentOf(oc[i2] as string) - indentOf(bc[i2] as string);
    }
    delta ??= 0;
    seen.push({ indent, delta });
    if (delta > 0) return ' '.repeat(delta) + line;
    if (delta < 0) return line.slice(Math.min(-delta, indent));
    return line;
  });
}

/** Lays `merged` (LF, final newline) into the conventions of `original`: CRLF, BOM, missing final newline. */
function withConventionsOf(original: string, merged: string): string {
  let text = merged;
  const body = original.startsWith('\uFEFF') ? original.slice(1) : original;
  if (body.length > 0 && !body.endsWith('\n') && text.endsWith('\n')) text = text.slice(0, -1);
  if (original.startsWith('\uFEFF')) text = `\uFEFF${text}`;
  if (original.includes('\r\n')) text = text.replace(/\r?\n/g, '\r\n');
  return text;
}

/** `original` as LF-terminated lines without BOM, ready for {@link mergeLines}. */
function plainLines(original: string): string {
  let text = original.startsWith('\uFEFF') ? original.slice(1) : original;
  text = text.replace(/\r\n/g, '\n');
  if (text.length > 0 && !text.endsWith('\n')) text += '\n';
  return text;
}

function parseOrThrow(text: string): Document.Parsed[] {
  const docs = parseAllDocuments(text, PARSE_OPTIONS);
  for (const doc of docs) {
    const error = doc.errors[0];
    if (error) throw new Error(error.message.split('\n')[0]);
  }
  return [...docs];
}

function valueOf(doc: Document): unknown {
  return doc.contents === null ? null : doc.toJS();
}

/** Options of {@link editDocumentSource}. */
export interface EditOptions {
  /** Where in the document the new value goes: `[]` (default) for the whole document, `['items', 3]` for a List item. */
  readonly path?: readonly (string | number)[];
  /** Formatting of new and changed nodes; detected from the document by default. */
  readonly style?: YamlStyle;
}

/**
 * Replaces the value of the single YAML document `source` (one document's text as it stands in a
 * file: its `---`, comments, trailing blank lines), or its value at `options.path`, with `next`, and
 * returns the new text of that document. Only this document is parsed and emitted, so the cost does
 * not grow with the rest of the file. Comments, key order, quoting and untouched formatting are kept
 * (see the module comment); new and changed strings that a YAML 1.1 reader would take for another type
 * are quoted. When the value is unchanged `source` is returned as it is. The result is verified by
 * parsing it again: one document whose value is the expected one.
 * @throws YamlEditError (with the offset in `source`) when the change falls inside a node shared through
 *   an anchor or would undo a merge key; Error when `source` does not parse or no equivalent text can be made.
 */
export function editDocumentSource(source: string, next: unknown, options: EditOptions = {}): string {
  const docs = parseOrThrow(source);
  const doc = docs[0];
  if (doc === undefined || docs.length !== 1) throw new Error(`expected one YAML document, found ${docs.length}`);
  const style = options.style ?? detectStyle(docs, source);
  const base = stringifyDocument(doc, style);
  const changed = applyValue(doc, next, { ...(options.path ? { path: options.path } : {}), singleQuote: style.singleQuote });
  if (!changed) return source;
  const expected = valueOf(doc);
  const theirs = stringifyDocument(doc, style);
  const ours = plainLines(source);
  const attempts = [mergeLines(base, ours, theirs), mergeLines(base, ours, theirs, { words: false }), theirs];
  for (const attempt of attempts) {
    const candidate = withConventionsOf(source, attempt);
    if (verify(candidate, [expected], 0, expected)) return candidate;
  }
  throw new Error('could not produce YAML equivalent to the new value');
}

/**
 * Replaces the value of document `index` (0-based, counting empty documents) of the multi-document
 * YAML `text` with `next`, and returns the new text: {@link editDocumentSource} on that document's
 * text (from its start, or the file's start for the first, to the next document's start). Every other
 * document, every `---` separator and every byte outside the changed document stays identical. When
 * `next` equals the current value the text is returned unchanged. The whole result is verified by
 * parsing it: the document count, the other documents' values and the changed document's value.
 * @throws YamlEditError, or Error when `text` does not parse, `index` is out of range, or no equivalent
 *   text can be made.
 */
export function replaceDocumentValue(text: string, index: number, next: unknown): string {
  const docs = parseOrThrow(text);
  const doc = docs[index];
  if (doc === undefined) throw new Error(`document ${index + 1} not found (the text has ${docs.length})`);
  const target = normalize(next);
  if (jsonEqual(valueOf(doc), target)) return text;
  const values = docs.map(valueOf);
  const start = index === 0 ? 0 : doc.range[0];
  const following = docs[index + 1];
  const end = following === undefined ? text.length : following.range[0];
  const edited = editDocumentSource(text.slice(start, end), target, { style: detectStyle(docs, text) });
  const candidate = text.slice(0, start) + edited + text.slice(end);
  if (!verify(candidate, values, index, target)) throw new Error('could not produce YAML equivalent to the new value');
  return candidate;
}

function verify(text: string, values: readonly unknown[], index: number, target: unknown): boolean {
  try {
    const docs = parseOrThrow(text);
    return (
      docs.length === values.length &&
      docs.every((doc, k) => jsonEqual(valueOf(doc), k === index ? target : values[k]))
    );
  } catch {
    return false;
  }
}
