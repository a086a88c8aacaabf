import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parseDocument } from 'yaml';
import {
  applyValue,
  DEFAULT_STYLE,
  detectStyle,
  editDocumentSource,
  mergeLines,
  replaceDocumentValue,
  similarity,
  stringifyDocument,
  type YamlStyle,
} from './yaml-edit.js';

const testdata = path.join(path.dirname(fileURLToPath(import.meta.url)), 'testdata');
const fixture = (name: string): string => fs.readFileSync(path.join(testdata, name), 'utf8');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

/** The JS values of every document of `text`. */
const valuesOf = (text: string): Any[] => [...parseAllDocuments(text)].map((doc) => doc.toJS());

/** Applies `mutate` to a copy of document `index` of `text` and writes it back. */
function edit(text: string, index: number, mutate: (value: Any) => void): string {
  const value = valuesOf(text)[index];
  mutate(value);
  return replaceDocumentValue(text, index, value);
}

/** The source text of document `index` (from its start, or the file's start for the first). */
function documentText(text: string, index: number): string {
  const docs = [...parseAllDocuments(text)];
  const start = index === 0 ? 0 : docs[index]!.range[0];
  const end = docs[index + 1]?.range[0] ?? text.length;
  return text.slice(start, end);
}

const managedRoute = (subset: string, host = 'reviews'): Any => ({
  name: subset,
  match: [{ headers: { 'x-cid': { exact: 'seu_madruga' } } }],
  route: [{ destination: { host, subset } }],
});

describe('stringifyDocument with the detected style', () => {
  it.each(['bookinfo.yaml', 'indented.yaml', 'prettier4.yaml'])(
    're-emits every unmodified document of %s byte for byte, comments included',
    (name) => {
      const text = fixture(name);
      const docs = [...parseAllDocuments(text)];
      const style = detectStyle(docs, text);
      expect(docs.map((doc) => stringifyDocument(doc, style)).join('')).toBe(text);
    },
  );

  it.each<[string, string, YamlStyle]>([
    ['kubectl style', 'bookinfo.yaml', { indent: 2, indentSeq: false, flowCollectionPadding: true, singleQuote: false }],
    ['indented sequences, unpadded flow', 'indented.yaml', { indent: 2, indentSeq: true, flowCollectionPadding: false, singleQuote: false }],
    ['four-space indentation', 'prettier4.yaml', { indent: 4, indentSeq: true, flowCollectionPadding: true, singleQuote: false }],
  ])('detects %s', (_, name, style) => {
    const text = fixture(name);
    expect(detectStyle([...parseAllDocuments(text)], text)).toEqual(style);
  });

  it('prefers single quotes when the file uses them more than double quotes', () => {
    const text = "a: 'x'\nb: 'y'\nc: \"z\"\n";
    expect(detectStyle([...parseAllDocuments(text)], text).singleQuote).toBe(true);
  });

  it('falls back to kubectl-style defaults when the file gives no evidence', () => {
    const text = 'a: 1\n';
    expect(detectStyle([...parseAllDocuments(text)], text)).toEqual(DEFAULT_STYLE);
  });
});

