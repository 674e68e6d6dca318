// The namespace agent (src/agent/agent.pl) inside a namespace of this test's own, one test per
// operation, spoken to through the protocol table (src/agent/protocol.ts) as lab's client does.
// What each checks was seen by hand first in namespaces h-agentpl-*: socat/ping for the probes,
// nft counters with meta skuid for the socket's owner, /proc/PID/stat for the agent's children.
import { execa } from 'execa';
import { readFileSync } from 'node:fs';
import t from 'tap';
import { AGENT_PL, HWSIM_RADIOS } from '../../src/agent/programs.js';
import { decodeReply, encodeRequest, GREETING, type Operation, type Reply, type RequestFields, replyHead } from '../../src/agent/protocol.js';
import { socketAddress } from '../../src/agent/sockaddr.js';
import { plainRunner } from '../../src/backends/runner.js';
import { needsRoot } from './helpers.js';

const NS = `lab-agt${process.pid}-a`;

const nft = (ruleset: string) => execa('ip', ['netns', 'exec', NS, 'nft', '-f', '-'], { input: ruleset });
/** Packets the nft counter named `name` (in table inet agt) has counted. */
const counted = async (name: string): Promise<number> => {
  const r = await execa('ip', ['netns', 'exec', NS, 'nft', 'list', 'counter', 'inet', 'agt', name]);
  return Number(/packets (\d+)/.exec(r.stdout)?.[1]);
};

/** The agent in NS over stdin/stdout, with requests and replies by field name. */
const startAgent = async (t: { teardown(fn: () => unknown): void }) => {
  const proc = plainRunner().start({ argv: ['ip', 'netns', 'exec', NS, 'perl', '-e', AGENT_PL], interactive: true, timeoutMs: 120_000 });
  t.teardown(() => proc.kill());
  if (!(await proc.waitForLine((l) => l === GREETING))) throw new Error(`no agent: ${(await proc.done).stderr}`);
  let id = 0;
  const request = <O extends Operation>(op: O, fields: RequestFields<O>): number => {
    id += 1;
    proc.write?.(encodeRequest(op, id, fields));
    return id;
  };
  const reply = async <O extends Operation>(op: O, n: number, event?: string): Promise<Reply<O>> => {
    const line = await proc.waitForLine((l) => replyHead(l)?.id === n && (!event || replyHead(l)?.event === event));
    const r = line === undefined ? undefined : decodeReply(op, line);
    if (!r) throw new Error(`no ${event ?? 'reply'} to ${op} ${n}: ${JSON.stringify(line)}`);
    return r;
  };
  return { proc, request, reply };
};

type Agent = Awaited<ReturnType<typeof startAgent>>;

const v4 = (port: number) => socketAddress(4, '127.0.0.1', port);
const send = (a: Agent, fields: Partial<RequestFields<'send'>> & { to: Buffer }) =>
  a.request('send', { family: 4, from: v4(0), dev: '', payload: 'MARK', kind: 'udp', timeoutMs: 1000, attributes: {}, ...fields });

/** Minor faults of the agent's reaped children (/proc/PID/stat field 11, cminflt): grows with every child it forks and reaps. */
const childFaults = (pid: number): number => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')[8]);

