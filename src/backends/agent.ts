// The client side of the namespace agent (src/agent/agent.pl; its protocol: src/agent/protocol.ts
// and docs/agent-protocol.md): one per node of a live case.
// Commands run through it start inside the namespace without `ip netns exec` (which unshares a
// mount namespace and remounts /sys every time) and without a process start in lab itself; a
// probe's receiver is a socket the agent opens; counters and sysctls are files it reads.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseProcCounters } from '../agent/proc-counters.js';
import { AGENT_PL } from '../agent/programs.js';
import { decodeReply, encodeRequest, GREETING, type Operation, parseGreeting, type Reply, type ReplyEvent, type RequestFields, replyHead } from '../agent/protocol.js';
import { socketAddress } from '../agent/sockaddr.js';
import { type Command, type CommandResult, defaultTimeoutMs, type LiveProcess, lineReader, type Runner } from './runner.js';
import { timeScale } from './time-scale.js';
import { tracing } from './trace.js';

import type { Listening, ListenRequest, SendRequest } from '../types/agent.js';
export type { Listening, ListenRequest, SendRequest };

// Scaled inside a VM under TCG (see time-scale.ts); the agent starts in milliseconds.
const agentReadyMs = (): number => 10_000 * timeScale();

const TRACE = tracing();

/** The files `counters` reads: what nstat reads. */
const COUNTER_FILES = ['/proc/net/snmp', '/proc/net/netstat', '/proc/net/snmp6'];

export class NamespaceAgent {
  private nextId = 1;

  private constructor(
    private readonly proc: LiveProcess,
    readonly netns: string,
  ) {}

  /** Whether the agent process has ended. */
  ended = false;

  /**
   * Starts the agent inside `netns` and waits until it reads requests. It is one more command of
   * `runner` (forked by the perl process, not by Node: a spawn costs Node's thread about 2.5 ms
   * of CPU, docs/design/performance.md; two per case), which lasts as long as the agent; the agent connects back to lab's unix socket.
   * The perl process does the `ip netns exec` itself and forks a copy of itself for the agent
   * (become_agent in src/agent/agent.pl); plainRunner runs the command as it reads.
   */
  static async start(runner: Runner, netns: string, lifetimeMs: number): Promise<NamespaceAgent> {
    const hub = await agentHub();
    const token = randomBytes(12).toString('hex');
    const connected = hub.expect(token);
    const argv = ['ip', 'netns', 'exec', netns, 'perl', '-e', AGENT_PL, hub.path, token];
    const done = runner.run({ argv, timeoutMs: lifetimeMs });
    let timer: NodeJS.Timeout | undefined;
    const failed = await Promise.race([
      connected.then(() => undefined),
      done.then((r) => r.stderr.trim() || `it ended (exit ${r.exitCode})`),
      new Promise<string>((resolve) => (timer = setTimeout(() => resolve('no answer'), agentReadyMs()))),
    ]);
    clearTimeout(timer);
    if (failed !== undefined) {
      hub.forget(token);
      void connected.then((c) => c.socket.destroy(), () => undefined);
      throw new Error(`the namespace agent in ${netns} did not start: ${failed}`);
    }
    const { socket, pid, rest } = await connected;
    const agent = new NamespaceAgent(socketProcess(argv, socket, pid, rest, done), netns);
    const ended = (): void => void (agent.ended = true);
    void done.then(ended, ended);
    return agent;
  }

  /**
   * Starts the agent in lab's own namespace, where it only forks the commands lab gives it (see
   * perlForked in forker.ts); it lives as long as lab does (no timeout: execa's would hold lab's
   * process open).
   */
  static async startHere(runner: Runner): Promise<NamespaceAgent> {
    return NamespaceAgent.launch(runner, ['perl', '-e', AGENT_PL], '(lab)', 0);
  }

