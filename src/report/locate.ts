// Where in a scenario file each case and each expectation key was written, so that CI can put an
// annotation on the line of the expectation that failed (`path:`, not just `expect:`).
import { isMap, isScalar, LineCounter, parseDocument, visit, type Document } from 'yaml';
import type { Expectation, Scenario, SourceLoc } from '../types/scenario.js';

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

/** `cells:` entries of a matrix cell: expectations that override the case's and probes' ones. */
interface Overrides {
  overrides?: readonly { expect?: Expectation; probes?: Readonly<Record<string, Expectation>> }[];
}

/**
 * The location of every case of `scenario` and of every expectation key its probes are judged
 * by, from the loaded model and the file's text: the case's `expect:`, the probe's own, then a
 * matrix cell's `cells:` entries, the last one that sets a key winning (as the verdict takes
 * them; an entry pinned to other kernels is not told apart). A key that cannot be found falls
 * back to its `expect:` mapping, then to the case.
 */
export const locateCases = (scenario: Scenario, text: string | undefined): Locations => {
  const finder = text === undefined ? undefined : new KeyFinder(text);
  const locations: Locations = new Map();
  for (const c of scenario.cases) {
    const expectations = new Map<string, SourceLoc>();
    const overrides = (c as Overrides).overrides ?? [];
    for (const probe of c.probes) {
      const layers = [c.expect, probe.expect, ...overrides.flatMap((o) => [o.expect, o.probes?.[probe.name]])]
        .filter((e): e is Expectation => e !== undefined);
      const fields = new Set(layers.flatMap((e) => Object.keys(e)));
      fields.delete('loc');
      for (const field of fields) {
        const source = layers.findLast((e) => (e as Record<string, unknown>)[field] !== undefined) ?? c.expect;
        const at = source.loc ?? c.loc;
        const key = yamlKey(field);
        const where = finder?.keyAt(at, key) ?? at;
        expectations.set(`${probe.name}: ${key}`, where);
        // The reply is judged key by key (reply.delivered, ...): each points at its `reply:`.
        if (field === 'reply') for (const sub of ['delivered', 'path', 'reason']) expectations.set(`${probe.name}: reply.${sub}`, where);
      }
    }
    locations.set(locationKey(scenario.file, c.name), { loc: c.loc, expectations });
  }
  return locations;
};

/** One map for a whole run. */
export const locateAll = (scenarios: readonly Scenario[], texts: ReadonlyMap<string, string>): Locations =>
  new Map(scenarios.flatMap((s) => [...locateCases(s, texts.get(s.file))]));
