// What `lab validate` asks the kernel about, with where the file says it: every sysctl key (and
// value) and every nft ruleset of a scenario. Pure: the checks run in src/cli/validate-kernel.ts.
import { isScalar, LineCounter, parseDocument } from 'yaml';
import type { SourceLoc } from '../types/scenario.js';
import { SourceMap, type KeyPath } from './source.js';

export type KernelCheckItem =
  | { kind: 'sysctl'; key: string; value: string; path: KeyPath; loc: SourceLoc }
  | {
      kind: 'nft';
      ruleset: string;
      path: KeyPath;
      loc: SourceLoc;
      /** The file line of the ruleset's first line, when it is a block (`|`) whose lines are the file's. */
      firstLine?: number;
    };

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const scalar = (v: unknown): string | undefined =>
  typeof v === 'number' || typeof v === 'string' ? String(v) : typeof v === 'boolean' ? (v ? '1' : '0') : undefined;

/**
 * The sysctls (`sysctl:` maps of a case or a node, `set: NODE:KEY` of a matrix dimension with
 * each of its values) and nft rulesets (`nft:` maps) of a scenario text that parses. Anything
 * malformed is the loader's to report: it is skipped here.
 */
export const kernelCheckItems = (text: string): KernelCheckItem[] => {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length) return [];
  const source = new SourceMap(doc, lines);
  const items: KernelCheckItem[] = [];
  const sysctl = (key: string, value: string, path: KeyPath): void => void items.push({ kind: 'sysctl', key, value, path, loc: source.keyAt(path) });
  const walk = (v: unknown, path: KeyPath): void => {
    if (Array.isArray(v)) return v.forEach((x, i) => walk(x, [...path, i]));
    if (!isMap(v)) return;
    for (const [k, x] of Object.entries(v)) {
      const here = [...path, k];
      if (k === 'sysctl' && isMap(x)) {
        for (const [a, b] of Object.entries(x)) {
          // A case's map is NODE → KEY → VALUE; a node's own is KEY → VALUE.
          if (isMap(b)) for (const [key, value] of Object.entries(b)) { const s = scalar(value); if (s !== undefined) sysctl(key, s, [...here, a, key]); }
          else { const s = scalar(b); if (s !== undefined) sysctl(a, s, [...here, a]); }
        }
      } else if (k === 'nft' && isMap(x)) {
        for (const [node, ruleset] of Object.entries(x)) {
          if (typeof ruleset !== 'string') continue;
          const loc = source.at([...here, node]);
          const scalarNode = doc.getIn([...here, node], true);
          const block = isScalar(scalarNode) && scalarNode.type === 'BLOCK_LITERAL';
          items.push({ kind: 'nft', ruleset, path: [...here, node], loc, ...(block ? { firstLine: loc.line + 1 } : {}) });
        }
      } else if (k === 'matrix' && isMap(x)) {
        for (const [dim, d] of Object.entries(x)) {
          if (!isMap(d) || typeof d['set'] !== 'string' || !d['set'].includes(':')) { walk(d, [...here, dim]); continue; }
          const key = d['set'].slice(d['set'].indexOf(':') + 1);
          const values = Array.isArray(d['values']) ? d['values'] : isMap(d['values']) ? Object.values(d['values']) : [];
          for (const value of values) { const s = scalar(value); if (s !== undefined) items.push({ kind: 'sysctl', key, value: s, path: [...here, dim, 'set'], loc: source.at([...here, dim, 'set']) }); }
        }
      } else walk(x, here);
    }
  };
  walk(doc.toJS() as unknown, []);
  return items;
};

/**
 * The key a scratch namespace has for `key`: a device of the scenario does not exist there, so
 * `net.ipv4.conf.DEV.KEY` (and ipv6, and neigh) is asked as `…default.KEY`, which every device
 * copies its keys from.
 */
export const scratchKey = (key: string): string => {
  const m = /^(net\.ipv[46]\.(?:conf|neigh))\.([^.]+)\.(.+)$/.exec(key);
  if (!m || m[2] === 'all' || m[2] === 'default') return key;
  return `${m[1]}.default.${m[3]}`;
};