  private static async launch(runner: Runner, argv: string[], netns: string, lifetimeMs: number): Promise<NamespaceAgent> {
    const proc = runner.start({ argv, interactive: true, timeoutMs: lifetimeMs });
    const timer = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), agentReadyMs()).unref());
    const ready = await Promise.race([proc.waitForLine((l) => l === GREETING), timer]);
    if (ready === undefined || !proc.write) {
      proc.kill();
      const r = await proc.done;
      throw new Error(`the namespace agent in ${netns} did not start: ${r.stderr.trim() || 'no answer'}`);
    }
    const agent = new NamespaceAgent(proc, netns);
    void proc.done.then(() => (agent.ended = true));
    return agent;
  }

  /** Whether the agent keeps lab's process alive (see LiveProcess.ref). */
  ref(on: boolean): void {
    this.proc.ref?.(on);
  }

  private request<O extends Operation>(op: O, fields: RequestFields<O>): number {
    const id = this.nextId++;
    this.proc.write?.(encodeRequest(op, id, fields));
    return id;
  }

  /**
   * The next reply to request `id` (operation `op`) with one of `events` (any of op's when none
   * are named), decoded by the protocol table; undefined when the agent ended first.
   */
  private answer<O extends Operation, E extends ReplyEvent<O>>(op: O, id: number, events?: readonly E[]): Promise<Extract<Reply<O>, { event: E }> | undefined> {
    return this.proc
      .waitForLine((l) => {
        const head = replyHead(l);
        return head?.id === id && (!events || (events as readonly string[]).includes(head.event));
      })
      .then((l) => (l === undefined ? undefined : (decodeReply(op, l) as Extract<Reply<O>, { event: E }> | undefined)));
  }

  /** Runs a command inside the namespace, like Runner.run. */
  async run(cmd: Command): Promise<CommandResult> {
    const started = performance.now();
    const id = this.request('exec', { timeoutMs: cmd.timeoutMs ?? defaultTimeoutMs(), input: cmd.input ?? '', argv: [...cmd.argv] });
    const a = (await this.answer('exec', id))?.fields;
    if (TRACE && this.netns !== '(lab)') process.stderr.write(`[trace] agent ${this.netns} +${(performance.now() - started).toFixed(1)} ms exit ${a?.exitCode}: ${cmd.argv.join(' ')}\n`);
    return {
      argv: cmd.argv,
      exitCode: a ? a.exitCode : -1,
      stdout: a?.stdout ?? '',
      stderr: a ? a.stderr : 'the namespace agent ended',
      durationMs: performance.now() - started,
      timedOut: a?.timedOut ?? false,
    };
  }

  listen(req: ListenRequest): Listening {
    const id = this.request('listen', {
      kind: req.kind,
      family: req.family,
      address: socketAddress(req.family, req.address, req.port),
      marker: req.marker,
      timeoutMs: req.timeoutMs,
    });
    const ended = 'the namespace agent ended';
    const ready = this.answer('listen', id, ['ready', 'error']).then((a) =>
      a?.event === 'ready' ? (true as const) : { error: a ? a.fields.message : ended },
    );
    const result = this.answer('listen', id, ['result', 'error']).then((a) =>
      a?.event === 'result' ? { received: a.fields.received } : { received: false, error: a ? a.fields.message : ended },
    );
    // close carries the listener's own id: it is answered by the listener's `result`.
    return { ready, result, close: () => void this.proc.write?.(encodeRequest('close', id, {})) };
  }

  /**
   * Sends one probe from `from` (bound to `dev` as well when given; the source port is the
   * kernel's unless `attributes.sport`) to `to`:`port`, with the socket attributes of the probe:
   * a UDP datagram, a TCP connect (then the payload), or an ICMP echo request with identifier
   * `echo`. Resolves once it is sent, with the kernel's complaint when it was refused; an echo
   * also with `replied`, whether the echo reply came within `timeoutMs`.
   */
  send(req: SendRequest): { sent: Promise<{ error?: string; pid?: number }>; replied: Promise<boolean> } {
    const started = performance.now();
    const kind = req.kind ?? 'udp';
    const { tos, mark, uid, flowlabel, sport } = req.attributes ?? {};
    const id = this.request('send', {
      family: req.family,
      // sport and the flow label travel in the socket addresses.
      from: socketAddress(req.family, req.from, kind === 'icmp' ? 0 : sport ?? 0),
      to: socketAddress(req.family, req.to, kind === 'icmp' ? 0 : req.port, flowlabel),
      dev: req.dev ?? '',
      payload: req.payload,
      kind,
      timeoutMs: req.timeoutMs ?? 1000,
      attributes: { tos, mark, uid, flowlabel, echo: req.echo },
    });
    const sent = this.answer('send', id, ['sent', 'error']).then((a) => {
      if (TRACE) process.stderr.write(`[trace] agent ${this.netns} +${(performance.now() - started).toFixed(1)} ms: send ${kind} ${req.from} → ${req.to}:${req.port}\n`);
      if (!a) return { error: 'the namespace agent ended' };
      const error = a.event === 'sent' ? a.fields.error : a.fields.message;
      // The process that sent it, for the fib lookups' selection (src/probes/fib-sender.ts).
      const pid = a.event === 'sent' && a.fields.pid > 0 ? a.fields.pid : undefined;
      return { ...(error ? { error } : {}), ...(pid ? { pid } : {}) };
    });
    const replied = kind !== 'icmp'
      ? Promise.resolve(false)
      : sent.then((s) => (s.error ? false : this.answer('send', id, ['result']).then((a) => a?.fields.replied ?? false)));
    return { sent, replied };
  }

  /**
   * A long-lived command inside the namespace (`nft -j -i`), forked by the agent: no process
   * start in lab, no `ip netns exec`. Its lines come back as the agent's replies; `write` feeds
   * its stdin, `end` closes that stdin (the command ends on its own), `kill`/`stop` close it
   * (stdin closed, SIGTERM). No pid, and it lives no longer than the agent.
   */
  open(cmd: Command): LiveProcess {
    const argv = [...cmd.argv];
    const id = this.request('open', { argv });
    const started = performance.now();
    const lineOf = (stream: 1 | 2, test: (text: string) => boolean) => (l: string): boolean => {
      const head = replyHead(l);
      if (head?.id !== id || head.event !== 'line') return false;
      const a = decodeReply('open', l);
      return a?.event === 'line' && a.fields.stream === stream && test(a.fields.text);
    };
    const text = (l: string | undefined): string | undefined => {
      const a = l === undefined ? undefined : decodeReply('open', l);
      return a?.event === 'line' ? a.fields.text : undefined;
    };
    const done = this.answer('open', id, ['ended']).then((a): CommandResult => {
      if (TRACE) process.stderr.write(`[trace] agent ${this.netns} +${(performance.now() - started).toFixed(1)} ms exit ${a?.fields.exitCode}: ${argv.join(' ')} (open)\n`);
      return { argv, exitCode: a ? a.fields.exitCode : -1, stdout: '', stderr: '', durationMs: performance.now() - started, timedOut: false };
    });
    let closed = false;
    let ended = false;
    const close = (): void => {
      if (closed) return;
      closed = true;
      this.proc.write?.(encodeRequest('close', id, {}));
    };
    return {
      pid: undefined,
      // Undefined once it has ended (or the agent has): nothing more will come.
      waitForLine: (test, stream = 'stdout') =>
        Promise.race([this.proc.waitForLine(lineOf(stream === 'stdout' ? 1 : 2, test)).then(text), done.then(() => undefined)]),
      done,
      kill: close,
      end: () => {
        if (!closed && !ended) this.proc.write?.(encodeRequest('feed', id, { session: id, data: '', last: true }));
        ended = true;
      },
      write: (data) => {
        if (!closed && !ended) this.proc.write?.(encodeRequest('feed', id, { session: id, data, last: false }));
      },
      async stop(graceMs = 2_000) {
        close();
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<CommandResult>((resolve) => {
          timer = setTimeout(() => resolve({ argv, exitCode: -1, stdout: '', stderr: '', durationMs: performance.now() - started, timedOut: true }), graceMs);
        });
        try {
          return await Promise.race([done, late]);
        } finally {
          clearTimeout(timer);
        }
      },
    };
  }

  /** The contents of files inside the namespace's view (/proc/net, /proc/sys/net); '' when unreadable. */
  async read(paths: readonly string[]): Promise<string[]> {
    const a = await this.answer('read', this.request('read', { paths: [...paths] }));
    return paths.map((_, i) => a?.fields.contents[i] ?? '');
  }

  /**
   * Kills every other process in the agent's namespace (what `ip netns pids` + kill does, without
   * the process): how many, or undefined when the agent could not tell (it has ended, or could
   * not read its own namespace).
   */
  async reap(): Promise<number | undefined> {
    // lab's own namespace, where the agent refuses (reap_namespace in src/agent/agent.pl).
    const a = await this.answer('reap', this.request('reap', { labNetns: readlinkSync('/proc/self/ns/net') }));
    return a && a.fields.killed >= 0 ? a.fields.killed : undefined;
  }

  /** Writes each file in one write(2); per file, the kernel's complaint or '' when it took it. */
  async write(files: readonly { path: string; value: string }[]): Promise<string[]> {
    const a = await this.answer('write', this.request('write', { files: files.flatMap((f) => [f.path, f.value]) }));
    return files.map((_, i) => (a ? a.fields.errors[i] ?? '' : 'the namespace agent ended'));
  }

  /**
   * `sysctl -q -w KEY=VALUE…` inside the namespace, written to /proc/sys by the agent instead of
   * a sysctl process: every setting is tried; the result is sysctl's (exit 1 and its messages
   * when any failed).
   */
  async sysctl(settings: readonly string[]): Promise<CommandResult> {
    const started = performance.now();
    const files = settings.map((s) => {
      const eq = s.indexOf('=');
      return { key: s.slice(0, eq), path: sysctlPath(s.slice(0, eq)), value: s.slice(eq + 1) };
    });
    const errors = await this.write(files);
    const stderr = files
      .map((f, i) => {
        const e = errors[i];
        if (!e) return '';
        return /No such file/.test(e) ? `sysctl: cannot stat ${f.path}: ${e}\n` : `sysctl: setting key "${f.key}": ${e}\n`;
      })
      .join('');
    if (TRACE) process.stderr.write(`[trace] agent ${this.netns} +${(performance.now() - started).toFixed(1)} ms: sysctl -w ${settings.join(' ')}\n`);
    return { argv: ['sysctl', '-q', '-w', ...settings], exitCode: stderr ? 1 : 0, stdout: '', stderr, durationMs: performance.now() - started, timedOut: false };
  }

  /** The namespace's kernel counters, as nstat names them. */
  async counters(): Promise<Record<string, number>> {
    return parseProcCounters(...(await this.read(COUNTER_FILES)));
  }

  /** Kills the agent at once (an interrupt): requests waiting for an answer get none. */
  kill(): void {
    this.proc.kill();
  }

  /** Ends the agent: stdin closes, it exits; killed if it does not. */
  async stop(): Promise<void> {
    this.proc.end?.();
    await this.proc.stop(1_000);
  }
}

