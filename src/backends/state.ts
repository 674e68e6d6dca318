import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where run state lives; tests may point it elsewhere. */
export const defaultStateDir = (): string => process.env['LAB_STATE_DIR'] ?? '/run/netns-lab';

/** What one run owns. `lab clean` deletes exactly this, once the owner is gone. */
export interface RunState {
  runId: string;
  prefix: string;
  pid: number;
  /** The owner's start time (/proc/PID/stat field 22), so a reused pid is not mistaken for it. */
  pidStart: string | null;
  startedAt: string;
  scenarios: string[];
  namespaces: string[];
}

export const processStartTime = (pid: number): string | null => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (comm) may contain spaces; fields after the closing parenthesis are plain.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
};

export const isOwnerAlive = (s: Pick<RunState, 'pid' | 'pidStart'>): boolean => {
  const start = processStartTime(s.pid);
  return start !== null && (s.pidStart === null || start === s.pidStart);
};

/** The state file of one run, rewritten (atomically) whenever the run creates or frees something. */
export class StateFile {
  readonly path: string;
  private state: RunState;

  constructor(dir: string, init: Omit<RunState, 'namespaces' | 'pidStart' | 'startedAt'>) {
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    this.path = join(dir, `${init.runId}.json`);
    this.state = { ...init, pidStart: processStartTime(init.pid), startedAt: new Date().toISOString(), namespaces: [] };
    this.write();
  }

  get namespaces(): readonly string[] {
    return this.state.namespaces;
  }

  own(netns: string): void {
    if (!this.state.namespaces.includes(netns)) this.state.namespaces.push(netns);
    this.write();
  }

  release(netns: string): void {
    this.state.namespaces = this.state.namespaces.filter((n) => n !== netns);
    this.write();
  }

  /** Removes the file; the run owns nothing any more. */
  close(): void {
    rmSync(this.path, { force: true });
  }

  private write(): void {
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(this.state, null, 2)}\n`);
    renameSync(tmp, this.path);
  }
}

export const readStates = (dir: string): { path: string; state: RunState }[] => {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  const out: { path: string; state: RunState }[] = [];
  for (const name of names) {
    const path = join(dir, name);
    try {
      out.push({ path, state: JSON.parse(readFileSync(path, 'utf8')) as RunState });
    } catch {
      // A half-written or foreign file is not ours to interpret.
    }
  }
  return out;
};