describe('applyValue', () => {
  it('reports no change and leaves the document as it was when the value is equal', () => {
    const text = documentText(fixture('bookinfo.yaml'), 1);
    const doc = parseDocument(text);
    expect(applyValue(doc, valuesOf(text)[0])).toBe(false);
    expect(stringifyDocument(doc)).toBe(text);
  });

  it.each<[string, string, (v: Any) => void, string]>([
    ['keeps double quotes on a changed string', 'version: "v2"\n', (v) => (v.version = 'v9'), 'version: "v9"\n'],
    ['keeps single quotes on a changed string', "version: 'v3'\n", (v) => (v.version = 'v9'), "version: 'v9'\n"],
    ['drops quotes when a string becomes a number', 'weight: "90"\n', (v) => (v.weight = 80), 'weight: 80\n'],
    ['keeps a trailing comment on a changed scalar', 'weight: 90 # most\n', (v) => (v.weight = 80), 'weight: 80 # most\n'],
    ['appends a new key at the end', 'b: 1\na: 2\n', (v) => (v.c = 3), 'b: 1\na: 2\nc: 3\n'],
    ['deletes a removed key only', 'b: 1 # keep\na: 2\nc: 3\n', (v) => delete v.a, 'b: 1 # keep\nc: 3\n'],
    ['keeps a flow mapping flow', 'd: {host: r, subset: v1}\n', (v) => (v.d.subset = 'v2'), 'd: { host: r, subset: v2 }\n'],
    ['writes new collections in block style', 'a: 1\n', (v) => (v.m = { x: [1, 2] }), 'a: 1\nm:\n  x:\n  - 1\n  - 2\n'],
    ['replaces a scalar that becomes a mapping', 'fault: none\n', (v) => (v.fault = { abort: { httpStatus: 503 } }), 'fault:\n  abort:\n    httpStatus: 503\n'],
    ['treats undefined members as absent', 'a: 1\nb: 2\n', (v) => (v.b = undefined), 'a: 1\n'],
  ])('%s', (_, text, mutate, expected) => {
    const doc = parseDocument(text);
    const value = doc.toJS();
    mutate(value);
    expect(applyValue(doc, value)).toBe(true);
    expect(stringifyDocument(doc)).toBe(expected);
  });

  it('never writes anchors or aliases for an object used twice in the new value', () => {
    const doc = parseDocument('a: 1\n');
    const shared = { host: 'reviews', subset: 'v1' };
    applyValue(doc, { a: 1, x: shared, y: shared });
    const out = stringifyDocument(doc);
    expect(out).not.toMatch(/[&*]a\d/);
    expect(parseDocument(out).toJS()).toEqual({ a: 1, x: shared, y: shared });
  });

  it('keeps moved sequence items with their comments', () => {
    const doc = parseDocument('l:\n- a # first\n- b # second\n');
    applyValue(doc, { l: ['b', 'a'] });
    expect(stringifyDocument(doc)).toBe('l:\n- b # second\n- a # first\n');
  });

  it('reconciles the item with the same name in place, wherever it moved', () => {
    const doc = parseDocument('l:\n- name: x # X\n  v: 1\n- name: y # Y\n  v: 2\n');
    applyValue(doc, { l: [{ name: 'y', v: 3 }, { name: 'x', v: 1 }] });
    expect(stringifyDocument(doc)).toBe('l:\n- name: y # Y\n  v: 3\n- name: x # X\n  v: 1\n');
  });

  it('rebuilds the document when reconciling cannot reproduce the value (merge keys)', () => {
    const doc = parseDocument('base: &b {x: 1}\nuse:\n  <<: *b\n  y: 2\n', { merge: true });
    const next = { base: { x: 1 }, use: { x: 5, y: 2 } };
    applyValue(doc, next);
    expect(doc.toJS()).toEqual(next);
  });
});

describe('similarity', () => {
  it.each<[string, unknown, unknown, number]>([
    ['equal values', { a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }, 1],
    ['different scalars', 'v1', 'v2', 0],
    ['half the keys alike', { a: 1, b: 2 }, { a: 1, b: 3 }, 0.5],
    ['a mapping and a sequence', { a: 1 }, [1], 0],
  ])('%s', (_, a, b, expected) => {
    expect(similarity(a, b)).toBeCloseTo(expected);
  });
});