/** The file of a sysctl key, the way sysctl(8) finds it: dots are folders, a slash stands for a dot (eth0/100). */
export const sysctlPath = (key: string): string => `/proc/sys/${key.replace(/[./]/g, (c) => (c === '.' ? '/' : '.'))}`;

/** The unix socket agents connect back to: one per lab process, in a private folder removed at exit. */
interface AgentHub {
  path: string;
  /** The connection of the agent started with `token`, its pid, and what it sent after its greeting. */
  expect(token: string): Promise<{ socket: Socket; pid: number; rest: string }>;
  forget(token: string): void;
}

let hub: Promise<AgentHub> | undefined;

const agentHub = (): Promise<AgentHub> => (hub ??= openHub());

/** Whether a process of this pid is running (EPERM: it is, someone else's). */
const running = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

const openHub = async (): Promise<AgentHub> => {
  // A unix socket's path has at most 107 bytes: a long TMPDIR (a CI runner's) gives way to /tmp.
  const base = tmpdir().length <= 64 ? tmpdir() : '/tmp';
  // The folder goes when lab exits; one whose lab was killed (no exit handler runs) goes here.
  for (const name of readdirSync(base)) {
    const pid = Number(/^lab-agents-(\d+)-/.exec(name)?.[1]);
    if (pid && pid !== process.pid && !running(pid)) rmSync(join(base, name), { recursive: true, force: true });
  }
  const dir = mkdtempSync(join(base, `lab-agents-${process.pid}-`));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'hub');
  const waiting = new Map<string, (c: { socket: Socket; pid: number; rest: string }) => void>();
  const server = createServer((socket) => {
    // The first line names the agent: `agent ready TOKEN PID`; a stranger is hung up on.
    let text = '';
    const greet = (chunk: Buffer): void => {
      text += chunk.toString();
      const nl = text.indexOf('\n');
      if (nl < 0) return;
      socket.off('data', greet);
      const greeting = parseGreeting(text.slice(0, nl));
      const deliver = greeting && waiting.get(greeting.token);
      if (!greeting || !deliver) return void socket.destroy();
      waiting.delete(greeting.token);
      deliver({ socket, pid: greeting.pid, rest: text.slice(nl + 1) });
    };
    socket.on('data', greet);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  server.unref();
  return {
    path,
    expect: (token) => new Promise((resolve) => waiting.set(token, resolve)),
    forget: (token) => void waiting.delete(token),
  };
};

/** An agent connected over the hub's socket, as the LiveProcess NamespaceAgent talks to. */
const socketProcess = (argv: readonly string[], socket: Socket, pid: number, rest: string, done: Promise<CommandResult>): LiveProcess => {
  const lines = lineReader();
  socket.on('data', (chunk: Buffer) => lines.feed(chunk.toString()));
  socket.on('close', () => lines.end());
  lines.feed(rest);
  const kill = (): void => {
    socket.destroy();
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  };
  return {
    pid,
    waitForLine: (test, stream = 'stdout') => (stream === 'stdout' ? lines.wait(test) : Promise.resolve(undefined)),
    done: done.then((r) => ({ ...r, argv })),
    kill,
    write: (text) => void socket.write(text),
    end: () => void socket.end(),
    ref: (on) => void (on ? socket.ref() : socket.unref()),
    async stop(graceMs = 2_000) {
      socket.end();
      const timer = setTimeout(kill, graceMs);
      try {
        return await done;
      } finally {
        clearTimeout(timer);
      }
    },
  };
};
