// Where things are in the YAML text: key paths to 1-based line/column, and the problem collector.
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import type { z } from 'zod';
import type { ScenarioProblem } from '../errors.js';
import { missingKeyMessage } from './messages.js';
import type { SourceLoc } from '../types/scenario.js';

export type KeyPath = readonly (string | number)[];

export const formatPath = (path: KeyPath): string => path.join('.');

interface Found {
  /** The node at the path; undefined when the path does not exist in full. */
  node: Node | undefined;
  /** The key node of the last path segment, when that segment is a map key that exists. */
  key: Node | undefined;
  /** The deepest node with a position along the part of the path that exists. */
  deepest: Node | undefined;
}

const hasText = (node: Node | undefined): node is Node =>
  node?.range !== undefined && node.range !== null && !(isScalar(node) && node.range[0] === node.range[1]);

export class SourceMap {
  readonly #doc: Document;
  readonly #lines: LineCounter;

  constructor(doc: Document, lines: LineCounter) {
    this.#doc = doc;
    this.#lines = lines;
  }

  /** Position of the value at `path`, or of the nearest enclosing node that exists. */
  at(path: KeyPath): SourceLoc {
    const found = this.#find(path);
    if (hasText(found.node)) return this.#loc(found.node);
    if (hasText(found.key)) return this.#loc(found.key); // `key:` with nothing after it
    return this.#loc(found.deepest);
  }

  /** Position of the key that ends `path` (an unknown key, a map key naming a device), else as `at`. */
  keyAt(path: KeyPath): SourceLoc {
    const found = this.#find(path);
    return hasText(found.key) ? this.#loc(found.key) : this.at(path);
  }

  #loc(node: Node | undefined): SourceLoc {
    if (!node?.range) return { line: 1, col: 1 };
    return this.#lines.linePos(node.range[0]);
  }

  #find(path: KeyPath): Found {
    let node = (this.#doc.contents ?? undefined) as Node | undefined;
    let deepest = node;
    let key: Node | undefined;
    for (const segment of path) {
      const here: unknown = isAlias(node) ? node.resolve(this.#doc) : node;
      let next: Node | undefined;
      key = undefined;
      if (isMap(here)) {
        const pair = here.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
        if (!pair) return { node: undefined, key: undefined, deepest };
        key = pair.key as Node;
        next = (pair.value ?? undefined) as Node | undefined;
      } else if (isSeq(here) && typeof segment === 'number') {
        next = (here.items[segment] ?? undefined) as Node | undefined;
      } else {
        return { node: undefined, key: undefined, deepest };
      }
      if (next === undefined) return { node: undefined, key, deepest };
      node = next;
      if (hasText(node)) deepest = node;
    }
    return { node, key, deepest };
  }
}

/** Collects every problem of one file; nothing is thrown until all checks have run. */
const isPlainObject = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v);

export class Problems {
  readonly #file: string;
  readonly #source: SourceMap;
  readonly #list: ScenarioProblem[] = [];

  constructor(file: string, source: SourceMap) {
    this.#file = file;
    this.#source = source;
  }

  get count(): number {
    return this.#list.length;
  }

  /** A problem with the value at `path`. */
  at(path: KeyPath, message: string): void {
    this.#push(this.#source.at(path), path, message);
  }

  /** A problem with the key that ends `path` (a name used as a map key). */
  atKey(path: KeyPath, message: string): void {
    this.#push(this.#source.keyAt(path), path, message);
  }

  /** Zod issues of a value found at `base`. */
  issues(issues: readonly z.core.$ZodIssue[], base: KeyPath = []): void {
    for (const issue of issues) {
      const path = [...base, ...issue.path.map((s) => (typeof s === 'symbol' ? String(s) : s))];
      if (issue.code === 'unrecognized_keys') {
        const lines = issue.message.split('\n');
        issue.keys.forEach((key, i) => this.atKey([...path, key], lines[i] ?? issue.message));
      } else if (issue.code === 'invalid_union' && isPlainObject(issue.input) && this.#oneBranch(issue.errors)) {
        // A mapping offered to a union (a link): the branch that takes mappings says what is wrong.
        this.issues(this.#oneBranch(issue.errors) ?? [], path);
      } else if (issue.code === 'invalid_key') {
        this.atKey(path, issue.issues[0]?.message ?? issue.message);
      } else if (issue.code === 'invalid_type' && issue.input === undefined && typeof path.at(-1) === 'string') {
        this.at(path, missingKeyMessage(String(path.at(-1))));
      } else {
        this.at(path, issue.message);
      }
    }
  }

  /** The issues of the only union branch that did not reject the value's type outright. */
  #oneBranch(errors: readonly (readonly z.core.$ZodIssue[])[]): readonly z.core.$ZodIssue[] | undefined {
    const typed = errors.filter((branch) => !branch.some((i) => i.code === 'invalid_type' && i.path.length === 0));
    return typed.length === 1 ? typed[0] : undefined;
  }

  /** Every problem, in the order they appear in the file. */
  sorted(): ScenarioProblem[] {
    return this.#list
      .map((p, i) => ({ p, i }))
      .sort((a, b) => a.p.line - b.p.line || a.p.col - b.p.col || a.i - b.i)
      .map(({ p }) => p);
  }

  #push(loc: SourceLoc, path: KeyPath, message: string): void {
    this.#list.push({ file: this.#file, line: loc.line, col: loc.col, path: formatPath(path), message });
  }
}