t.before(async () => {
  if (needsRoot) return;
  await execa('ip', ['netns', 'add', NS]);
  await execa('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
});
t.teardown(() => execa('ip', ['netns', 'del', NS], { reject: false }));

t.test('exec runs a command inside the namespace', { skip: needsRoot }, async (t) => {
  const a = await startAgent(t);
  const r = await a.reply('exec', a.request('exec', { timeoutMs: 5000, input: '', argv: ['readlink', '/proc/self/ns/net'] }));
  const there = (await execa('ip', ['netns', 'exec', NS, 'readlink', '/proc/self/ns/net'])).stdout;
  t.same(r.fields, { exitCode: 0, timedOut: false, stdout: `${there}\n`, stderr: '' });
});

t.test('a forkable perl -e program runs in a fork of the agent, compiled once; any other is exec\'d', { skip: needsRoot }, async (t) => {
  const a = await startAgent(t);
  // What a run sees of its process: how many words its command line has, and its arguments.
  const body = 'sub main { open my $f, "<", "/proc/self/cmdline"; local $/; my @a = split /\\0/, <$f>; print scalar(@a), " @_\\n"; print STDERR "err\\n"; exit($_[0] eq "fail" ? 3 : 0) }\n';
  const forkable = `${body}# netns-lab: forkable\nmain(@ARGV) unless caller;\n`;
  const plain = `${body}main(@ARGV) unless caller;\n`;
  const run = async (text: string, ...args: string[]) =>
    (await a.reply('exec', a.request('exec', { timeoutMs: 5000, input: '', argv: ['perl', '-e', text, ...args] }))).fields;
  t.same(await run(forkable, 'x', 'y'), { exitCode: 0, timedOut: false, stdout: '3 x y\n', stderr: 'err\n' }, 'a fork: the agent\'s own command line (perl -e AGENT), the arguments its main got');
  t.same(await run(forkable, 'z'), { exitCode: 0, timedOut: false, stdout: '3 z\n', stderr: 'err\n' }, 'again');
  t.same(await run(forkable, 'fail'), { exitCode: 3, timedOut: false, stdout: '3 fail\n', stderr: 'err\n' }, 'its exit code');
  t.same(await run(plain, 'x', 'y'), { exitCode: 0, timedOut: false, stdout: '5 x y\n', stderr: 'err\n' }, 'not marked: a perl of its own (perl -e TEXT x y)');
  const broken = await run('sub main { 1 }\n# netns-lab: forkable\nmy $x = ;\n');
  t.not(broken.exitCode, 0, 'marked but not perl: exec\'d, and perl says why');
  t.match(broken.stderr, /syntax error/);
  // hwsim.pl is one, and fails as its own perl would on a step it does not know.
  t.same(await run(HWSIM_RADIOS, 'no-such-step'), { exitCode: 255, timedOut: false, stdout: '', stderr: "unknown step 'no-such-step'\n" });
});

t.test('listen and send: udp over IPv6 with tos and flow label, tcp over IPv4', { skip: needsRoot }, async (t) => {
  const a = await startAgent(t);
  const v6 = (port: number, flowlabel?: number) => socketAddress(6, '::1', port, flowlabel);
  const udp = a.request('listen', { kind: 'udp', family: 6, address: v6(5301), marker: 'MARK-6', timeoutMs: 5000 });
  const tcp = a.request('listen', { kind: 'tcp', family: 4, address: v4(5302), marker: 'MARK-4', timeoutMs: 5000 });
  t.equal((await a.reply('listen', udp, 'ready')).event, 'ready');
  t.equal((await a.reply('listen', tcp, 'ready')).event, 'ready');
  const sent6 = send(a, { family: 6, from: v6(0), to: v6(5301, 0x12345), payload: 'x MARK-6', attributes: { tos: 0x10, flowlabel: 0x12345 } });
  t.has((await a.reply('send', sent6)).fields, { error: '' });
  t.same((await a.reply('listen', udp, 'result')).fields, { received: true, bytes: 8 });
  const sent4 = send(a, { kind: 'tcp', to: v4(5302), payload: 'MARK-4' });
  t.has((await a.reply('send', sent4)).fields, { error: '' });
  t.same((await a.reply('listen', tcp, 'result')).fields, { received: true, bytes: 6 });
});

t.test('send says why a connection failed: refused, or not answered in time', { skip: needsRoot }, async (t) => {
  const a = await startAgent(t);
  await nft('table inet agt {\n chain out { type filter hook output priority 0; tcp dport 5311 drop; }\n}');
  t.teardown(() => execa('ip', ['netns', 'exec', NS, 'nft', 'delete', 'table', 'inet', 'agt'], { reject: false }));
  t.has((await a.reply('send', send(a, { kind: 'tcp', to: v4(5310) }))).fields, { error: 'connect: Connection refused' });
  const started = Date.now();
  t.has((await a.reply('send', send(a, { kind: 'tcp', to: v4(5311), timeoutMs: 300 }))).fields, { error: 'connect: Connection timed out' });
  t.ok(Date.now() - started < 3000, 'within its timeout');
});

t.test('send of an echo request: sent, then whether the reply came', { skip: needsRoot }, async (t) => {
  const a = await startAgent(t);
  const v4echo = send(a, { kind: 'icmp', to: v4(0), attributes: { echo: 4321 } });
  t.has((await a.reply('send', v4echo, 'sent')).fields, { error: '' }, 'sent (the pid of the child that sent it besides: test/unit/agent/agent.test.ts)');
  t.same((await a.reply('send', v4echo, 'result')).fields, { replied: true }, 'IPv4');
  const v6echo = send(a, { kind: 'icmp', family: 6, from: socketAddress(6, '::1', 0), to: socketAddress(6, '::1', 0), attributes: { echo: 4322 } });
  t.same((await a.reply('send', v6echo, 'result')).fields, { replied: true }, 'IPv6');
  await nft('table inet agt {\n chain in { type filter hook input priority 0; icmp type echo-reply drop; }\n}');
  t.teardown(() => execa('ip', ['netns', 'exec', NS, 'nft', 'delete', 'table', 'inet', 'agt'], { reject: false }));
  const dropped = send(a, { kind: 'icmp', to: v4(0), timeoutMs: 300, attributes: { echo: 4323 } });
  t.same((await a.reply('send', dropped, 'result')).fields, { replied: false }, 'no reply within the timeout');
});

t.test('a datagram is sent by the agent itself; with uid by a child whose fsuid owns the socket', { skip: needsRoot }, async (t) => {
  const a = await startAgent(t);
  const pid = a.proc.pid ?? 0;
  await nft(`table inet agt {
    counter uid4242 { }
    counter uid0 { }
    chain out { type filter hook output priority 0; udp dport 5320 meta skuid 4242 counter name uid4242; udp dport 5320 meta skuid 0 counter name uid0; }
  }`);
  t.teardown(() => execa('ip', ['netns', 'exec', NS, 'nft', 'delete', 'table', 'inet', 'agt'], { reject: false }));
  const before = childFaults(pid);
  for (let i = 0; i < 5; i++) t.has((await a.reply('send', send(a, { to: v4(5320) }))).fields, { error: '' });
  await new Promise((r) => setTimeout(r, 200));
  t.equal(childFaults(pid), before, 'five datagrams, no child forked and reaped');
  t.same([await counted('uid0'), await counted('uid4242')], [5, 0], 'sent by root');
  t.has((await a.reply('send', send(a, { to: v4(5320), attributes: { uid: 4242 } }))).fields, { error: '' });
  for (let i = 0; i < 50 && childFaults(pid) === before; i++) await new Promise((r) => setTimeout(r, 20));
  t.ok(childFaults(pid) > before, 'with uid: a child sent it');
  t.same([await counted('uid0'), await counted('uid4242')], [5, 1], 'its socket belongs to uid 4242');
  t.has((await a.reply('send', send(a, { to: v4(5320) }))).fields, { error: '' });
  t.same([await counted('uid0'), await counted('uid4242')], [6, 1], 'and the agent\'s next datagram is root\'s again');
});

t.test('write and read the namespace\'s files', { skip: needsRoot }, async (t) => {
  const a = await startAgent(t);
  const path = '/proc/sys/net/ipv4/conf/lo/forwarding';
  const w = await a.reply('write', a.request('write', { files: [path, '1', '/proc/sys/net/ipv4/conf/nosuchdev0/forwarding', '1'] }));
  t.same(w.fields, { errors: ['', 'No such file or directory'] });
  const r = await a.reply('read', a.request('read', { paths: [path, '/proc/net/snmp6', '/nonexistent'] }));
  const [forwarding, snmp6, none] = r.event === 'read' ? r.fields.contents : [];
  t.equal(forwarding, '1\n');
  t.match(snmp6, /^Ip6InReceives\s+\d+/);
  t.equal(none, '');
  const root = await execa('cat', [path]);
  t.not(root.stdout, undefined, 'lab\'s own namespace has its own value (not checked: the test never writes there)');
});

t.test('reap kills what still runs in the namespace, never the agent', { skip: needsRoot }, async (t) => {
  const a = await startAgent(t);
  const bg = await a.reply('exec', a.request('exec', { timeoutMs: 5000, input: '', argv: ['sh', '-c', 'sleep 30 >/dev/null 2>&1 </dev/null &'] }));
  t.equal(bg.event === 'exec' && bg.fields.exitCode, 0);
  const pids = async () => (await execa('ip', ['netns', 'pids', NS])).stdout.split('\n').filter(Boolean);
  t.equal((await pids()).length, 2, 'the agent and a sleep');
  const own = (await execa('readlink', ['/proc/self/ns/net'])).stdout;
  t.same((await a.reply('reap', a.request('reap', { labNetns: own }))).fields, { killed: 1 });
  for (let i = 0; i < 50 && (await pids()).length > 1; i++) await new Promise((r) => setTimeout(r, 20));
  t.same(await pids(), [String(a.proc.pid)], 'the agent alone');
});

t.test('the agent ends cleanly when its stdin closes, and perl warned about nothing', { skip: needsRoot }, async (t) => {
  const a = await startAgent(t);
  // One request of each operation, the odd ones included (a short request, an unknown one).
  a.proc.write?.('reap\t101\n');
  a.proc.write?.('nosuchop\t102\tx\n');
  a.proc.write?.('\n');
  t.same((await a.reply('reap', 101)).fields, { killed: -1 }, 'a request without its field: the field is empty');
  await a.reply('exec', a.request('exec', { timeoutMs: 100, input: '', argv: ['sleep', '1'] }));
  await a.reply('read', a.request('read', { paths: ['/nonexistent'] }));
  await a.reply('send', send(a, { kind: 'icmp', to: v4(0), timeoutMs: 100, attributes: {} }), 'result');
  const l = a.request('listen', { kind: 'udp', family: 4, address: v4(5330), marker: 'M', timeoutMs: 60_000 });
  await a.reply('listen', l, 'ready');
  a.proc.end?.();
  const done = await a.proc.done;
  t.equal(done.exitCode, 0);
  t.equal(done.stderr, '', 'nothing on stderr');
  t.match(done.stdout, new RegExp(`\n${l}\tresult\t0\t0\n?$`), 'its listener answered before it ended');
});
