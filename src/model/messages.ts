// Wording of problems, as small pure functions. Zod's defaults speak of types; these speak YAML.
import type { z } from 'zod';

/** What a YAML value is, in the words a scenario author would use. */
const describeValue = (value: unknown): string => {
  if (value === null) return 'nothing (null)';
  if (Array.isArray(value)) return 'a list';
  switch (typeof value) {
    case 'string': return `the text ${JSON.stringify(value)}`;
    case 'number': return `the number ${value}`;
    case 'boolean': return `${value}`;
    case 'object': return 'a mapping';
    default: return typeof value;
  }
};

const EXPECTED: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'a mapping (key: value)',
  record: 'a mapping (key: value)',
  array: 'a list',
  tuple: 'a list',
  null: 'nothing (null)',
};

const expectedText = (expected: string): string => EXPECTED[expected] ?? expected;

export const listOf = (items: readonly string[]): string => (items.length ? items.join(', ') : 'none');

const unknownKeyMessage = (key: string, allowed: readonly string[]): string =>
  `unknown key ${JSON.stringify(key)} (allowed here: ${listOf(allowed)})`;

export const unknownRecipeMessage = (name: string, known: readonly string[]): string =>
  `unknown recipe ${JSON.stringify(name)} (known recipes: ${listOf(known)})`;

export const missingKeyMessage = (key: string): string => `missing required key ${JSON.stringify(key)}`;

const plural = (n: number | bigint, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;

const sizeMessage = (
  kind: 'too_small' | 'too_big',
  origin: string,
  limit: number | bigint,
  inclusive: boolean | undefined,
): string | undefined => {
  const word = kind === 'too_small' ? 'at least' : 'at most';
  const bound = inclusive === false ? (kind === 'too_small' ? 'more than' : 'less than') : word;
  if (origin === 'array') return `must have ${bound} ${plural(limit, 'item')}`;
  if (origin === 'string') {
    return kind === 'too_small' && limit === 1 ? 'must not be empty' : `must have ${bound} ${plural(limit, 'character')}`;
  }
  if (origin === 'number' || origin === 'int') return `must be ${bound} ${limit}`;
  return undefined;
};

/** Alternatives that are all single literal values, e.g. `0 | 1 | 2`: the values, else undefined. */
const literalAlternatives = (errors: readonly (readonly z.core.$ZodIssue[])[]): unknown[] | undefined => {
  const values: unknown[] = [];
  for (const branch of errors) {
    const only = branch.length === 1 ? branch[0] : undefined;
    if (only?.code !== 'invalid_value') return undefined;
    values.push(...only.values);
  }
  return values;
};

/**
 * The per-parse error map: the message for an issue no schema worded itself.
 * Unknown keys get one line per key, in the order of `keys`, so each can be reported at its key.
 */
export const issueMessage = (iss: z.core.$ZodRawIssue): string | undefined => {
  switch (iss.code) {
    case 'invalid_type':
      if (iss.input === undefined) return 'missing required value';
      return `must be ${expectedText(iss.expected)}, not ${describeValue(iss.input)}`;
    case 'unrecognized_keys': {
      const def = (iss.inst as { _zod?: { def?: { shape?: Record<string, unknown> } } } | undefined)?._zod?.def;
      const allowed = Object.keys(def?.shape ?? {});
      return iss.keys.map((key) => unknownKeyMessage(key, allowed)).join('\n');
    }
    case 'invalid_value':
      return `must be ${iss.values.length === 1 ? '' : 'one of '}${iss.values.map((v) => JSON.stringify(v)).join(', ')}, ` +
        `not ${describeValue(iss.input)}`;
    case 'invalid_union': {
      const values = literalAlternatives(iss.errors);
      return values ? `must be one of ${values.map((v) => JSON.stringify(v)).join(', ')}, not ${describeValue(iss.input)}` : undefined;
    }
    case 'too_small':
    case 'too_big':
      return sizeMessage(iss.code, iss.origin, iss.code === 'too_small' ? iss.minimum : iss.maximum, iss.inclusive);
    default:
      return undefined;
  }
};

export const undeclaredNodeMessage = (node: string, declared: readonly string[]): string =>
  `node ${JSON.stringify(node)} is not declared (declared nodes: ${listOf([...declared].sort())})`;

export const notADeviceMessage = (node: string, dev: string, devices: readonly string[]): string =>
  `${node}:${dev} is not a device of ${node} (it has: ${listOf([...devices].sort())})`;

export const loopbackMisuseMessage = (role: string): string =>
  `lo is the loopback device every node already has; it cannot be ${role}`;
