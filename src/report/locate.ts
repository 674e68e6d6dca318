// Where in a scenario file each case and each expectation key was written, so that CI can put an
// annotation on the line of the expectation that failed (`path:`, not just `expect:`).
import { isMap, isScalar, LineCounter, parseDocument, visit, type Document } from 'yaml';
import type { Expectation, Scenario, SourceLoc } from '../model/types.js';

export interface CaseLocation {
  loc: SourceLoc;
  /** By the result's `what`, e.g. `udp 192.0.2.1 → 192.0.2.2: path`. */
  expectations: Map<string, SourceLoc>;
}

/** Case locations of every scenario of a run, by scenario file and case name. */
export type Locations = Map<string, CaseLocation>;

export const locationKey = (file: string, caseName: string): string => `${file}\0${caseName}`;

/** The YAML key of a model expectation field: notVia is written `not-via`. */
const yamlKey = (field: string): string => field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** Finds the position of `key` inside the mapping that starts at `at`, in one parsed file. */
class KeyFinder {
  readonly #doc: Document;
  readonly #lines = new LineCounter();

  constructor(text: string) {
    this.#doc = parseDocument(text, { lineCounter: this.#lines, prettyErrors: false });
  }

  keyAt(at: SourceLoc, key: string): SourceLoc | undefined {
    const start = this.#lines.lineStarts[at.line - 1];
    if (start === undefined) return undefined;
    const offset = start + at.col - 1;
    let found: SourceLoc | undefined;
    visit(this.#doc, {
      Map: (_, map) => {
        if (!isMap(map) || map.range?.[0] !== offset) return undefined;
        const pair = map.items.find((p) => isScalar(p.key) && p.key.value === key);
        const range = pair && isScalar(pair.key) ? pair.key.range : undefined;
        if (range) found = this.#lines.linePos(range[0]);
        return found ? visit.BREAK : undefined;
      },
    });
    return found;
  }
}

/**
 * The location of every case of `scenario` and of every expectation key its probes are judged
 * by, from the loaded model and the file's text. A key that cannot be found falls back to its
 * `expect:` mapping, then to the case.
 */
export const locateCases = (scenario: Scenario, text: string | undefined): Locations => {
  const finder = text === undefined ? undefined : new KeyFinder(text);
  const locations: Locations = new Map();
  for (const c of scenario.cases) {
    const expectations = new Map<string, SourceLoc>();
    for (const probe of c.probes) {
      const fields = new Set([...Object.keys(c.expect), ...Object.keys(probe.expect ?? {})]);
      fields.delete('loc');
      for (const field of fields) {
        const own = probe.expect && (probe.expect as Record<string, unknown>)[field] !== undefined;
        const source: Expectation = own && probe.expect ? probe.expect : c.expect;
        const at = source.loc ?? c.loc;
        const key = yamlKey(field);
        expectations.set(`${probe.name}: ${key}`, finder?.keyAt(at, key) ?? at);
      }
    }
    locations.set(locationKey(scenario.file, c.name), { loc: c.loc, expectations });
  }
  return locations;
};

/** One map for a whole run. */
export const locateAll = (scenarios: readonly Scenario[], texts: ReadonlyMap<string, string>): Locations =>
  new Map(scenarios.flatMap((s) => [...locateCases(s, texts.get(s.file))]));
