// `--format tap`: TAP version 14, one test point per case (or matrix cell), a YAML diagnostic
// block for every case that did not pass.
import { stringify } from 'yaml';
import type { ScenarioResult, CaseResult } from '../types/result.js';
import { locationKey, type Locations } from './locate.js';
import { verdictLine } from './verdict-text.js';

/** TAP 14: `#` and `\` in a description are escaped; a description is one line. */
const description = (text: string): string => text.replace(/[\\#]/g, (c) => `\\${c}`).replace(/\s*\n\s*/g, ' ');

/** A directive's reason ends the line; it cannot hold a newline either. */
const reason = (text: string): string => text.replace(/\s*\n\s*/g, ' ');

const diagnostics = (s: ScenarioResult, c: CaseResult, locations: Locations | undefined): string => {
  const where = locations?.get(locationKey(s.file, c.name));
  const failed = c.expectations.filter((e) => !e.ok);
  const firstFailure = failed[0] && where?.expectations.get(failed[0].what);
  const at = firstFailure ?? where?.loc;
  const doc = {
    message: verdictLine(c),
    severity: c.status === 'error' ? 'error' : 'fail',
    ...(at ? { at: { file: s.file, line: at.line, column: at.col } } : { at: { file: s.file } }),
    duration_ms: Math.round(c.durationMs),
    probes: c.probes.map((p) => ({
      name: p.name, delivered: p.delivered, path: p.path,
      ...(p.reply ? { reply: { delivered: p.reply.delivered, path: p.reply.path, reason: p.reply.reason } } : {}),
      ...(p.handshake === undefined ? {} : { handshake: p.handshake }),
      explanation: p.explanation,
    })),
    ...(failed.length
      ? { failed: failed.map((e) => ({ what: e.what, expected: e.expected, actual: e.actual })) }
      : {}),
  };
  const yaml = stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false }).trimEnd();
  return ['  ---', ...yaml.split('\n').map((l) => `  ${l}`), '  ...'].join('\n');
};

export const tapReport = (results: readonly ScenarioResult[], locations?: Locations): string => {
  const points = results.flatMap((s) => s.cases.map((c) => ({ s, c })));
  const lines = ['TAP version 14', points.length ? `1..${points.length}` : '1..0 # no cases to run'];
  points.forEach(({ s, c }, i) => {
    const name = description(`${s.name} › ${c.name}`);
    const time = `# time=${Math.round(c.durationMs)}ms`;
    if (c.status === 'pass') lines.push(`ok ${i + 1} - ${name} ${time}`);
    else if (c.status === 'skip') lines.push(`ok ${i + 1} - ${name} # SKIP ${reason(c.error ?? 'skipped')}`);
    else lines.push(`not ok ${i + 1} - ${name} ${time}`, diagnostics(s, c, locations));
  });
  return `${lines.join('\n')}\n`;
};
