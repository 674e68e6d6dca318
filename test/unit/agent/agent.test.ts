import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import t from 'tap';
import { plainRunner } from '../../../src/backends/runner.js';
import { forkingRunner, perlForked } from '../../../src/backends/forker.js';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NamespaceAgent, sysctlPath } from '../../../src/backends/agent.js';
import { parseProcCounters } from '../../../src/agent/proc-counters.js';
import { AGENT_PL } from '../../../src/agent/programs.js';
import { decodeReply, encodeRequest, GREETING, type Operation, type Reply, type RequestFields, replyHead } from '../../../src/agent/protocol.js';
import { ipv6Bytes, socketAddress } from '../../../src/agent/sockaddr.js';
import { tempDir } from '../../tmp.js';

t.test('/proc/net/snmp, netstat and snmp6 are read the way nstat names them', async (t) => {
  const snmp = [
    'Ip: Forwarding DefaultTTL InReceives InHdrErrors',
    'Ip: 2 64 25102 0',
    'Udp: InDatagrams NoPorts InErrors',
    'Udp: 10 3 0',
  ].join('\n');
  const netstat = ['TcpExt: SyncookiesSent IPReversePathFilter', 'TcpExt: 0 7'].join('\n');
  const snmp6 = ['Ip6InReceives                   \t12', 'Ip6InNoRoutes                   \t1', 'Udp6NoPorts \t3'].join('\n');
  t.same(parseProcCounters(snmp, netstat, snmp6), {
    IpForwarding: 2,
    IpDefaultTTL: 64,
    IpInReceives: 25102,
    IpInHdrErrors: 0,
    UdpInDatagrams: 10,
    UdpNoPorts: 3,
    UdpInErrors: 0,
    TcpExtSyncookiesSent: 0,
    TcpExtIPReversePathFilter: 7,
    Ip6InReceives: 12,
    Ip6InNoRoutes: 1,
    Udp6NoPorts: 3,
  });
  t.same(parseProcCounters(''), {});
});

t.test('socket addresses are packed the way bind() takes them', async (t) => {
  const sockaddrHex = (family: 4 | 6, address: string, port: number) => socketAddress(family, address, port).toString('hex');
  t.equal(sockaddrHex(4, '192.0.2.1', 47000), '0200b798c000020100000000' + '00000000');
  t.equal(ipv6Bytes('2001:db8::1').toString('hex'), '20010db8000000000000000000000001');
  t.equal(ipv6Bytes('::1').toString('hex'), '00000000000000000000000000000001');
  t.equal(ipv6Bytes('::ffff:192.0.2.1').toString('hex'), '00000000000000000000ffffc0000201');
  t.equal(ipv6Bytes('fe80::1%eth0').toString('hex'), 'fe800000000000000000000000000001');
  t.equal(sockaddrHex(6, '::1', 1).slice(0, 8), '0a000001');
  t.equal(sockaddrHex(6, '::1', 1).length, 56);
  t.throws(() => ipv6Bytes('1:2:3'), /not an IPv6 address/);
  t.throws(() => ipv6Bytes('2001:db8::g'), /not an IPv6 address/);
});

// The agent itself, run here (no namespace: only 127.0.0.1 is used), through the protocol table
// (src/agent/protocol.ts): requests built and replies read by field name, as the client does.
const sa = (port: number) => socketAddress(4, '127.0.0.1', port);

export const agent = (t: { teardown(fn: () => void): void }) => {
  const proc = forkingRunner().start({ argv: ['perl', '-e', AGENT_PL], interactive: true, timeoutMs: 30_000 });
  t.teardown(() => proc.kill());
  let id = 0;
  return {
    proc,
    send<O extends Operation>(op: O, fields: RequestFields<O>): number {
      id += 1;
      proc.write?.(encodeRequest(op, id, fields));
      return id;
    },
    /** The next reply to request `n` of `op` (with `event` when given). */
    answer: <O extends Operation>(op: O, n: number, event?: string): Promise<Reply<O>> =>
      proc
        .waitForLine((l) => replyHead(l)?.id === n && (!event || replyHead(l)?.event === event))
        .then((l) => {
          const r = l === undefined ? undefined : decodeReply(op, l);
          if (!r) throw new Error(`no ${event ?? 'reply'} to ${op} ${n}: ${l}`);
          return r;
        }),
  };
};

