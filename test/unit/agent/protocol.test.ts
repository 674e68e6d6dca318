// The agent's protocol is one table on each side: src/agent/protocol.ts for lab, %REQUESTS and
// %REPLIES in src/agent/agent.pl for the agent. They must be the same, field by field.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { AGENT_PL } from '../../../src/agent/programs.js';
import { decodeReply, encodeRequest, parseGreeting, REPLIES, replyHead, REQUESTS } from '../../../src/agent/protocol.js';
import { socketAddress } from '../../../src/agent/sockaddr.js';
import { tempDir } from '../../tmp.js';

/** The perl side's tables, as lines `request OP FIELD…` and `reply OP EVENT FIELD…`, sorted. */
const perlTables = (text: string): string[] => {
  const dir = tempDir('lab-protocol-test-');
  try {
    const file = join(dir, 'agent.pl');
    writeFileSync(file, text);
    // Loaded with `do`, the agent defines its subs and runs nothing (main ... unless caller).
    const dump = `do $ARGV[0]; die $@ if $@; my ($q, $r) = protocol_tables();
      print join("\\t", 'request', $_, @{ $q->{$_} }), "\\n" for keys %$q;
      print join("\\t", 'reply', split(/ /, $_), @{ $r->{$_} }), "\\n" for keys %$r;`;
    return execFileSync('perl', ['-e', dump, file], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

const tsTables = (): string[] =>
  [
    ...Object.entries(REQUESTS).map(([op, fields]) => ['request', op, ...fields].join('\t')),
    ...Object.entries(REPLIES).flatMap(([op, events]) =>
      Object.entries(events as Record<string, readonly string[]>).map(([event, fields]) => ['reply', op, event, ...fields].join('\t')),
    ),
  ].sort();

t.test('the agent and lab share one table of operations, events and fields', async (t) => {
  t.same(perlTables(AGENT_PL), tsTables());
  // The check is live: a field renamed on one side only is a difference.
  const renamed = perlTables(AGENT_PL.replace("exitCode:int timedOut:flag", "exitcode:int timedOut:flag"));
  t.not(renamed.join('\n'), tsTables().join('\n'), 'a field named differently in perl is noticed');
  t.ok(renamed.some((l) => l.includes('exitcode:int')));
});

t.test('requests are built from the table, by field name', async (t) => {
  t.equal(encodeRequest('exec', 7, { timeoutMs: 250.4, input: 'a\tb', argv: ['sh', '-c', 'echo é'] }), `exec\t7\t250\t${Buffer.from('a\tb').toString('hex')}\t7368\t2d63\t${Buffer.from('echo é').toString('hex')}\n`);
  t.equal(encodeRequest('close', 3, {}), 'close\t3\n');
  t.equal(
    encodeRequest('send', 1, { family: 4, from: socketAddress(4, '192.0.2.1', 0), to: socketAddress(4, '192.0.2.2', 9), dev: '', payload: 'x', kind: 'udp', timeoutMs: 1000, attributes: { tos: 16, uid: undefined, mark: 7 } }),
    'send\t1\t4\t02000000c00002010000000000000000\t02000009c00002020000000000000000\t\t78\tudp\t1000\ttos=16,mark=7\n',
    'an attribute left undefined is left out',
  );
  t.throws(() => encodeRequest('listen', 1, { kind: 'udp\t', family: 4, address: Buffer.alloc(0), marker: '', timeoutMs: 1 }), /a word holds no tab/);
  t.throws(() => encodeRequest('exec', 1, { timeoutMs: Number.NaN, input: '', argv: [] }), /exec timeoutMs: not a number/);
  t.throws(() => encodeRequest('send', 1, { family: 4, from: Buffer.alloc(0), to: Buffer.alloc(0), dev: '', payload: '', kind: 'udp', timeoutMs: 1, attributes: { tos: 1.5 } }), /NAME=INTEGER/);
});

t.test('long texts (the agent program on every agent start) are encoded once and always the same', async (t) => {
  const hex = (s: string): string => Buffer.from(s, 'utf8').toString('hex');
  const expected = `exec\t1\t0\t\t${hex('perl')}\t${hex('-e')}\t${hex(AGENT_PL)}\n`;
  t.ok(AGENT_PL.length >= 4_096, 'the program is a long text');
  t.equal(encodeRequest('exec', 1, { timeoutMs: 0, input: '', argv: ['perl', '-e', AGENT_PL] }), expected);
  t.equal(encodeRequest('exec', 1, { timeoutMs: 0, input: '', argv: ['perl', '-e', AGENT_PL] }), expected, 'again, from the cache');
  // More long texts than the cache holds: each one still encodes as itself.
  for (let i = 0; i < 20; i++) {
    const text = `${'é'.repeat(3_000)}${i}`;
    t.equal(encodeRequest('exec', 2, { timeoutMs: 0, input: text, argv: [] }), `exec\t2\t0\t${hex(text)}\n`, `long text ${i}`);
  }
});

t.test('replies are read by the table, by field name', async (t) => {
  const hex = (s: string): string => Buffer.from(s).toString('hex');
  t.same(decodeReply('exec', `4\texec\t3\t0\t${hex('out\n')}\t${hex('err\n')}`), { event: 'exec', fields: { exitCode: 3, timedOut: false, stdout: 'out\n', stderr: 'err\n' } });
  t.same(decodeReply('listen', '9\tresult\t1\t10'), { event: 'result', fields: { received: true, bytes: 10 } });
  t.same(decodeReply('listen', '9\tready'), { event: 'ready', fields: {} });
  t.same(decodeReply('read', `2\tread\t${hex('a')}\t\t${hex('c')}`), { event: 'read', fields: { contents: ['a', '', 'c'] } });
  t.same(decodeReply('send', '5\tresult\t0'), { event: 'result', fields: { replied: false } });
  t.equal(decodeReply('send', '5\tready'), undefined, 'not an event of send');
  t.same(replyHead('12\tsent\t'), { id: 12, event: 'sent' });
  t.equal(replyHead('agent\tready'), undefined, 'the greeting is no reply');
  t.same(parseGreeting('agent\tready\tabc\t42'), { token: 'abc', pid: 42 });
  t.equal(parseGreeting('agent\tgone\tabc\t42'), undefined);
});

/** The protocol block of docs/agent-protocol.md, drawn from the table: OP ID FIELD…, then → ID EVENT FIELD… per reply. */
const drawn = (requests: Record<string, readonly string[]>, replies: Record<string, Record<string, readonly string[]>>): string =>
  Object.entries(requests)
    .map(([op, fields]) =>
      [[op, 'ID', ...fields].join(' '), ...Object.entries(replies[op] ?? {}).map(([event, f]) => `  → ${['ID', event, ...f].join(' ')}`)].join('\n'),
    )
    .join('\n');

t.test('docs/agent-protocol.md shows the table as it is', async (t) => {
  const doc = readFileSync(new URL('../../../docs/agent-protocol.md', import.meta.url), 'utf8');
  const block = /```\n(exec ID[\s\S]*?)\n```/.exec(doc)?.[1];
  t.equal(block, drawn(REQUESTS, REPLIES), 'the block under "Requests and replies"');
  // The check is live: a field the document lacks is a difference.
  t.not(block, drawn({ ...REQUESTS, reap: ['labNetns:hex', 'extra:int'] }, REPLIES));
  for (const op of Object.keys(REQUESTS)) t.match(doc, new RegExp(`^### .*\\b${op}\\b`, 'm'), `a section on ${op}`);
});
