import { XMLParser, XMLValidator } from 'fast-xml-parser';
import t from 'tap';
import { junitReport } from '../../../src/report/junit.js';
import { FILE, LINES, locations, results } from './fixtures.js';

const parse = (xml: string): any => {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new Error(`not well-formed XML: ${JSON.stringify(valid.err)}`);
  return new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    parseAttributeValue: false,
    trimValues: false,
    // Numeric character references (&#10;) are XML; fast-xml-parser decodes them with this flag.
    htmlEntities: true,
    isArray: (name) => ['testsuite', 'testcase', 'property'].includes(name),
  }).parse(xml);
};

t.test('JUnit: a suite per scenario, a testcase per case, classname = the scenario', async (t) => {
  const doc = parse(junitReport(results(), locations()));
  const root = doc.testsuites;
  t.same([root.tests, root.failures, root.errors, root.skipped], ['4', '2', '1', '0']);
  t.equal(root.testsuite.length, 1);
  const suite = root.testsuite[0];
  t.equal(suite.name, 'ci-lab');
  t.equal(suite.file, FILE);
  t.same(suite.properties.property.map((p: any) => [p.name, p.value]), [['file', FILE], ['kernel', '6.18.0-test']]);
  t.same(suite.testcase.map((c: any) => c.name), ['over the wire', 'expects the wire # but gets lo <&>', 'two probes', 'cannot be built']);
  t.ok(suite.testcase.every((c: any) => c.classname === 'ci-lab'));
  t.same(suite.testcase.map((c: any) => c.line), [LINES.overTheWire, LINES.expectsTheWire, LINES.twoProbes, LINES.cannotBeBuilt].map(String));
  t.equal(suite.testcase[0].time, '0.703');
  t.equal(suite.time, '2.565', 'the sum of the cases');
});

t.test('the verdict is the failure message; the body has the paths and every expectation', async (t) => {
  const [pass, lo, two, broken] = parse(junitReport(results(), locations())).testsuites.testsuite[0].testcase;
  t.notOk(pass.failure);
  t.match(pass['system-out'], /laptop:wlan0 → ap:port0 → ap:port1 → laptop:wlan1/);

  t.equal(lo.failure.message, 'expected not via [laptop:lo], path was [laptop:lo]');
  t.equal(lo.failure.type, 'ExpectationFailure');
  t.match(lo.failure['#text'], /delivered through laptop:lo; nothing crossed the wire/);
  t.match(lo.failure['#text'], /✓ udp 192\.0\.2\.1 → 192\.0\.2\.2: delivered/);
  t.match(lo.failure['#text'], /✗ udp 192\.0\.2\.1 → 192\.0\.2\.2: not-via/);

  t.equal(two.failure.message, 'back: expected delivered true, saw false; back: expected path [laptop:wlan1, ap:port1, ap:port0, laptop:wlan0], saw [laptop:wlan1]');

  t.notOk(broken.failure);
  t.equal(broken.error.type, 'CaseError');
  t.equal(broken.error.message, '`ip link add wlan0` exited with 2: RTNETLINK answers: File exists');
});

t.test('markup, quotes and control characters survive the round trip', async (t) => {
  const [s] = results();
  const nasty = 'a <b> & "c" \'d\'\u0007 e';
  const xml = junitReport([{ ...s!, name: nasty, cases: [{ ...s!.cases[1]!, name: nasty, status: 'skip', error: 'line one\nline two' }] }]);
  const suite = parse(xml).testsuites.testsuite[0];
  t.equal(suite.name, 'a <b> & "c" \'d\' e', 'the bell character is dropped (XML 1.0 cannot carry it)');
  t.equal(suite.testcase[0].name, 'a <b> & "c" \'d\' e');
  t.equal(suite.testcase[0].skipped.message, 'line one\nline two', 'a newline in an attribute is kept');
  t.equal(suite.skipped, '1');
});

t.test('an empty run is an empty, valid document', async (t) => {
  const doc = parse(junitReport([]));
  t.equal(doc.testsuites.tests, '0');
  t.notOk(doc.testsuites.testsuite);
});
