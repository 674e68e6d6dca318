import t from 'tap';
import { kernelInRange, parseKernelRange, parseKernelRelease } from '../../../src/model/kernel.js';

const range = (text: string) => {
  const r = parseKernelRange(text);
  if (!r.ok) throw new Error(r.error);
  return r.value;
};

t.test('uname -r: the numeric head, missing parts 0', async (t) => {
  t.same(parseKernelRelease('6.18.44-fc-v657'), [6, 18, 44]);
  t.same(parseKernelRelease('6.8.0-1021-azure'), [6, 8, 0]);
  t.same(parseKernelRelease('6.1'), [6, 1, 0]);
  t.equal(parseKernelRelease('linux'), undefined);
});

t.test('comparisons are ANDed; a bare version matches every later number', async (t) => {
  const old = range('>=6.1 <6.8');
  t.ok(kernelInRange(old, '6.1.0-27-amd64'));
  t.ok(kernelInRange(old, '6.7.12'));
  t.notOk(kernelInRange(old, '6.8.0-1021-azure'));
  t.notOk(kernelInRange(old, '6.18.44-fc-v657'));
  t.notOk(kernelInRange(old, '5.15.0'));
  t.ok(kernelInRange(range('6.18'), '6.18.44-fc-v657'));
  t.notOk(kernelInRange(range('6.18'), '6.1.8'));
  t.ok(kernelInRange(range('=6.1.8'), '6.1.8'));
  t.notOk(kernelInRange(range('>6.18.44'), '6.18.44'));
  t.ok(kernelInRange(range('<=6.18.44'), '6.18.44'));
});

t.test('alternatives with ||', async (t) => {
  const r = range('<6.1 || >=6.18');
  t.ok(kernelInRange(r, '5.10.0'));
  t.ok(kernelInRange(r, '6.18.1'));
  t.notOk(kernelInRange(r, '6.8.0'));
});

t.test('a release that is not a version is in no range', async (t) => {
  t.notOk(kernelInRange(range('>=0'), 'unknown'));
});

t.test('malformed ranges say what is wrong', async (t) => {
  const bad = (text: string) => {
    const r = parseKernelRange(text);
    return r.ok ? 'ok' : r.error;
  };
  t.match(bad('>= 6.1'), /">=" is not a version comparison/);
  t.match(bad('~6.1'), /"~6.1" is not a version comparison/);
  t.match(bad('6.1 ||'), /empty alternative/);
  t.match(bad('6.1.2.3'), /not a version comparison/);
});