t.test('the agent runs commands with their input, exit code, stdout and stderr', async (t) => {
  const a = agent(t);
  t.ok(await a.proc.waitForLine((l) => l === GREETING), 'it says it is ready');
  const cat = a.send('exec', { timeoutMs: 5000, input: 'hello\tworld\n', argv: ['cat'] });
  const fail = a.send('exec', { timeoutMs: 5000, input: '', argv: ['sh', '-c', 'echo out; echo err >&2; exit 3'] });
  const missing = a.send('exec', { timeoutMs: 5000, input: '', argv: ['/nonexistent/tool'] });
  const slow = a.send('exec', { timeoutMs: 300, input: '', argv: ['sleep', '5'] });
  const empty = a.send('exec', { timeoutMs: 300, input: '', argv: [] });
  const [c, f, m, s, e] = await Promise.all([cat, fail, missing, slow, empty].map((n) => a.answer('exec', n)));
  t.same(c, { event: 'exec', fields: { exitCode: 0, timedOut: false, stdout: 'hello\tworld\n', stderr: '' } });
  t.same(f?.fields, { exitCode: 3, timedOut: false, stdout: 'out\n', stderr: 'err\n' });
  t.equal(m?.fields.exitCode, 127);
  t.match(m?.fields.stderr, /^\/nonexistent\/tool: No such file or directory\n$/, 'what a shell says, and no warning of perl\'s');
  t.same([s?.fields.exitCode, s?.fields.timedOut], [-1, true], 'a command over its timeout is killed and says so');
  t.same(e?.fields, { exitCode: 127, timedOut: false, stdout: '', stderr: 'empty argv' }, 'nothing to run');
  // Seen failing before: the killed command's closed pipes stayed in the agent's select set, whose
  // EBADF ended the agent at its next turn.
  t.same((await a.answer('read', a.send('read', { paths: ['/nonexistent'] }))).fields, { contents: [''] }, 'the agent answers after a command timed out');
});

t.test('the agent reads files, unreadable ones as empty', async (t) => {
  const a = agent(t);
  const r = await a.answer('read', a.send('read', { paths: ['/proc/net/snmp', '/nonexistent'] }));
  t.equal(r.event, 'read');
  const [snmp, none] = r.event === 'read' ? r.fields.contents : [];
  t.match(snmp, /^Ip: Forwarding/);
  t.equal(none, '');
});

t.test('a UDP listener reports the datagram with its marker, and only that one', async (t) => {
  const a = agent(t);
  const port = 47_000 + (process.pid % 1000);
  const id = a.send('listen', { kind: 'udp', family: 4, address: sa(port), marker: 'MARK-1', timeoutMs: 5000 });
  t.same(await a.answer('listen', id, 'ready'), { event: 'ready', fields: {} });
  const s = createSocket('udp4');
  for (const text of ['other', 'x MARK-1 y']) await new Promise((r) => s.send(text, port, '127.0.0.1', r));
  s.close();
  t.same(await a.answer('listen', id, 'result'), { event: 'result', fields: { received: true, bytes: 10 } });
});

t.test('a listener closed before its datagram answers received 0; a busy port is an error', async (t) => {
  const a = agent(t);
  const port = 48_000 + (process.pid % 1000);
  const first = a.send('listen', { kind: 'tcp', family: 4, address: sa(port), marker: 'M', timeoutMs: 5000 });
  await a.answer('listen', first, 'ready');
  const second = a.send('listen', { kind: 'tcp', family: 4, address: sa(port), marker: 'M', timeoutMs: 5000 });
  t.same(await a.answer('listen', second, 'error'), { event: 'error', fields: { message: 'bind: Address already in use' } });
  a.proc.write?.(encodeRequest('close', first, {}));
  t.same(await a.answer('listen', first, 'result'), { event: 'result', fields: { received: false, bytes: 0 } });
});

t.test('a TCP listener finds the marker across the data of a connection', async (t) => {
  const a = agent(t);
  const port = 49_000 + (process.pid % 1000);
  const id = a.send('listen', { kind: 'tcp', family: 4, address: sa(port), marker: 'MARK-2', timeoutMs: 5000 });
  await a.answer('listen', id, 'ready');
  const c = connect(port, '127.0.0.1');
  c.on('error', () => undefined);
  c.write('MA');
  setTimeout(() => c.end('RK-2'), 50);
  t.same(await a.answer('listen', id, 'result'), { event: 'result', fields: { received: true, bytes: 6 } });
});

