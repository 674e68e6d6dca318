// Walks a JSON Schema (the one zod's toJSONSchema gives for the scenario format, or for a recipe's
// parameters) into reference rows: every key at every depth, with its type, default, an example
// and its description. Generic on purpose: objects, records (propertyNames/additionalProperties),
// arrays, tuples and unions are followed wherever they appear, so a key added to the schema shows
// up in docs/reference/ without touching this file.
import { parse } from 'yaml';

/** A word from a description as the value it would be in a file (1000, true, netns-lab). */
const scalar = (word: string): unknown => {
  try {
    return parse(word) as unknown;
  } catch {
    return word;
  }
};

export interface JsonSchema {
  type?: string | string[];
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: JsonSchema | boolean;
  propertyNames?: JsonSchema;
  items?: JsonSchema | boolean;
  prefixItems?: JsonSchema[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  examples?: unknown[];
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  minLength?: number;
}

interface KeyRow {
  /** The key's name as written in a file. */
  key: string;
  type: string;
  required: boolean;
  default?: unknown;
  example?: unknown;
  description: string;
}

/** A mapping with named keys, reached at `path` (e.g. `cases[].probes[].udp`). */
export interface Section {
  path: string;
  description: string;
  rows: KeyRow[];
}

const alternatives = (s: JsonSchema): JsonSchema[] => s.anyOf ?? s.oneOf ?? [];

const isRecord = (s: JsonSchema): boolean =>
  s.properties === undefined && (s.propertyNames !== undefined || typeof s.additionalProperties === 'object');

/** A placeholder for a record's key: its first upper-case word in the key schema's description, else KEY. */
const recordKey = (s: JsonSchema): string => {
  const d = s.propertyNames?.description ?? '';
  if (/^A node\b/.test(d)) return 'NODE';
  if (/\bdevice as node:device\b/.test(d)) return 'NODE:DEV';
  return 'KEY';
};

/** The type as a reader writes it: `string`, `integer 10..60000`, `[DEV, DEV]`, `mapping NODE → …`. */
const typeOf = (s: JsonSchema | boolean | undefined): string => {
  if (s === undefined || s === true) return 'any';
  if (s === false) return 'nothing';
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(' \\| ');
  const alts = alternatives(s);
  if (alts.length) return alts.map((a) => typeOf(a)).join(' \\| ');
  if (s.allOf?.length) return s.allOf.map((a) => typeOf(a)).join(' & ');
  const t = Array.isArray(s.type) ? s.type.join(' \\| ') : s.type;
  if (t === 'array') {
    if (s.prefixItems) return `[${s.prefixItems.map((p) => typeOf(p)).join(', ')}]`;
    return `list of ${typeOf(s.items)}`;
  }
  if (t === 'object') {
    if (isRecord(s)) return `mapping ${recordKey(s)} → ${typeOf(s.additionalProperties)}`;
    return 'mapping';
  }
  if (t === 'integer' || t === 'number') {
    // zod's z.int() without bounds says ±(2^53-1): no range worth showing.
    const bound = (n: number | undefined) => (n === undefined || Math.abs(n) >= Number.MAX_SAFE_INTEGER ? undefined : n);
    const [lo, hi] = [bound(s.minimum), bound(s.maximum)];
    const range = lo !== undefined || hi !== undefined ? ` ${lo ?? ''}..${hi ?? ''}` : '';
    return `${t}${range}`;
  }
  if (t === 'string' && s.description && /node:device/.test(s.description) && s.pattern) return 'NODE:DEV';
  return t ?? 'any';
};

/** "e.g. X" in a description: the first example the text itself gives. */
const exampleInText = (d: string | undefined): unknown => {
  const m = /\be\.g\. ([^\s,;)]+)/.exec(d ?? '');
  return m ? scalar(m[1]!.replace(/[.:]$/, '')) : undefined;
};

/**
 * "(default X)" or "; default X." in a description: many keys state their default in words, zod
 * knowing none. Only a single word right after "default" at the start of a parenthesis or clause,
 * so "the default route" or "(default: the kernel's, off)" give none.
 */
const defaultInText = (d: string | undefined): unknown => {
  const m = /(?:^|[(;,] ?)default:? ([^\s,;()]+)(?=[),]|\.(?:\s|$)|$)/i.exec(d ?? '');
  return m ? scalar(m[1]!.replace(/[.:]$/, '')) : undefined;
};

