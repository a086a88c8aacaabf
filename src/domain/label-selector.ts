import { UsageError } from '../errors.js';

/**
 * One requirement of a Kubernetes label selector
 * (kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors).
 */
export type LabelRequirement =
  | { readonly key: string; readonly op: 'equals'; readonly value: string }
  | { readonly key: string; readonly op: 'notEquals'; readonly value: string }
  | { readonly key: string; readonly op: 'in'; readonly values: readonly string[] }
  | { readonly key: string; readonly op: 'notIn'; readonly values: readonly string[] }
  | { readonly key: string; readonly op: 'exists' }
  | { readonly key: string; readonly op: 'doesNotExist' };

/** A parsed label selector: every requirement must hold (comma = AND). Empty selects everything. */
export type LabelSelector = readonly LabelRequirement[];

const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * Checks a label key: an optional DNS-1123 subdomain prefix (at most 253 characters) and `/`, then a
 * name of at most 63 characters of alphanumerics, `-`, `_`, `.`, starting and ending alphanumeric.
 * Returns an error text, or `undefined` when valid.
 */
export function labelKeyError(key: string): string | undefined {
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix))) {
    return `label key "${key}" has an invalid prefix (a DNS-1123 subdomain)`;
  }
  if (name.length === 0 || name.length > 63 || !NAME.test(name)) {
    return `label key "${key}" is invalid (at most 63 characters: alphanumerics, '-', '_', '.', starting and ending alphanumeric)`;
  }
  return undefined;
}

/** Checks a label value: empty, or at most 63 characters like a label name. Returns an error text or `undefined`. */
export function labelValueError(value: string): string | undefined {
  if (value === '') return undefined;
  if (value.length > 63 || !NAME.test(value)) {
    return `label value "${value}" is invalid (at most 63 characters: alphanumerics, '-', '_', '.', starting and ending alphanumeric)`;
  }
  return undefined;
}

type Token =
  | { kind: 'word'; text: string }
  | { kind: 'op'; text: '=' | '==' | '!=' | '!' | '(' | ')' | ',' };

function tokenize(text: string, flag: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === ' ' || c === '\t') {
      i++;
    } else if (c === '=' && text[i + 1] === '=') {
      tokens.push({ kind: 'op', text: '==' });
      i += 2;
    } else if (c === '!' && text[i + 1] === '=') {
      tokens.push({ kind: 'op', text: '!=' });
      i += 2;
    } else if (c === '=' || c === '!' || c === '(' || c === ')' || c === ',') {
      tokens.push({ kind: 'op', text: c });
      i++;
    } else {
      let j = i;
      while (j < text.length && !' \t=!(),'.includes(text[j] as string)) j++;
      tokens.push({ kind: 'word', text: text.slice(i, j) });
      i = j;
    }
  }
  if (tokens.length === 0) throw new UsageError(`${flag}: empty selector`);
  return tokens;
}

/**
 * Parses a Kubernetes label selector: `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`,
 * joined by commas (AND). `flag` names the flag in error messages.
 * @throws UsageError naming the flag when the text does not follow the grammar or a key or value is invalid.
 */
export function parseLabelSelector(text: string, flag = '--label-selector'): LabelSelector {
  const tokens = tokenize(text, flag);
  const requirements: LabelRequirement[] = [];
  let pos = 0;
  const fail = (why: string): never => {
    throw new UsageError(`${flag} "${text}": ${why}`);
  };
  const next = (): Token | undefined => tokens[pos++];
  const peek = (): Token | undefined => tokens[pos];
  const word = (what: string): string => {
    const t = next();
    if (t?.kind !== 'word') return fail(`expected ${what}`);
    return t.text;
  };
  const checkKey = (key: string): string => {
    const err = labelKeyError(key);
    return err ? fail(err) : key;
  };
  const checkValue = (value: string): string => {
    const err = labelValueError(value);
    return err ? fail(err) : value;
  };
  for (;;) {
    const first = peek();
    if (first?.kind === 'op' && first.text === '!') {
      next();
      requirements.push({ key: checkKey(word('a label key after "!"')), op: 'doesNotExist' });
    } else {
      const key = checkKey(word('a label key'));
      const op = peek();
      if (op === undefined || (op.kind === 'op' && op.text === ',')) {
        requirements.push({ key, op: 'exists' });
      } else if (op.kind === 'op' && (op.text === '=' || op.text === '==' || op.text === '!=')) {
        next();
        const t = peek();
        const value = t?.kind === 'word' ? (next(), t.text) : '';
        requirements.push(
          op.text === '!='
            ? { key, op: 'notEquals', value: checkValue(value) }
            : { key, op: 'equals', value: checkValue(value) },
        );
      } else if (op.kind === 'word' && (op.text === 'in' || op.text === 'notin')) {
        next();
        const open = next();
        if (open?.kind !== 'op' || open.text !== '(') fail(`expected "(" after "${op.text}"`);
        const values: string[] = [];
        for (;;) {
          const t = peek();
          values.push(t?.kind === 'word' ? (next(), checkValue(t.text)) : '');
          const sep = next();
          if (sep?.kind === 'op' && sep.text === ')') break;
          if (sep?.kind !== 'op' || sep.text !== ',') fail(`expected "," or ")" in the value set of "${key}"`);
        }
        requirements.push(op.text === 'in' ? { key, op: 'in', values } : { key, op: 'notIn', values });
      } else {
        fail(`unexpected "${op.text}" after "${key}"`);
      }
    }
    const sep = next();
    if (sep === undefined) break;
    if (sep.kind !== 'op' || sep.text !== ',') fail(`unexpected "${sep.text}"`);
  }
  return requirements;
}

/** True when `labels` satisfy every requirement of `selector` (Kubernetes semantics: `!=` and `notin` hold when the key is absent). */
export function matchesSelector(selector: LabelSelector, labels: Readonly<Record<string, string>> | undefined): boolean {
  const l = labels ?? {};
  return selector.every((r) => {
    const has = Object.hasOwn(l, r.key);
    const v = l[r.key];
    switch (r.op) {
      case 'equals':
        return has && v === r.value;
      case 'notEquals':
        return !has || v !== r.value;
      case 'in':
        return has && r.values.includes(v as string);
      case 'notIn':
        return !has || !r.values.includes(v as string);
      case 'exists':
        return has;
      case 'doesNotExist':
        return !has;
    }
  });
}

/** The canonical text of a selector, as sent in the `labelSelector` query parameter. */
export function formatSelector(selector: LabelSelector): string {
  return selector
    .map((r) => {
      switch (r.op) {
        case 'equals':
          return `${r.key}=${r.value}`;
        case 'notEquals':
          return `${r.key}!=${r.value}`;
        case 'in':
          return `${r.key} in (${r.values.join(',')})`;
        case 'notIn':
          return `${r.key} notin (${r.values.join(',')})`;
        case 'exists':
          return r.key;
        case 'doesNotExist':
          return `!${r.key}`;
      }
    })
    .join(',');
}
