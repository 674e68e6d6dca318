// `--format junit`: the JUnit XML that CI test-report tools read. One <testsuite> per scenario,
// one <testcase> per case (or matrix cell) with classname = the scenario, and the verdict as the
// failure message.
import type { ScenarioResult, CaseResult } from '../types/result.js';
import { locationKey, type Locations } from './locate.js';
import { caseDetails, countCases, verdictLine } from './verdict-text.js';

/** Characters XML 1.0 cannot carry at all are dropped; markup characters are escaped. */
export const xmlText = (text: string): string =>
  text
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
    .replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] ?? c);

const attrs = (pairs: Record<string, string | number | undefined>): string =>
  Object.entries(pairs)
    .filter(([, v]) => v !== undefined)
    // Newlines in attributes would be normalised to spaces by parsers; keep them as references.
    .map(([k, v]) => ` ${k}="${xmlText(String(v)).replace(/\n/g, '&#10;')}"`)
    .join('');

const seconds = (ms: number): string => (ms / 1000).toFixed(3);

const testcase = (s: ScenarioResult, c: CaseResult, locations: Locations | undefined): string => {
  const line = locations?.get(locationKey(s.file, c.name))?.loc.line;
  const open = `    <testcase${attrs({ name: c.name, classname: s.name, time: seconds(c.durationMs), file: s.file, line })}`;
  const details = xmlText(caseDetails(c));
  switch (c.status) {
    case 'pass':
      return `${open}>\n      <system-out>${details}</system-out>\n    </testcase>`;
    case 'skip':
      return `${open}>\n      <skipped${attrs({ message: c.error ?? 'skipped' })}/>\n    </testcase>`;
    case 'fail':
      return `${open}>\n      <failure${attrs({ message: verdictLine(c), type: 'ExpectationFailure' })}>${details}</failure>\n    </testcase>`;
    case 'error':
      return `${open}>\n      <error${attrs({ message: verdictLine(c), type: 'CaseError' })}>${details}</error>\n    </testcase>`;
  }
};

export const junitReport = (results: readonly ScenarioResult[], locations?: Locations): string => {
  const total = countCases(results);
  const time = (cases: readonly CaseResult[]): string => seconds(cases.reduce((t, c) => t + c.durationMs, 0));
  const suites = results.map((s) => {
    const n = countCases([s]);
    return [
      `  <testsuite${attrs({ name: s.name, tests: n.total, failures: n.fail, errors: n.error, skipped: n.skip, time: time(s.cases), file: s.file })}>`,
      '    <properties>',
      `      <property${attrs({ name: 'file', value: s.file })}/>`,
      `      <property${attrs({ name: 'kernel', value: s.kernel })}/>`,
      '    </properties>',
      ...s.cases.map((c) => testcase(s, c, locations)),
      '  </testsuite>',
    ].join('\n');
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attrs({ name: 'lab', tests: total.total, failures: total.fail, errors: total.error, skipped: total.skip, time: time(results.flatMap((s) => s.cases)) })}>`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
};
