// Wireless links in scenario files: radios are devices defined once, and each mode's own rules,
// every problem reported at once.
import t from 'tap';
import { parseScenario } from '../../../src/recipes/scenario.js';
import { FILE, problem, problemsOf, text } from './fixtures/helpers.js';

const scenario = (...links: string[]): string =>
  text(
    'name: wlan',
    'nodes: { laptop: {}, ap: {} }',
    'links:',
    ...links,
    'addresses: { laptop:wlan0: 192.0.2.1/24, laptop:wlan1: 192.0.2.2/24 }',
    'cases:',
    '  - name: ok',
    '    probes: [ { udp: { from: laptop:192.0.2.1, to: 192.0.2.2 } } ]',
  );

t.test('a mesh link gives each radio to its node, with defaults filled in', async (t) => {
  const s = parseScenario(scenario('  - { type: wireless, radios: [laptop:wlan0, laptop:wlan1] }'), FILE);
  t.strictSame(s.links, []);
  t.strictSame(s.wireless, [{
    kind: 'wireless',
    radios: [{ node: 'laptop', dev: 'wlan0' }, { node: 'laptop', dev: 'wlan1' }],
    mode: 'mesh',
    ssid: 'netns-lab',
    freq: 2412,
    loc: { line: 4, col: 5 },
  }]);
});

t.test('an access point link names its AP radio and may carry a WPA2 passphrase', async (t) => {
  const s = parseScenario(scenario(
    '  - { type: wireless, radios: [ap:wlan0, laptop:wlan0, laptop:wlan1], mode: ap, ap: ap:wlan0, ssid: lab, passphrase: secret-passphrase, freq: 2437 }',
  ), FILE);
  t.match(s.wireless?.[0], { mode: 'ap', ap: { node: 'ap', dev: 'wlan0' }, ssid: 'lab', passphrase: 'secret-passphrase', freq: 2437 });
});

t.test("each mode's rules, and radios defined once, all at once", async (t) => {
  t.strictSame(problemsOf(scenario(
    '  - { type: wireless, radios: [laptop:wlan0, laptop:wlan1], mode: ap }',
    "  - { type: wireless, radios: [ap:wlan0, laptop:wlan0], ap: ap:wlan0, passphrase: '12345678' }",
    '  - { type: wireless, radios: [ap:wlan1, ap:wlan2], mode: ap, ap: ap:wlan9 }',
    '  - { type: wireless, radios: [ap:wlan3, ap:wlan4], freq: 2472 }',
    '  - [laptop:wlan1, ap:port0]',
  )), [
    problem(4, 5, 'links.0', 'mode ap needs ap: naming the radio that is the access point (one of laptop:wlan0, laptop:wlan1)'),
    problem(5, 42, 'links.1.radios.1', 'laptop:wlan0 is already a link end (links.0.radios.0, line 4); each device is defined once'),
    problem(5, 61, 'links.1.ap', 'ap: applies to mode ap only (this link is mesh)'),
    problem(5, 83, 'links.1.passphrase', 'passphrase: applies to mode ap only (WPA2-PSK); mesh links are open'),
    problem(6, 67, 'links.2.ap', 'ap:wlan9 is not one of this link\'s radios (ap:wlan1, ap:wlan2)'),
    problem(7, 59, 'links.3.freq', 'must be a 2.4 GHz channel frequency from 2412 (channel 1) to 2462 (channel 11), in steps of 5 MHz'),
    problem(8, 6, 'links.4.0', 'laptop:wlan1 is already a link end (links.0.radios.1, line 4); each device is defined once'),
  ]);
});

t.test('a mapping that is not a wireless link is reported at its keys', async (t) => {
  const problems = problemsOf(scenario('  - { type: wireless, radio: [laptop:wlan0, laptop:wlan1] }'));
  t.strictSame(problems.map((p) => [p.path, p.message]), [
    ['links.0.radios', 'missing required key "radios"'],
    ['links.0.radio', 'unknown key "radio" (allowed here: type, radios, mode, ap, ssid, passphrase, freq)'],
  ]);
});
