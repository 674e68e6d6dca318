// Issue 15, point 8: `lab doctor` says whether tcpdump (which --out needs) is there.
import t from 'tap';
import { lab, needsRoot } from './helpers.js';

t.test('lab doctor checks tcpdump', { skip: needsRoot }, async (t) => {
  const r = await lab(['doctor']);
  t.match(String(r.stdout), /tcpdump \(for --out pcaps\)\s*│\s*ok\s*│\s*tcpdump version \d/, String(r.stdout));
});
