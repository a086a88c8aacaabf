/**
 * Label and field selectors with the grammar of the Kubernetes API server.
 *
 * Label selectors: requirements separated by commas (logical AND), each one of
 * `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k` (exists), `!k`
 * (does not exist), `k>n`, `k<n` (integer comparisons). Whitespace between
 * tokens is ignored. Keys must be qualified names and values label values.
 *
 * @module
 */

/** Operator of one label requirement. */
export type LabelOperator = '=' | '==' | '!=' | 'in' | 'notin' | 'exists' | '!' | '>' | '<';

/** One parsed requirement of a label selector. */
export interface LabelRequirement {
  readonly key: string;
  readonly operator: LabelOperator;
  /** The values to compare against; empty for `exists` and `!`. */
  readonly values: readonly string[];
}

/** Thrown for a selector that does not parse or has an invalid key or value. */
export class SelectorError extends Error {
  override name = 'SelectorError';
}

interface Token {
  readonly kind: 'id' | 'op' | 'end';
  readonly text: string;
}

const OPERATOR_CHARS = new Set(['!', '=', '(', ')', ',', '<', '>']);
const TWO_CHAR_OPERATORS = new Set(['!=', '==']);

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const ch = input.charAt(i);
    if (/\s/.test(ch)) {
      i++;
    } else if (OPERATOR_CHARS.has(ch)) {
      const pair = input.slice(i, i + 2);
      const text = TWO_CHAR_OPERATORS.has(pair) ? pair : ch;
      tokens.push({ kind: 'op', text });
      i += text.length;
    } else {
      let j = i;
      while (j < input.length && !OPERATOR_CHARS.has(input.charAt(j)) && !/\s/.test(input.charAt(j))) j++;
      tokens.push({ kind: 'id', text: input.slice(i, j) });
      i = j;
    }
  }
  tokens.push({ kind: 'end', text: '' });
  return tokens;
}

const NAME_PART = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

/** Throws unless `key` is a valid label key (optional DNS-subdomain prefix, `/`, name of at most 63 chars). */
export function validateLabelKey(key: string): void {
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
    throw new SelectorError(`invalid label key "${key}": prefix must be a DNS-1123 subdomain`);
  }
  if (name.length === 0 || name.length > 63 || !NAME_PART.test(name)) {
    throw new SelectorError(
      `invalid label key "${key}": name part must consist of alphanumeric characters, '-', '_' or '.', ` +
        'start and end with an alphanumeric character, and be at most 63 characters',
    );
  }
}

/** Throws unless `value` is a valid label value (empty, or at most 63 chars of `[-A-Za-z0-9_.]` starting and ending alphanumeric). */
export function validateLabelValue(value: string): void {
  if (value.length > 63 || !LABEL_VALUE.test(value)) {
    throw new SelectorError(
      `invalid label value "${value}": must be 63 characters or less and consist of alphanumeric ` +
        "characters, '-', '_' or '.', starting and ending with an alphanumeric character",
    );
  }
}

class Parser {
  private readonly tokens: Token[];
  private index = 0;

  constructor(input: string) {
    this.tokens = tokenize(input);
  }

  private peek(): Token {
    return this.tokens[this.index] ?? { kind: 'end', text: '' };
  }

  private next(): Token {
    const token = this.peek();
    if (token.kind !== 'end') this.index++;
    return token;
  }

  private fail(expected: string, found: Token): never {
    const text = found.kind === 'end' ? 'end of string' : `'${found.text}'`;
    throw new SelectorError(`found ${text}, expected: ${expected}`);
  }

  private identifier(expected: string): string {
    const token = this.next();
    if (token.kind !== 'id') this.fail(expected, token);
    return token.text;
  }

  private atRequirementEnd(): boolean {
    const token = this.peek();
    return token.kind === 'end' || (token.kind === 'op' && token.text === ',');
  }

  parse(): LabelRequirement[] {
    const requirements: LabelRequirement[] = [];
    if (this.peek().kind === 'end') return requirements;
    for (;;) {
      requirements.push(this.requirement());
      const token = this.next();
      if (token.kind === 'end') return requirements;
      if (token.text !== ',') this.fail("',' or end of string", token);
    }
  }

