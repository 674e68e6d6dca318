// The hostile corpus, in-process against the loader: every malformed scenario is a ScenarioError
// with a clear message at file:line:col — never another exception, never a scenario.
import t from 'tap';
import { formatProblem, ScenarioError, type ScenarioProblem } from '../../../src/errors.js';
import { parseScenario } from '../../../src/recipes/scenario.js';
import { baseText, hostileCorpus, type Category } from './corpus.js';

const FILE = 'hostile.yaml';

const outcome = (text: string): { problems: ScenarioProblem[] } | { loaded: true } | { crash: unknown } => {
  try {
    parseScenario(text, FILE);
    return { loaded: true };
  } catch (err) {
    return err instanceof ScenarioError ? { problems: err.problems } : { crash: err };
  }
};

t.test('the base scenario of the corpus is valid, so each entry breaks exactly what it changes', async (t) => {
  t.same(outcome(baseText()), { loaded: true });
});

t.test('the corpus is large and covers every kind of hostile input', async (t) => {
  const corpus = hostileCorpus();
  t.ok(corpus.length >= 200, `${corpus.length} scenarios`);
  const ids = new Set(corpus.map((c) => c.id));
  t.equal(ids.size, corpus.length, 'ids are unique');
  t.equal(new Set(corpus.map((c) => c.text)).size, corpus.length, 'no two entries are the same text');
  const minimum: Record<Category, number> = {
    'yaml syntax': 25, 'wrong type': 60, 'unknown key': 20, 'bad cidr': 25, 'unsafe name': 40,
    duplicate: 8, 'dangling reference': 10, recipe: 12, impossible: 15,
  };
  for (const [category, min] of Object.entries(minimum)) {
    const n = corpus.filter((c) => c.category === category).length;
    t.ok(n >= min, `${category}: ${n} (at least ${min})`);
  }
});

t.test('every malformed scenario is rejected with located, readable problems', async (t) => {
  for (const entry of hostileCorpus()) {
    const result = outcome(entry.text);
    if ('crash' in result) {
      t.fail(`${entry.id}: crashed with ${String((result.crash as Error)?.stack ?? result.crash)}`);
      continue;
    }
    if ('loaded' in result) {
      t.fail(`${entry.id}: was accepted`);
      continue;
    }
    const lineCount = entry.text.split('\n').length;
    const bad = result.problems.filter((p) =>
      p.file !== FILE || !Number.isInteger(p.line) || !Number.isInteger(p.col) || p.line < 1 || p.col < 1 ||
      p.line > lineCount + 1 || p.message.trim() === '' || /undefined|\[object Object\]|NaN/.test(p.message) ||
      !/^hostile\.yaml:\d+:\d+: \S/.test(formatProblem(p)));
    if (result.problems.length === 0 || bad.length > 0) {
      t.fail(`${entry.id}: unclear problems`, { problems: result.problems });
      continue;
    }
    if (entry.line !== undefined && !result.problems.some((p) => p.line === entry.line)) {
      t.fail(`${entry.id}: no problem on line ${entry.line}`, { problems: result.problems.map(formatProblem) });
      continue;
    }
    t.pass(`${entry.id}: ${formatProblem(result.problems[0]!).slice(0, 160)}`);
  }
});