/** An example value: the schema's own examples, default, const or enum, else one the description gives. */
const exampleOf = (s: JsonSchema | boolean | undefined): unknown => {
  if (s === undefined || typeof s === 'boolean') return undefined;
  if (s.examples?.length) return s.examples[0];
  if (s.const !== undefined) return s.const;
  if (s.enum?.length) return s.enum[0];
  if (s.default !== undefined) return s.default;
  const fromText = exampleInText(s.description) ?? defaultInText(s.description);
  if (fromText !== undefined) return fromText;
  for (const a of alternatives(s)) {
    const e = exampleOf(a);
    if (e !== undefined) return e;
  }
  const t = Array.isArray(s.type) ? s.type[0] : s.type;
  if (t === 'boolean') return true;
  if (t === 'integer' || t === 'number') return s.minimum !== undefined && Math.abs(s.minimum) < Number.MAX_SAFE_INTEGER ? s.minimum : 1;
  if (t === 'array') {
    if (s.prefixItems) {
      const parts = s.prefixItems.map((p) => exampleOf(p));
      return parts.every((p) => p !== undefined) ? parts : undefined;
    }
    const item = exampleOf(s.items);
    return item === undefined ? undefined : [item];
  }
  if (t === 'object' && isRecord(s)) {
    const v = exampleOf(s.additionalProperties);
    const k = String(exampleInText(s.propertyNames?.description) ?? recordKey(s).toLowerCase());
    return v === undefined ? undefined : { [k]: v };
  }
  return undefined;
};

/** Where the schema sits in a file (`cases[].recipe.accept-local`), and examples found in real files. */
interface WalkOptions {
  prefix?: string;
  /** By key path: values seen in shipped scenarios, preferred to made-up ones when short. */
  examples?: ReadonlyMap<string, unknown>;
}

const MAX_EXAMPLE = 70;

/** Walks the schema: a section per mapping with named keys, in the order a file reads. */
export const sections = (root: JsonSchema, { prefix = '', examples }: WalkOptions = {}): Section[] => {
  const out: Section[] = [];
  const seen = new Set<string>();
  const visit = (s: JsonSchema | boolean | undefined, path: string, inherited: string): void => {
    if (s === undefined || typeof s === 'boolean') return;
    const description = s.description ?? inherited;
    const alts = alternatives(s);
    if (alts.length) {
      const forms = alts.filter((a) => typeof a === 'object' && a.type !== 'null');
      forms.forEach((a) => visit(a, path, description));
      return;
    }
    for (const a of s.allOf ?? []) visit(a, path, description);
    if (s.prefixItems) s.prefixItems.forEach((p, i) => visit(p, `${path}[${i}]`, ''));
    if (typeof s.items === 'object') visit(s.items, `${path}[]`, '');
    if (typeof s.additionalProperties === 'object') visit(s.additionalProperties, `${path}.${recordKey(s)}`, '');
    if (s.properties) {
      const required = new Set(s.required ?? []);
      const rows = Object.entries(s.properties).map(([key, p]): KeyRow => {
        const seen = examples?.get(path ? `${path}.${key}` : key);
        const example = seen !== undefined && JSON.stringify(seen).length <= MAX_EXAMPLE ? seen : exampleOf(p);
        return {
          key,
          type: typeOf(p),
          required: required.has(key),
          ...(p.default !== undefined ? { default: p.default } : defaultInText(p.description) !== undefined ? { default: defaultInText(p.description) } : {}),
          ...(example !== undefined ? { example } : {}),
          description: p.description ?? '',
        };
      });
      // A mapping reached twice (a union's forms, shared probe fields) is shown once per path and shape.
      const id = `${path}\u0000${rows.map((r) => r.key).join(',')}`;
      if (!seen.has(id)) {
        seen.add(id);
        out.push({ path, description, rows });
      }
      for (const [key, p] of Object.entries(s.properties)) visit(p, path ? `${path}.${key}` : key, '');
    }
  };
  visit(root, prefix, root.description ?? '');
  return out;
};

/**
 * Values a document gives each key path of the schema (the first one met), walking the document
 * with the schema so that records and lists get the same paths as in sections().
 */
export const examplesIn = (root: JsonSchema, docs: readonly unknown[], prefix = ''): Map<string, unknown> => {
  const found = new Map<string, unknown>();
  const walk = (s: JsonSchema | boolean | undefined, v: unknown, path: string): void => {
    if (s === undefined || typeof s === 'boolean' || v === undefined || v === null) return;
    for (const a of [...alternatives(s), ...(s.allOf ?? [])]) walk(a, v, path);
    if (Array.isArray(v)) {
      if (s.prefixItems) s.prefixItems.forEach((p, i) => walk(p, v[i], `${path}[${i}]`));
      else if (typeof s.items === 'object') for (const item of v) walk(s.items, item, `${path}[]`);
      return;
    }
    if (typeof v !== 'object') return;
    const o = v as Record<string, unknown>;
    if (s.properties) {
      for (const [key, p] of Object.entries(s.properties)) {
        if (!(key in o)) continue;
        const at = path ? `${path}.${key}` : key;
        if (!found.has(at)) found.set(at, o[key]);
        walk(p, o[key], at);
      }
    } else if (typeof s.additionalProperties === 'object') {
      for (const value of Object.values(o)) walk(s.additionalProperties, value, `${path}.${recordKey(s)}`);
    }
  };
  for (const d of docs) walk(root, d, prefix);
  return found;
};