  private requirement(): LabelRequirement {
    const first = this.next();
    if (first.kind === 'op' && first.text === '!') {
      const key = this.identifier('identifier after !');
      validateLabelKey(key);
      return { key, operator: '!', values: [] };
    }
    if (first.kind !== 'id') this.fail("'!' or identifier", first);
    const key = first.text;
    validateLabelKey(key);
    if (this.atRequirementEnd()) return { key, operator: 'exists', values: [] };

    const op = this.next();
    if (op.kind === 'op' && (op.text === '=' || op.text === '==' || op.text === '!=')) {
      const value = this.atRequirementEnd() ? '' : this.identifier('label value');
      validateLabelValue(value);
      return { key, operator: op.text, values: [value] };
    }
    if (op.kind === 'op' && (op.text === '>' || op.text === '<')) {
      const value = this.identifier('integer value');
      if (!/^-?\d+$/.test(value)) throw new SelectorError(`for '${op.text}' operator, the value must be an integer, got "${value}"`);
      return { key, operator: op.text, values: [value] };
    }
    if (op.kind === 'id' && (op.text === 'in' || op.text === 'notin')) {
      return { key, operator: op.text, values: this.valueSet() };
    }
    return this.fail("'=', '==', '!=', 'in', 'notin', '<', '>', ',' or end of string", op);
  }

  /** Parses `( v1, v2, ... )`. Like the API server, `()` means the set `{""}`. */
  private valueSet(): string[] {
    const open = this.next();
    if (open.text !== '(' || open.kind !== 'op') this.fail("'('", open);
    const values: string[] = [];
    for (;;) {
      const token = this.peek();
      const value = token.kind === 'id' ? this.next().text : '';
      validateLabelValue(value);
      values.push(value);
      const separator = this.next();
      if (separator.kind === 'op' && separator.text === ')') return values;
      if (separator.kind !== 'op' || separator.text !== ',') this.fail("',' or ')'", separator);
    }
  }
}

/**
 * Parses a label selector. The empty string (or only whitespace) selects everything.
 *
 * @throws {@link SelectorError} when the selector is invalid.
 */
export function parseLabelSelector(selector: string): LabelRequirement[] {
  return new Parser(selector).parse();
}

/** True when `labels` satisfy one requirement. */
export function matchesRequirement(requirement: LabelRequirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, requirement.key);
  const value = has ? labels[requirement.key] : undefined;
  switch (requirement.operator) {
    case '=':
    case '==':
    case 'in':
      return value !== undefined && requirement.values.includes(value);
    case '!=':
    case 'notin':
      return value === undefined || !requirement.values.includes(value);
    case 'exists':
      return has;
    case '!':
      return !has;
    case '>':
    case '<': {
      if (value === undefined || !/^-?\d+$/.test(value)) return false;
      const actual = Number(value);
      const bound = Number(requirement.values[0]);
      return requirement.operator === '>' ? actual > bound : actual < bound;
    }
  }
}

/** True when `labels` satisfy every requirement (an empty list matches everything). */
export function matchesLabels(requirements: readonly LabelRequirement[], labels: Readonly<Record<string, string>> | undefined): boolean {
  const actual = labels ?? {};
  return requirements.every((r) => matchesRequirement(r, actual));
}

/** The object fields a field selector may name. */
export interface SelectableFields {
  readonly 'metadata.name': string;
  readonly 'metadata.namespace': string;
}

/**
 * Parses a field selector supporting `metadata.name` and `metadata.namespace`
 * with `=`, `==` and `!=`, comma separated, and returns its predicate.
 *
 * @throws {@link SelectorError} for unsupported fields or malformed terms.
 */
export function parseFieldSelector(selector: string): (fields: SelectableFields) => boolean {
  const terms = selector
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t.length > 0)
    .map((term) => {
      const match = /^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
      if (!match) throw new SelectorError(`invalid field selector term "${term}"`);
      const [, field = '', op = '', value = ''] = match;
      if (field !== 'metadata.name' && field !== 'metadata.namespace') {
        throw new SelectorError(`"${field}" is not a known field selector: only "metadata.name", "metadata.namespace"`);
      }
      const known: keyof SelectableFields = field;
      return { field: known, negate: op === '!=', value };
    });
  return (fields) => terms.every((t) => (fields[t.field] === t.value) !== t.negate);
}
