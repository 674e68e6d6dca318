// The README is a user's two-minute document: small, with the two commands, a first scenario that
// is the example file and validates, and links that lead somewhere. Links of every page of docs/
// are checked too.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { main } from '../../../src/cli/main.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

t.test('the README: at most ~10 KB, the two commands, the exit codes', async (t) => {
  t.ok(Buffer.byteLength(readme) <= 10_500, `${Buffer.byteLength(readme)} bytes`);
  t.match(readme, /^make run\b/m);
  t.match(readme, /^make test\b/m);
  for (const code of [0, 1, 2, 3]) t.match(readme, new RegExp(`^\\| ${code} \\|`, 'm'), `exit code ${code}`);
});

t.test('its first scenario is docs/examples/two-hosts.yaml, at most 15 lines, and valid', async (t) => {
  const block = /## Your first scenario[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
  const file = join(ROOT, 'docs', 'examples', 'two-hosts.yaml');
  t.equal(block, readFileSync(file, 'utf8'));
  t.ok((block ?? '').trimEnd().split('\n').length <= 15, 'at most 15 lines');
  const out: string[] = [];
  t.equal(await main(['validate', file], { out: (s) => void out.push(s), err: (s) => void out.push(s) }), 0, out.join(''));
});

t.test('the routing guide\'s router is docs/examples/two-lans.yaml, and valid', async (t) => {
  const guide = readFileSync(join(ROOT, 'docs', 'guides', 'routing.md'), 'utf8');
  const block = /## A router between two LANs[\s\S]*?```yaml\n([\s\S]*?)```/.exec(guide)?.[1];
  const file = join(ROOT, 'docs', 'examples', 'two-lans.yaml');
  t.equal(block, readFileSync(file, 'utf8'));
  const out: string[] = [];
  t.equal(await main(['validate', file], { out: (s) => void out.push(s), err: (s) => void out.push(s) }), 0, out.join(''));
});

/** Relative Markdown links [text](target) of a page, without the #fragment. */
const links = (text: string): string[] =>
  [...text.replace(/```[\s\S]*?```/g, '').matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1]!.split('#')[0]!)
    .filter((l) => l && !/^[a-z]+:/.test(l));

const pages = (dir: string): string[] =>
  readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? pages(join(dir, f)) : f.endsWith('.md') ? [join(dir, f)] : []));

t.test('every relative link of the README and of docs/ leads to a file', async (t) => {
  const broken: string[] = [];
  for (const page of [join(ROOT, 'README.md'), ...pages(join(ROOT, 'docs'))]) {
    for (const l of links(readFileSync(page, 'utf8'))) if (!existsSync(resolve(dirname(page), l))) broken.push(`${page.slice(ROOT.length + 1)} → ${l}`);
  }
  t.same(broken, []);
  t.same(links('see [x](nowhere.md) and [y](https://example.org)'), ['nowhere.md'], 'the link finder is live');
});