describe('mergeLines', () => {
  it.each<[string, string, string, string, string]>([
    ['takes theirs where only theirs changed', 'a\nb\nc\n', 'a\nb\nc\n', 'a\nB\nc\n', 'a\nB\nc\n'],
    ['keeps ours where only ours differs', 'a\nb\nc\n', 'a  \nb\nc\n', 'a\nb\nC\n', 'a  \nb\nC\n'],
    ['puts their insertion before our extra lines at the same place', 'a\n', 'a\n\n', 'a\nb\n', 'a\nb\n\n'],
    ['keeps our lines around a region both changed', 'a\nb\n', 'a\nb\n\n', 'a\n', 'a\n\n'],
    ['merges a line both changed word by word, keeping our spacing', 'w: 90 # canary\n', 'w: 90    # canary\n', 'w: 80 # canary\n', 'w: 80    # canary\n'],
    ['lets theirs win a real conflict', 'a\nb c\nd\n', 'a\nx c\nd\n', 'a\ny c\nd\n', 'a\ny c\nd\n'],
    ['lets theirs win regions of different sizes', 'a\nb\nc\n', 'a\nb1\nb2\nc\n', 'a\nB\nc\n', 'a\nB\nc\n'],
  ])('%s', (_, base, ours, theirs, expected) => {
    expect(mergeLines(base, ours, theirs)).toBe(expected);
  });

  it('takes their whole line when word merging is off', () => {
    expect(mergeLines('w: 90 # c\n', 'w: 90    # c\n', 'w: 80 # c\n', { words: false })).toBe('w: 80 # c\n');
  });
});

