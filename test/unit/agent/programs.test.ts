// The perl programs are source files (src/agent/*.pl) compiled into src/agent/programs.ts: that
// file is up to date, each program compiles with strict and warnings and without a warning, and
// the calls into the kernel name their numbers instead of writing them out.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import t from 'tap';
import { AGENT_PL, HWSIM_RADIOS } from '../../../src/agent/programs.js';
import { PROGRAMS, programsSource, runtimeText } from '../../../src/agent/program-text.js';
import { tempDir } from '../../tmp.js';

const DIR = new URL('../../../src/agent/', import.meta.url);
const source = (file: string): string => readFileSync(new URL(file, DIR), 'utf8');

t.test('src/agent/programs.ts is the one generated from the .pl files', async (t) => {
  t.equal(readFileSync(new URL('programs.ts', DIR), 'utf8'), programsSource(DIR), 'regenerate it with: make agent');
  t.equal(AGENT_PL, runtimeText(source('agent.pl')));
  t.equal(HWSIM_RADIOS, runtimeText(source('hwsim.pl')));
  // The check is live: a changed source makes another programs.ts.
  const dir = tempDir('lab-programs-test-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const p of PROGRAMS) copyFileSync(new URL(p.file, DIR), join(dir, p.file));
  writeFileSync(join(dir, 'hwsim.pl'), `${source('hwsim.pl')}# changed\n`);
  t.not(programsSource(pathToFileURL(`${dir}/`)), programsSource(DIR), 'a stale programs.ts is noticed');
});

/** perl -c of a program text: whether it compiled, and every line perl said besides "syntax OK". */
const perlCheck = (text: string): { ok: boolean; said: string[] } => {
  const r = spawnSync('perl', ['-c', '-e', text], { encoding: 'utf8' });
  return { ok: r.status === 0, said: r.stderr.split('\n').filter((l) => l && l !== '-e syntax OK') };
};

t.test('each program compiles under strict and warnings, without a warning', async (t) => {
  for (const p of PROGRAMS) {
    const text = source(p.file);
    t.match(text, /^use strict;\nuse warnings;$/m, `${p.file} uses strict and warnings`);
    t.same(perlCheck(text), { ok: true, said: [] }, `perl -c ${p.file}`);
  }
  // The check is live: a warning perl gives at compile time, and an error strict gives.
  const warned = perlCheck(`use strict; use warnings; my $x = 1; my $x = 2;`);
  t.ok(warned.ok && warned.said.some((l) => /masks earlier declaration/.test(l)), 'a compile-time warning is seen');
  t.notOk(perlCheck(`use strict; use warnings; $undeclared = 1;`).ok, 'an undeclared variable fails');
});

t.test('the texts lab runs are the sources without the warnings pragmas, still strict, same line numbers', async (t) => {
  for (const [p, text] of [[PROGRAMS[0], AGENT_PL], [PROGRAMS[1], HWSIM_RADIOS]] as const) {
    const src = source(p.file);
    t.match(src, /^use warnings;$/m, `${p.file}: the source has use warnings`);
    t.notMatch(text, /\b(use|no) warnings\b/, `${p.name}: no warnings pragma is left to load warnings.pm`);
    t.match(text, /^use strict;$/m, `${p.name}: still strict`);
    t.equal(text.split('\n').length, src.split('\n').length, `${p.name}: as many lines as the source`);
    t.same(perlCheck(text), { ok: true, said: [] }, `${p.name} compiles`);
    // Only the pragmas differ: every other line is the source's.
    const differ = src.split('\n').filter((l, i) => l !== text.split('\n')[i]);
    t.ok(differ.length >= 1 && differ.every((l) => /\b(use|no) warnings\b/.test(l)), `${p.name}: only pragma lines changed`);
  }
  // Live: a text whose warnings pragma loads warnings.pm (checked through %INC) and one that does not.
  const loads = (text: string): boolean => spawnSync('perl', ['-e', `${text}\nprint exists $INC{'warnings.pm'} ? 1 : 0;`], { encoding: 'utf8' }).stdout === '1';
  t.ok(loads("use strict;\nuse warnings;\nsub f { no warnings 'exec'; }"), 'the source form loads warnings.pm');
  t.notOk(loads(runtimeText("use strict;\nuse warnings;\nsub f { no warnings 'exec'; }")), 'the runtime form does not');
});

const KERNEL_CALL = /\b(syscall|socket|setsockopt|getsockopt|fcntl|waitpid|bind|connect|send|recv|listen)\s*\(([^()]*)\)/;

/**
 * Calls into the kernel with a number other than 0 among their arguments instead of a named
 * constant (a packed option value, pack('i', 1), is a value, not a kernel number).
 */
const rawNumbers = (text: string): string[] =>
  text.split('\n').filter((line) => {
    if (/^\s*#/.test(line)) return false;
    // Calls inside the arguments (nr('setns'), pack(...)) become one word, innermost first.
    let flat = line;
    for (let before = ''; before !== flat; ) {
      before = flat;
      flat = flat.replace(/\b(?!(?:syscall|socket|setsockopt|getsockopt|fcntl|waitpid|bind|connect|send|recv|listen)\b)\w+\([^()]*\)/g, 'X');
    }
    const args = KERNEL_CALL.exec(flat)?.[2] ?? '';
    return args.split(',').some((a) => /^\s*(?:[1-9]\d*|0x[0-9a-f]+|0\d+)\s*$/i.test(a));
  });

t.test('the kernel calls of each program name their numbers', async (t) => {
  for (const p of PROGRAMS) t.same(rawNumbers(source(p.file)), [], `${p.file}: every syscall, flag and socket option by name`);
  // The check is live: the old agent's style is caught.
  t.same(rawNumbers('  setsockopt($s, 1, 2, pack(\'i\', 1));\n  syscall(nr(\'setns\'), fileno($f), 0x40000000) == 0 or return 0;'), [
    '  setsockopt($s, 1, 2, pack(\'i\', 1));',
    '  syscall(nr(\'setns\'), fileno($f), 0x40000000) == 0 or return 0;',
  ]);
});

t.test('perl runs a program from its text as given to perl -e', async (t) => {
  // `perl -e TEXT` is how lab runs them: the text, with its comments, is a whole program.
  const out = execFileSync('perl', ['-e', `${HWSIM_RADIOS.replace(/\nmain\(@ARGV\) unless caller;\n$/, '\n')}print defined &family_id ? "ok\\n" : "no\\n";`], { encoding: 'utf8' });
  t.equal(out, 'ok\n');
});
