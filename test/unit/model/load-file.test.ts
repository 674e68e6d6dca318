import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ScenarioError } from '../../../src/errors.js';
import { loadScenarioFile } from '../../../src/recipes/scenario.js';

const problemsOfFile = async (file: string) => {
  try {
    await loadScenarioFile(file);
  } catch (error) {
    if (error instanceof ScenarioError) return error.problems;
    throw error;
  }
  return [];
};

t.test('a missing file is a ScenarioError at line 1, column 1', async (t) => {
  t.strictSame(await problemsOfFile('/nonexistent/lab.yaml'), [
    { file: '/nonexistent/lab.yaml', line: 1, col: 1, path: '', message: 'cannot read the scenario file: no such file' },
  ]);
});

t.test('a directory is not a scenario file', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'lab-model-'));
  t.teardown(() => rm(dir, { recursive: true }));
  t.strictSame(await problemsOfFile(dir), [
    { file: dir, line: 1, col: 1, path: '', message: 'cannot read the scenario file: it is a directory, not a file' },
  ]);
});

t.test('problems name the file as it was given', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'lab-model-'));
  t.teardown(() => rm(dir, { recursive: true }));
  const file = join(dir, 'bad.yaml');
  await writeFile(file, 'name: bad\nnodes: {}\n');
  t.strictSame(await problemsOfFile(file), [
    { file, line: 1, col: 1, path: 'cases', message: 'missing required key "cases"' },
  ]);
});