describe('replaceDocumentValue', () => {
  const bookinfo = fixture('bookinfo.yaml');

  it('inserts a route at position 0: the comment above the old first route stays with it', () => {
    const out = edit(bookinfo, 0, (vs) => vs.spec.http.unshift(managedRoute('reviews-pr-1-bookinfo')));
    expect(out).toBe(
      bookinfo.replace(
        '  http:\n',
        [
          '  http:',
          '  - name: reviews-pr-1-bookinfo',
          '    match:',
          '    - headers:',
          '        x-cid:',
          '          exact: seu_madruga',
          '    route:',
          '    - destination:',
          '        host: reviews',
          '        subset: reviews-pr-1-bookinfo',
          '',
        ].join('\n'),
      ),
    );
  });

  it('appends a subset at the end of the DestinationRule', () => {
    const out = edit(bookinfo, 1, (dr) =>
      dr.spec.subsets.push({ name: 'reviews-pr-1-bookinfo', labels: { app: 'reviews', build: 'PR-1' } }),
    );
    expect(out).toBe(
      bookinfo.replace(
        "      version: 'v3'\n",
        "      version: 'v3'\n  - name: reviews-pr-1-bookinfo\n    labels:\n      app: reviews\n      build: PR-1\n",
      ),
    );
  });

  it('shifts weights in place, keeping the route comment, retries and timeout', () => {
    const out = edit(bookinfo, 0, (vs) => {
      vs.spec.http[1].route[0].weight = 50;
      vs.spec.http[1].route[1].weight = 50;
    });
    expect(out).toBe(bookinfo.replace('weight: 90', 'weight: 50').replace('weight: 10', 'weight: 50'));
  });

  it('removes a route and a subset without disturbing their neighbours', () => {
    const vsOut = edit(bookinfo, 0, (vs) => vs.spec.http.splice(0, 1));
    const removedRoute = documentText(bookinfo, 0).match(/ {2}# Testers[\s\S]*?subset: v2\n/)![0];
    expect(vsOut).toBe(bookinfo.replace(removedRoute, ''));
    const drOut = edit(bookinfo, 1, (dr) => dr.spec.subsets.splice(1, 1));
    expect(drOut).toBe(bookinfo.replace('  - name: v2\n    labels:\n      version: "v2"\n', ''));
  });

  it('keeps the other documents of the file byte-identical', () => {
    const out = edit(bookinfo, 1, (dr) => (dr.spec.trafficPolicy.loadBalancer.simple = 'ROUND_ROBIN'));
    for (const index of [0, 2]) expect(documentText(out, index)).toBe(documentText(bookinfo, index));
    expect(documentText(out, 1)).toBe(
      documentText(bookinfo, 1).replace('simple: LEAST_REQUEST # was RANDOM', 'simple: ROUND_ROBIN # was RANDOM'),
    );
  });

  it('keeps key order and every comment of the edited document', () => {
    const out = edit(bookinfo, 0, (vs) => {
      vs.spec.http.unshift(managedRoute('reviews-pr-1-bookinfo'));
      vs.spec.http[2].route = [{ destination: { host: 'reviews', subset: 'v3' } }];
      vs.metadata.labels.owner = 'istiops';
    });
    const comments = (text: string): string[] => text.split('\n').filter((l) => l.includes('#')).map((l) => l.trim());
    expect(comments(out)).toEqual(comments(bookinfo));
    const vs = valuesOf(out)[0];
    expect(Object.keys(vs)).toEqual(['apiVersion', 'kind', 'metadata', 'spec']);
    expect(Object.keys(vs.metadata)).toEqual(['name', 'namespace', 'labels']);
    expect(Object.keys(vs.spec.http[2])).toEqual(['route', 'retries', 'timeout']);
    expect(vs.metadata.labels).toEqual({ app: 'reviews', owner: 'istiops' });
  });

  it('returns the very same text when the value did not change', () => {
    expect(replaceDocumentValue(bookinfo, 2, valuesOf(bookinfo)[2])).toBe(bookinfo);
  });

  const changes: [string, number, (v: Any) => void][] = [
    ['bookinfo.yaml', 0, (vs) => vs.spec.http.unshift(managedRoute('reviews-pr-1-bookinfo'))],
    ['bookinfo.yaml', 0, (vs) => (vs.spec.http[1].route = [{ destination: { host: 'reviews', subset: 'v3' } }])],
    ['bookinfo.yaml', 0, (vs) => Object.assign(vs.spec.http[1], { mirror: { host: 'reviews', subset: 'v3' }, mirrorPercentage: { value: 12.5 } })],
    ['bookinfo.yaml', 0, (vs) => (vs.spec.http[0].match[0].headers['end-user'] = { regex: '^(jason|kim)$' })],
    ['bookinfo.yaml', 1, (dr) => dr.spec.subsets.push({ name: 'v4', labels: { version: 'v4' } })],
    ['bookinfo.yaml', 1, (dr) => dr.spec.subsets.splice(0, 1)],
    ['indented.yaml', 0, (vs) => delete vs.metadata.labels.team],
    ['indented.yaml', 0, (vs) => vs.spec.http.unshift(managedRoute('api-domain-pr-2-default', 'api-domain'))],
    ['indented.yaml', 0, (vs) => vs.spec.http[0].route.push({ destination: { host: 'api-domain', subset: 'b' }, weight: 10 })],
    ['indented.yaml', 0, (vs) => (vs.spec.http[0].fault = { delay: { fixedDelay: '5s', percentage: { value: 10 } } })],
    ['prettier4.yaml', 0, (dr) => dr.spec.subsets.unshift({ name: 'api-domain-2-0-0-default', labels: { build: '2.0.0' } })],
    ['quirky.yaml', 0, (vs) => vs.spec.http.unshift(managedRoute('ratings-pr-3-default', 'ratings'))],
    ['quirky.yaml', 0, (vs) => (vs.spec.http[0].route[0].weight = 90)],
  ];

  it.each(changes)('%s document %i: a change and its reverse give back the original bytes (%#)', (name, index, mutate) => {
    const original = fixture(name);
    const changed = edit(original, index, mutate);
    expect(changed).not.toBe(original);
    const mutated = valuesOf(original)[index];
    mutate(mutated);
    expect(valuesOf(changed)[index]).toEqual(mutated);
    expect(replaceDocumentValue(changed, index, valuesOf(original)[index])).toBe(original);
  });

  it('restores removed content in the file\'s plain style: its comments and quotes were removed with it', () => {
    const removed = edit(bookinfo, 1, (dr) => dr.spec.subsets.splice(1, 1));
    const restored = replaceDocumentValue(removed, 1, valuesOf(bookinfo)[1]);
    expect(valuesOf(restored)).toEqual(valuesOf(bookinfo));
    expect(restored).toBe(bookinfo.replace('version: "v2"', 'version: v2'));
  });

  it('keeps formatting the library would normalize wherever the change does not reach', () => {
    const quirky = fixture('quirky.yaml');
    const out = edit(quirky, 0, (vs) => (vs.spec.http[0].route[0].weight = 90));
    expect(out).toBe(quirky.replace('weight: 100', 'weight: 90'));
  });

  it.each<[string, (text: string) => string]>([
    ['CRLF line breaks', (t) => t.replace(/\n/g, '\r\n')],
    ['a byte order mark', (t) => `\uFEFF${t}`],
    ['no final line break', (t) => t.slice(0, -1)],
  ])('keeps %s', (_, convert) => {
    const original = convert(bookinfo);
    const changed = edit(original, 2, (deploy) => (deploy.spec.replicas = 3));
    expect(changed).toBe(convert(bookinfo.replace('replicas: 2', 'replicas: 3')));
    expect(replaceDocumentValue(changed, 2, valuesOf(original)[2])).toBe(original);
  });

  it('handles empty documents and leading separators', () => {
    const text = '---\n# only a comment\n---\na: 1 # one\n---\n';
    const out = replaceDocumentValue(text, 1, { a: 2 });
    expect(out).toBe('---\n# only a comment\n---\na: 2 # one\n---\n');
  });

  it('re-emits the edited document in the nearest style when its own cannot be reproduced (4-space mappings, unindented sequences)', () => {
    const other = 'kind: ConfigMap\nmetadata:\n    name: keep   # untouched\n';
    const text = `spec:\n    subsets:\n    -   name: a\n        labels:\n            app: x\n---\n${other}`;
    const out = edit(text, 0, (v) => v.spec.subsets.push({ name: 'b' }));
    expect(valuesOf(out)[0]).toEqual({ spec: { subsets: [{ name: 'a', labels: { app: 'x' } }, { name: 'b' }] } });
    expect(out.endsWith(`---\n${other}`)).toBe(true);
  });

  it.each<[string, string, number, RegExp]>([
    ['an index past the last document', 'a: 1\n', 3, /document 4 not found/],
    ['text that does not parse', 'a: [1\n', 0, /Flow sequence|must be sufficiently indented|end with a \]/],
  ])('throws for %s', (_, text, index, message) => {
    expect(() => replaceDocumentValue(text, index, { a: 2 })).toThrow(message);
  });
});

