// Progress of `lab run` on stderr: a line per finished case (what CI logs keep), and on a terminal
// also a live line below them that says which cases are running and for how long.
import type { CaseResult } from '../types/result.js';

export interface Progress {
  started(key: string, label: string): void;
  finished(key: string, scenario: string, result: CaseResult): void;
  /** Clears the live line; safe to call twice. */
  stop(): void;
}

const MARK: Record<CaseResult['status'], string> = { pass: '✓', fail: '✗', skip: '-', error: '!' };

export const progressLine = (done: number, total: number, scenario: string, c: CaseResult): string =>
  `[${done}/${total}] ${MARK[c.status]} ${scenario} › ${c.name} (${Math.round(c.durationMs)} ms)\n`;

/** A live line only on a real terminal: not in CI (which sets CI=true), not with TERM=dumb. */
export const wantsLiveProgress = (stderrIsTerminal: boolean, env: NodeJS.ProcessEnv): boolean =>
  stderrIsTerminal && !env['CI'] && env['TERM'] !== 'dumb';

/** One line per finished case. */
export const plainProgress = (total: number, write: (text: string) => void): Progress => {
  let done = 0;
  return {
    started: () => undefined,
    finished: (_key, scenario, result) => write(progressLine(++done, total, scenario, result)),
    stop: () => undefined,
  };
};

export interface LiveOptions {
  columns: () => number;
  now?: () => number;
  /** How often the elapsed times are redrawn; 0 redraws only on events (tests). */
  tickMs?: number;
}

const SPINNER = '⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏';

/** Cuts `text` to `width` terminal cells (code points; lab's names are narrow). */
const fit = (text: string, width: number): string => {
  const chars = [...text];
  return chars.length <= width ? text : `${chars.slice(0, Math.max(0, width - 1)).join('')}…`;
};

/**
 * The finished-case lines scroll as in CI; below them one line, rewritten in place, shows the
 * count and the running cases with their elapsed time.
 */
export const liveProgress = (total: number, write: (text: string) => void, opts: LiveOptions): Progress => {
  const now = opts.now ?? (() => performance.now());
  const running = new Map<string, { label: string; since: number }>();
  let done = 0;
  let failed = 0;
  let frame = 0;
  let stopped = false;
  const status = (): string => {
    const spin = SPINNER[frame++ % SPINNER.length] ?? '';
    const jobs = [...running.values()]
      .map((r) => `${r.label} (${((now() - r.since) / 1000).toFixed(1)} s)`)
      .join(', ');
    const bad = failed ? ` · ${failed} failed` : '';
    return `${spin} ${done}/${total} done${bad}${jobs ? ` · running: ${jobs}` : ''}`;
  };
  const draw = (): void => {
    if (!stopped) write(`\r\x1b[K${fit(status(), Math.max(20, opts.columns() - 1))}`);
  };
  const timer = opts.tickMs === 0 ? undefined : setInterval(draw, opts.tickMs ?? 200);
  timer?.unref();
  draw();
  return {
    started: (key, label) => {
      running.set(key, { label, since: now() });
      draw();
    },
    finished: (key, scenario, result) => {
      running.delete(key);
      done += 1;
      if (result.status === 'fail' || result.status === 'error') failed += 1;
      write(`\r\x1b[K${progressLine(done, total, scenario, result)}`);
      draw();
    },
    stop: () => {
      if (stopped) return;
      stopped = true;
      if (timer) clearInterval(timer);
      write('\r\x1b[K');
    },
  };
};