t.test('the agent ends when its stdin closes', async (t) => {
  const a = agent(t);
  const id = a.send('listen', { kind: 'udp', family: 4, address: sa(50_000 + (process.pid % 1000)), marker: 'M', timeoutMs: 60_000 });
  await a.answer('listen', id, 'ready');
  a.proc.end?.();
  const done = await a.proc.done;
  t.equal(done.exitCode, 0);
  t.match(done.stdout, new RegExp(`${id}\tresult\t0`), 'its listener said it had nothing');
});

t.test('lab\'s perl process forks the commands, and a fresh one takes over after so many', async (t) => {
  const inner = plainRunner();
  let starts = 0;
  const counting = { run: inner.run, start: (cmd: Parameters<typeof inner.start>[0]) => (starts++, inner.start(cmd)) };
  const runner = perlForked(counting, 3);
  const results = [];
  for (let i = 0; i < 7; i++) results.push(await runner.run({ argv: ['sh', '-c', `echo ${i}; echo err >&2; exit ${i % 2}`] }));
  t.same(results.map((r) => [r.stdout, r.stderr, r.exitCode]), [0, 1, 2, 3, 4, 5, 6].map((i) => [`${i}\n`, 'err\n', i % 2]));
  t.equal(starts, 3, 'seven commands, three commands per perl process');
  const side = await Promise.all([1, 2, 3, 4].map((i) => runner.run({ argv: ['echo', String(i)] })));
  t.same(side.map((r) => r.stdout), ['1\n', '2\n', '3\n', '4\n'], 'side by side, each gets its own answer');
});

t.test('the agent sends a UDP datagram from a bound address, and says why it could not', async (t) => {
  const a = agent(t);
  const port = 51_000 + (process.pid % 1000);
  const got = new Promise<{ text: string; from: string }>((resolve) => {
    const s = createSocket('udp4');
    s.on('message', (msg, rinfo) => {
      s.close();
      resolve({ text: msg.toString(), from: rinfo.address });
    });
    s.bind(port, '127.0.0.1');
    t.teardown(() => {
      try {
        s.close();
      } catch {
        // Closed already.
      }
    });
  });
  await new Promise((r) => setTimeout(r, 50));
  const udp = (from: string, dev: string, payload: string) =>
    a.send('send', { family: 4, from: socketAddress(4, from, 0), to: sa(port), dev, payload, kind: 'udp', timeoutMs: 1000, attributes: {} });
  // pid: the process that sent it, the agent itself for a datagram (the fib lookups' task, src/probes/fib-sender.ts).
  const agentPid = a.proc.pid;
  t.ok(agentPid, 'the agent process has a pid');
  t.same(await a.answer('send', udp('127.0.0.1', '', 'MARK-3\n')), { event: 'sent', fields: { error: '', pid: agentPid } }, 'sent, by the agent');
  t.same(await got, { text: 'MARK-3\n', from: '127.0.0.1' });
  const bad = await a.answer('send', udp('192.0.2.77', '', 'x'));
  t.same(bad.fields, { error: 'bind: Cannot assign requested address', pid: agentPid }, 'an address the namespace does not have');
  const dev = await a.answer('send', udp('127.0.0.1', 'nosuchdev0', 'x'));
  t.same(dev.fields, { error: 'SO_BINDTODEVICE: No such device', pid: agentPid }, 'a device the namespace does not have');
  // A TCP connect is made by a child: its own pid, not the agent's (port 1 on 127.0.0.1: refused at once).
  const tcp = await a.answer('send', a.send('send', { family: 4, from: socketAddress(4, '127.0.0.1', 0), to: sa(1), dev: '', payload: 'x', kind: 'tcp', timeoutMs: 1000, attributes: {} }));
  t.equal(tcp.event, 'sent');
  const child = tcp.event === 'sent' ? tcp.fields.pid : 0;
  t.ok(child > 0 && child !== agentPid, `a child sent the connect (pid ${child}, the agent ${agentPid})`);
});

t.test('an input larger than a pipe holds reaches the command whole', async (t) => {
  const a = agent(t);
  const big = 'x'.repeat(300_000);
  const id = a.send('exec', { timeoutMs: 10_000, input: big, argv: ['wc', '-c'] });
  t.equal((await a.answer('exec', id)).fields.stdout.trim(), '300000');
});