describe('replaceDocumentValue on random edits (seeded)', () => {
  /** A small deterministic pseudo-random generator, so that a failure can be replayed. */
  function random(seed: number): () => number {
    let state = seed;
    return () => {
      state = (state * 1103515245 + 12345) & 0x7fffffff;
      return state / 0x7fffffff;
    };
  }

  /** Changes numbers and adds keys and items anywhere, removing nothing. */
  function grow(value: Any, rnd: () => number): Any {
    if (Array.isArray(value)) {
      const items = value.map((item) => (rnd() < 0.4 ? grow(item, rnd) : item));
      if (rnd() < 0.3) items.splice(Math.floor(rnd() * (items.length + 1)), 0, { name: `added-${Math.floor(rnd() * 100)}`, weight: 5 });
      return items;
    }
    if (value !== null && typeof value === 'object') {
      const out: Any = {};
      for (const [k, v] of Object.entries(value)) out[k] = rnd() < 0.4 ? grow(v, rnd) : v;
      if (rnd() < 0.2) out[`added${Math.floor(rnd() * 10)}`] = rnd() < 0.5 ? 'text' : { list: [1, 2] };
      return out;
    }
    return typeof value === 'number' && rnd() < 0.5 ? value + 1 : value;
  }

  /** Also removes keys and items, reorders sequences and changes scalars to values that need quoting. */
  function churn(value: Any, rnd: () => number): Any {
    if (Array.isArray(value)) {
      const items = value.map((item) => (rnd() < 0.3 ? churn(item, rnd) : item));
      if (rnd() < 0.2 && items.length > 0) items.splice(Math.floor(rnd() * items.length), 1);
      if (rnd() < 0.2) items.reverse();
      return items;
    }
    if (value !== null && typeof value === 'object') {
      const out: Any = {};
      for (const [k, v] of Object.entries(value)) {
        if (rnd() < 0.1) continue;
        out[k] = rnd() < 0.4 ? churn(v, rnd) : v;
      }
      return out;
    }
    const replacements = ['#hash', 'yes', '0x1F', 'multi\nline', 7, 1.5, null, true, ''];
    return rnd() < 0.3 ? replacements[Math.floor(rnd() * replacements.length)] : value;
  }

  const files = ['bookinfo.yaml', 'indented.yaml', 'prettier4.yaml', 'quirky.yaml'];

  it('always writes the new value and never touches another document', () => {
    const rnd = random(7);
    for (let n = 0; n < 300; n++) {
      const name = files[n % files.length]!;
      const text = n % 3 === 0 ? fixture(name).replace(/\n/g, '\r\n') : fixture(name);
      const count = valuesOf(text).length;
      const index = Math.floor(rnd() * count);
      const next = churn(valuesOf(text)[index], rnd);
      const out = replaceDocumentValue(text, index, next);
      expect(valuesOf(out)[index], `${name} #${n}`).toEqual(next);
      for (let k = 0; k < count; k++) if (k !== index) expect(documentText(out, k)).toBe(documentText(text, k));
    }
  });

  it('gives back the original bytes of kubectl-style files when additions and number changes are undone', () => {
    const rnd = random(11);
    for (let n = 0; n < 300; n++) {
      const name = files[n % 3]!;
      const text = fixture(name);
      const values = valuesOf(text);
      const index = Math.floor(rnd() * values.length);
      const changed = replaceDocumentValue(text, index, grow(values[index], rnd));
      expect(replaceDocumentValue(changed, index, values[index]), `${name} #${n}`).toBe(text);
    }
  });
});

