// `--out DIR` is shared with whatever else the user keeps there (a CI workspace, earlier
// artifacts), so lab removes only what it wrote itself. It knows what it wrote from a manifest,
// DIR/.lab-out.json, which lists every entry of DIR a run made (a scenario's folder, a report
// file, a VM's console log), recorded before the entry is written, like the state file records a
// namespace before it exists. A new run first removes the entries the manifest lists (stale case
// folders and pcaps go with their scenario's folder), then starts a fresh manifest: each run
// leaves a tree of its own. Entries are plain names directly under DIR; anything else in the
// manifest (a path, `..`) is ignored, so a hand-edited manifest cannot reach outside DIR.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';

export const OUT_MANIFEST = '.lab-out.json';

const TOOL = 'netns-lab';

interface Manifest {
  tool: typeof TOOL;
  about: string;
  entries: string[];
}

/** A name lab may own directly under DIR: one path component, not the manifest itself. */
export const isOwnableName = (name: unknown): name is string =>
  typeof name === 'string' && name !== '' && name !== '.' && name !== '..' && name !== OUT_MANIFEST && !/[/\\\0]/.test(name);

/** The entries a manifest's text lists; nothing when it is not lab's manifest. */
export const manifestEntries = (text: string): string[] => {
  try {
    const m = JSON.parse(text) as Partial<Manifest>;
    if (m.tool !== TOOL || !Array.isArray(m.entries)) return [];
    return [...new Set(m.entries.filter(isOwnableName))];
  } catch {
    return [];
  }
};

const manifestText = (entries: readonly string[]): string =>
  `${JSON.stringify({ tool: TOOL, about: 'what the last `lab run --out` wrote here; the next one removes these entries first', entries: [...entries] } satisfies Manifest, null, 2)}\n`;

const read = (dir: string): string[] => {
  const file = join(dir, OUT_MANIFEST);
  return existsSync(file) ? manifestEntries(readFileSync(file, 'utf8')) : [];
};

/** Removes what the last run listed in DIR's manifest and starts an empty one; returns what went. */
export const freshOutTree = (dir: string): string[] => {
  mkdirSync(dir, { recursive: true });
  const stale = read(dir).filter((name) => existsSync(join(dir, name)));
  for (const name of stale) rmSync(join(dir, name), { recursive: true, force: true });
  writeFileSync(join(dir, OUT_MANIFEST), manifestText([]));
  return stale;
};

/** Records `name` as lab's in DIR's manifest (before it is written); returns DIR/name. */
export const claimOut = (dir: string, name: string): string => {
  if (!isOwnableName(name)) throw new TypeError(`not a name directly under ${dir}: ${name}`);
  mkdirSync(dir, { recursive: true });
  const entries = read(dir);
  if (!entries.includes(name)) writeFileSync(join(dir, OUT_MANIFEST), manifestText([...entries, name]));
  return join(dir, name);
};

/** A name as a folder name: lower case, [a-z0-9._-], never empty. */
export const folderName = (name: string, fallback: string): string =>
  name.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[-.]+|-+$/g, '') || fallback;

/** A case name as a directory name: the same name always gives the same directory. */
export const caseDirName = (name: string): string => folderName(name, 'case');

/** `names`, each made unique against the others and `reserved` by a suffix -2, -3, … in order. */
export const uniqueNames = (names: readonly string[], reserved: readonly string[] = []): string[] => {
  const taken = new Set(reserved);
  return names.map((n) => {
    let name = n;
    for (let i = 2; taken.has(name); i++) name = `${n}-${i}`;
    taken.add(name);
    return name;
  });
};

/**
 * One folder per scenario file, named after the file (scenarios/laptop-two-nics.yaml →
 * laptop-two-nics); two files of one name get -2, -3 in the order given. `reserved` are the
 * report files' names, which a folder must not take.
 */
export const scenarioFolders = (files: readonly string[], reserved: readonly string[]): string[] =>
  uniqueNames(files.map((f) => folderName(basename(f, extname(f)), 'scenario')), [...reserved, OUT_MANIFEST]);