t.test('a command that closes its output and goes on is still waited for, up to its timeout', async (t) => {
  const a = agent(t);
  const id = a.send('exec', { timeoutMs: 5_000, input: '', argv: ['sh', '-c', 'echo early; exec >&- 2>&-; sleep 0.3; exit 4'] });
  const started = Date.now();
  const r = (await a.answer('exec', id)).fields;
  t.same([r.exitCode, r.timedOut, r.stdout], [4, false, 'early\n']);
  t.ok(Date.now() - started >= 250, 'its exit code came when it ended');
});

t.test('an agent started as a command connects back over lab\'s socket', async (t) => {
  // In lab's own namespace: `ip netns exec NS` is dropped, the rest of the command is the agent's.
  const inner = forkingRunner();
  const here = { run: (cmd: { argv: readonly string[] }) => inner.run({ ...cmd, argv: cmd.argv.slice(4) }), start: inner.start };
  // The socket folder of a lab that was killed (no exit handler ran) goes when the next one opens.
  const stale = join(tmpdir(), 'lab-agents-999999-test');
  mkdirSync(stale, { recursive: true });
  const agent = await NamespaceAgent.start(here, 'here', 30_000);
  t.notOk(existsSync(stale), 'a dead lab\'s socket folder is swept');
  t.ok(readdirSync(tmpdir()).some((n) => n.startsWith(`lab-agents-${process.pid}-`)), 'this one\'s is there');
  const r = await agent.run({ argv: ['sh', '-c', 'echo hi; exit 2'] });
  t.same([r.exitCode, r.stdout], [2, 'hi\n']);
  t.match((await agent.read(['/proc/net/snmp']))[0], /^Ip: /);
  t.notOk(agent.ended);
  // A key without a file (nothing is written: this is lab's own namespace) fails the way sysctl does.
  const bad = await agent.sysctl(['net.ipv4.conf.nosuchdev0.rp_filter=1']);
  t.same([bad.exitCode, bad.stderr], [1, 'sysctl: cannot stat /proc/sys/net/ipv4/conf/nosuchdev0/rp_filter: No such file or directory\n']);
  await agent.stop();
  t.ok(agent.ended, 'stopped: its command has ended');
  const failing = { run: () => inner.run({ argv: ['sh', '-c', 'echo no perl here >&2; exit 1'] }), start: inner.start };
  await t.rejects(NamespaceAgent.start(failing, 'nowhere', 30_000), /the namespace agent in nowhere did not start: no perl here/);
});

t.test('sysctl keys name their /proc/sys files the way sysctl(8) reads them', async (t) => {
  t.equal(sysctlPath('net.ipv4.conf.all.rp_filter'), '/proc/sys/net/ipv4/conf/all/rp_filter');
  t.equal(sysctlPath('net.ipv4.conf.eth0/100.rp_filter'), '/proc/sys/net/ipv4/conf/eth0.100/rp_filter', 'a slash stands for a dot');
});

t.test('the agent writes files and says which it could not, each on its own', async (t) => {
  const a = agent(t);
  const dir = tempDir('lab-agent-test-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const id = a.send('write', { files: [join(dir, 'one'), '1\n', join(dir, 'no/such/dir'), '2', join(dir, 'two'), 'x'] });
  t.same(await a.answer('write', id), { event: 'wrote', fields: { errors: ['', 'No such file or directory', ''] } });
  t.equal(readFileSync(join(dir, 'one'), 'utf8'), '1\n');
  t.equal(readFileSync(join(dir, 'two'), 'utf8'), 'x');
});

t.test("an agent in lab's own namespace refuses to reap: it kills nothing", async (t) => {
  const a = agent(t);
  const sleeper = forkingRunner().start({ argv: ['sleep', '30'], timeoutMs: 60_000 });
  t.teardown(() => sleeper.kill());
  t.same(await a.answer('reap', a.send('reap', { labNetns: readlinkSync('/proc/self/ns/net') })), { event: 'reaped', fields: { killed: -1 } }, 'told it is lab\'s');
  t.same(await a.answer('reap', a.send('reap', { labNetns: '' })), { event: 'reaped', fields: { killed: -1 } }, 'not told which namespace is lab\'s');
  await new Promise((r) => setTimeout(r, 100));
  t.ok(sleeper.pid !== undefined && (() => { try { process.kill(sleeper.pid, 0); return true; } catch { return false; } })(), 'a process of this namespace is alive');
});
