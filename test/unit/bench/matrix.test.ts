import t from 'tap';
import { checkMatrixCells, matrixScenarioText } from '../../../src/bench/matrix.js';
import { parseScenario } from '../../../src/recipes/scenario.js';

t.test('the bench matrix expands to the number of cells asked for, every cell a case of its own', async (t) => {
  const s = parseScenario(matrixScenarioText(100), 'bench-matrix-100');
  t.equal(s.cases.length, 100);
  t.equal(new Set(s.cases.map((c) => c.name)).size, 100, 'cell names are distinct');
  t.match(s.cases[0]?.name, /^accept-local \[rp_filter=0 direction=one-way ttl=64\]$/);
  t.match(s.cases[99]?.name, /^accept-local \[rp_filter=2 direction=both ttl=88\]$/);
  t.ok(s.cases.every((c) => c.recipes[0]?.params['accept_local'] === 1), 'accept_local stays 1: every cell delivers');
  t.equal(parseScenario(matrixScenarioText(4), 'bench-matrix-4').cases.length, 4);
});

t.test('cells must be a multiple of 4 within the TTL range', async (t) => {
  t.equal(checkMatrixCells(100), undefined);
  t.match(checkMatrixCells(10), /multiple of 4/);
  t.match(checkMatrixCells(0), /multiple of 4/);
  t.match(checkMatrixCells(4 * 192), /multiple of 4/);
});