describe('editDocumentSource', () => {
  it('keeps every untouched line of a document that mixes indented and unindented sequences', () => {
    const source = [
      'apiVersion: networking.istio.io/v1',
      'kind: VirtualService',
      'metadata:',
      '  name: api',
      'spec:',
      '  hosts:',
      '    - api',
      '  gateways:',
      '  - mesh',
      '  http:',
      '  - name: first',
      '    match:',
      '      - uri: {prefix: /a}',
      '    route:',
      '    - destination: {host: api, subset: v1}',
      '  - route:',
      '      - destination: {host: api, subset: v1}',
      '',
    ].join('\n');
    const value = parseDocument(source).toJS() as { spec: { http: unknown[] } };
    const [first, last] = value.spec.http;
    value.spec.http = [
      first,
      { name: 'c', match: [{ headers: { x: { exact: 'yes' } } }], route: [{ destination: { host: 'api', subset: 'v2' } }] },
      { route: [{ destination: { host: 'api', subset: 'v1' }, weight: 80 }, { destination: { host: 'api', subset: 'v2' }, weight: 20 }] },
    ];
    expect(last).toBeDefined();
    const expected = [
      ...source.split('\n').slice(0, 15),
      '  - name: c',
      '    match:',
      '      - headers:',
      '          x:',
      '            exact: "yes"',
      '    route:',
      '      - destination:',
      '          host: api',
      '          subset: v2',
      '  - route:',
      '      - destination: {host: api, subset: v1}',
      '        weight: 80',
      '      - destination:',
      '          host: api',
      '          subset: v2',
      '        weight: 20',
      '',
    ].join('\n');
    expect(editDocumentSource(source, value)).toBe(expected);
  });

  it.each([
    ['yes'], ['on'], ['N'], ['1_000'], ['1:20'], ['2024-01-01'], ['~'], ['0x1f'], ['+1'], ['.inf'],
  ])('quotes the new string %s so that a YAML 1.1 reader keeps it a string', (text) => {
    const out = editDocumentSource('a: b\n', { a: text });
    expect(parseDocument(out, { version: '1.1' }).toJS()).toEqual({ a: text });
  });

  it.each([['plain'], ['v2'], ['yes please'], ['1.2.3']])('leaves the string %s plain', (text) => {
    expect(editDocumentSource('a: b\n', { a: text })).toBe(`a: ${text}\n`);
  });
});
