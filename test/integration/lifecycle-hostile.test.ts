// A sample of the hostile corpus through the real CLI: exit 2, file:line:col on stderr, no stack
// trace unless --debug, and not one `ip` command run (so no namespace created). `ip` is wrapped
// by a logging shim on PATH, which proves it without looking at namespaces other labs may create.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pLimit from 'p-limit';
import t from 'tap';
import { hostileCorpus } from '../unit/model/corpus.js';
import { lab, needsRoot } from './helpers.js';
import { tempDir } from '../tmp.js';

const dir = tempDir('lab-hostile-');
const ipLog = join(dir, 'ip.log');
const shimDir = join(dir, 'bin');

/** PATH with an `ip` that logs its arguments and then runs the real one. */
const shimmedEnv = (): Record<string, string> => {
  const realIp = ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'].find((p) => existsSync(p)) ?? 'ip';
  if (!existsSync(shimDir)) {
    mkdirSync(shimDir);
    writeFileSync(join(shimDir, 'ip'), `#!/bin/sh\necho "$*" >> '${ipLog}'\nexec ${realIp} "$@"\n`);
    chmodSync(join(shimDir, 'ip'), 0o755);
  }
  return { PATH: `${shimDir}:${process.env['PATH'] ?? ''}` };
};

/** One scenario of each category, plus the nastiest ones. */
const sample = () => {
  const corpus = hostileCorpus();
  const picked = new Map<string, (typeof corpus)[number]>();
  for (const e of corpus) if (!picked.has(e.category)) picked.set(e.category, e);
  for (const id of ['yaml syntax: alias bomb', 'yaml syntax: deeply nested unclosed flow sequences', 'yaml syntax: binary garbage', 'unsafe name: node "$(reboot)" (9 characters)']) {
    const e = corpus.find((c) => c.id === id);
    if (e) picked.set(id, e);
  }
  return [...picked.values()];
};

t.test('malformed scenarios through the CLI: exit 2, located message, no stack, no ip command', { skip: needsRoot }, async (t) => {
  const env = shimmedEnv();
  const entries = sample();
  t.ok(entries.length >= 12, `${entries.length} scenarios`);
  // Four at a time: each is a process start and a load, nothing more.
  const limit = pLimit(4);
  const checks = entries.flatMap((entry, i) => {
    const file = join(dir, `hostile-${i}.yaml`);
    writeFileSync(file, entry.text);
    // lab up loads the same way as lab run: a few of them are enough.
    const commands = [['validate', file], ['run', file], ...(i < 4 ? [['up', file]] : [])];
    return commands.map((command) => limit(async () => ({ entry, file, command, r: await lab(command, { env: { ...process.env, ...env } }) })));
  });
  for (const { entry, file, command, r } of await Promise.all(checks)) {
    const stderr = String(r.stderr);
    const where = `${command[0]} ${entry.id}`;
    t.equal(r.exitCode, 2, `${where}: exit 2`);
    t.match(stderr, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+:\\d+: \\S`, 'm'), `${where}: file:line:col`);
    if (entry.line !== undefined) t.match(stderr, new RegExp(`\\.yaml:${entry.line}:\\d+: `), `${where}: on line ${entry.line}`);
    t.notMatch(stderr, /^\s+at /m, `${where}: no stack trace`);
    t.notMatch(stderr, /internal error|TypeError|RangeError/, `${where}: no crash`);
  }
  t.notOk(existsSync(ipLog) && readFileSync(ipLog, 'utf8').trim(), 'no ip command ran: nothing was created');
});

t.test('--debug adds the stack trace', { skip: needsRoot }, async (t) => {
  const file = join(dir, 'debug.yaml');
  writeFileSync(file, 'name: x\nnodes: 5\n');
  const plain = await lab(['validate', file]);
  const debug = await lab(['validate', file, '--debug']);
  t.equal(plain.exitCode, 2);
  t.equal(debug.exitCode, 2);
  t.notMatch(String(plain.stderr), /^\s+at /m);
  t.match(String(debug.stderr), /debug\.yaml:2:8: nodes: must be a mapping/);
  t.match(String(debug.stderr), /^\s+at .*\(file:.*dist\/cli\/load\.js:\d+:\d+\)/m, 'the stack shows where');
});
