// The host side of the guest runner (src/agent/guest-runner.pl, docs/guest-runner-protocol.md):
// a Runner whose commands run inside the VM, all of them over one channel (the virtio-serial
// port's chardev socket), each with a request id. Arguments that name a unix socket of the host
// (the namespace agents' hub) are forwarded: the guest listens on the same path and every
// connection to it is relayed to the host's socket.
import { statSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import type { Duplex } from 'node:stream';
import { type Command, type CommandResult, defaultTimeoutMs, type LiveProcess, lineReader, type Runner } from '../runner.js';

const hex = (s: string | Buffer): string => Buffer.from(s).toString('hex');
const unhex = (s: string | undefined): Buffer => Buffer.from(s ?? '', 'hex');

interface Pending {
  argv: readonly string[];
  started: number;
  pid?: number;
  stdout: string[];
  stderr: string[];
  decoders: { stdout: StringDecoder; stderr: StringDecoder };
  lines: { stdout: ReturnType<typeof lineReader>; stderr: ReturnType<typeof lineReader> };
  resolve(r: CommandResult): void;
  held: boolean;
  /** Output as bytes, as it comes, instead of collected (lab exec, lab shell: attachCommand). */
  sink?: (stream: 'stdout' | 'stderr', bytes: Buffer) => void;
  /** The signal that ended it, from the exit message. */
  signal?: number;
}

/** How an attached command ended: its exit code, or the signal that ended it; timedOut when its timeout did. */
export interface AttachedExit {
  exitCode: number;
  signal: number | undefined;
  timedOut: boolean;
  /** Set when the channel ended before the command did (the VM went away). */
  lost?: string;
}

/** A command attached to lab's terminal (lab exec, lab shell): bytes in, bytes out as they come. */
export interface AttachedCommand {
  /** Its pid in the guest, once it started. */
  readonly pid: number | undefined;
  write(bytes: Buffer | string): void;
  end(): void;
  kill(signal: string): void;
  readonly done: Promise<AttachedExit>;
}

/** Whether `path` is a unix socket of the host (only absolute paths are looked at). */
const isSocket = (path: string): boolean => {
  if (!path.startsWith('/') || path.length > 108) return false;
  try {
    return statSync(path).isSocket();
  } catch {
    return false;
  }
};

export class GuestRunner implements Runner {
  private nextId = 1;
  private readonly commands = new Map<number, Pending>();
  private readonly forwards = new Map<string, Promise<void>>();
  private readonly listens = new Map<number, { path: string; resolve(): void; reject(e: Error): void }>();
  private readonly conns = new Map<string, Socket>();
  private pending = '';
  private held = 0;
  /** Messages before the runner's hello are another session's (a kept runner's last host), ignored. */
  private greeted = false;
  /** Why the channel ended, once it has. */
  private gone: string | undefined;
  /** Resolves with the guest runner's pid once it said hello. */
  readonly hello: Promise<number>;
  private helloResolve!: (pid: number) => void;
  private helloReject!: (e: Error) => void;

  constructor(private readonly channel: Duplex) {
    this.hello = new Promise((resolve, reject) => {
      this.helloResolve = resolve;
      this.helloReject = reject;
    });
    this.hello.catch(() => undefined);
    channel.on('data', (chunk: Buffer) => this.feed(chunk.toString('latin1')));
    channel.on('error', (e) => this.end(e.message));
    channel.on('close', () => this.end('the VM channel closed'));
    // Waiting for the hello keeps lab alive; afterwards only commands in flight do.
    void this.hello.then(
      () => {
        if (this.held === 0) this.unrefChannel();
      },
      () => undefined,
    );
  }

  /**
   * Connects to the chardev socket QEMU listens on and attaches: the runner answers with its
   * hello (`hello`). A fresh runner says hello by itself too; a kept one (a kept VM lab) only
   * when attached, having ended the session of the host before.
   */
  static async connect(path: string, timeoutMs: number, signal?: AbortSignal): Promise<GuestRunner> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const socket = await new Promise<Socket | undefined>((resolve) => {
        const s = connect(path);
        s.once('connect', () => resolve(s));
        s.once('error', () => resolve(undefined));
      });
      if (socket) {
        const runner = new GuestRunner(socket);
        runner.send('attach');
        return runner;
      }
      if (performance.now() > deadline || signal?.aborted) throw new Error(`cannot connect to the VM's runner channel ${path}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Ends the channel: the guest runner kills what still runs and exits. */
  close(): void {
    this.end('the VM runner channel closed');
    this.channel.end();
    this.channel.destroy();
  }

  private send(...fields: (string | number)[]): void {
    if (this.gone === undefined) this.channel.write(`${fields.join('\t')}\n`);
  }

  private refChannel(): void {
    (this.channel as Partial<Socket>).ref?.();
  }

  private unrefChannel(): void {
    (this.channel as Partial<Socket>).unref?.();
  }

  private hold(p: Pending, on: boolean): void {
    if (p.held === on) return;
    p.held = on;
    this.held += on ? 1 : -1;
    if (this.held > 0) this.refChannel();
    else this.unrefChannel();
  }

  private feed(text: string): void {
    this.pending += text;
    let nl: number;
    while ((nl = this.pending.indexOf('\n')) >= 0) {
      const line = this.pending.slice(0, nl);
      this.pending = this.pending.slice(nl + 1);
      this.message(line.split('\t'));
    }
  }

  /** Whether the runner is kept: the host hanging up ends only its session (a kept VM lab). */
  keep(on: boolean): void {
    this.send('keep', on ? 1 : 0);
  }

  private message(f: string[]): void {
    const [op, a = '', b, c, d] = f;
    if (op === 'hello') {
      this.greeted = true;
      this.helloResolve(Number(a));
      return;
    }
    if (!this.greeted) return;
    const cmd = this.commands.get(Number(a));
    switch (op) {
      case 'pid':
        if (cmd) cmd.pid = Number(b);
        return;
      case 'out':
      case 'err': {
        if (!cmd) return;
        const stream = op === 'out' ? 'stdout' : 'stderr';
        if (cmd.sink) return cmd.sink(stream, unhex(b));
        const text = cmd.decoders[stream].write(unhex(b));
        cmd[stream].push(text);
        cmd.lines[stream].feed(text);
        return;
      }
      case 'exit': {
        if (!cmd) return;
        this.commands.delete(Number(a));
        if (d) cmd.signal = Number(d);
        this.finish(cmd, Number(b), c === '1', d ?? '');
        return;
      }
      case 'listening':
      case 'error': {
        const l = this.listens.get(Number(a));
        this.listens.delete(Number(a));
        if (op === 'listening') l?.resolve();
        else l?.reject(new Error(unhex(b).toString()));
        return;
      }
      case 'conn': {
        const l = [...this.forwards.keys()][Number(a) - FORWARD_BASE];
        if (l === undefined || b === undefined) return;
        // Half-open, as a connection in one machine is: lab ending its side (an agent's stdin,
        // NamespaceAgent.stop) must not cut off what the agent still answers (a `reap` asked in
        // the same breath was lost that way: every case's namespaces were then emptied again by
        // an `ip netns pids` batch). `shut` passes the end on; the guest's `close` ends it all.
        const s = connect({ path: l, allowHalfOpen: true });
        this.conns.set(b, s);
        s.on('data', (chunk: Buffer) => this.send('data', b, hex(chunk)));
        s.on('error', () => undefined);
        s.on('end', () => {
          if (this.conns.has(b)) this.send('shut', b);
        });
        s.on('close', () => {
          if (this.conns.delete(b)) this.send('close', b);
        });
        s.unref();
        return;
      }
      case 'data':
        if (a) this.conns.get(a)?.write(unhex(b));
        return;
      case 'close': {
        const s = this.conns.get(a);
        this.conns.delete(a);
        s?.end();
        return;
      }
      default:
    }
  }

  private finish(cmd: Pending, exitCode: number, timedOut: boolean, _signal: string): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      const rest = cmd.decoders[stream].end();
      if (rest) {
        cmd[stream].push(rest);
        cmd.lines[stream].feed(rest);
      }
      cmd.lines[stream].end();
    }
    this.hold(cmd, false);
    cmd.resolve({
      argv: cmd.argv,
      exitCode,
      stdout: cmd.stdout.join(''),
      stderr: cmd.stderr.join(''),
      durationMs: performance.now() - cmd.started,
      timedOut,
    });
  }

  private end(why: string): void {
    if (this.gone !== undefined) return;
    this.gone = why;
    this.helloReject(new Error(why));
    for (const [id, cmd] of this.commands) {
      this.commands.delete(id);
      cmd.stderr.push(`${why}\n`);
      this.finish(cmd, -1, false, '');
    }
    for (const l of this.listens.values()) l.reject(new Error(why));
    this.listens.clear();
    for (const s of this.conns.values()) s.destroy();
    this.conns.clear();
  }

  /** The guest listens on `path` too, relaying each connection to the host's socket there. */
  forward(path: string): Promise<void> {
    let p = this.forwards.get(path);
    if (!p) {
      // The listen request's id is FORWARD_BASE + the forward's place (ids of commands start at 1).
      const id = FORWARD_BASE + this.forwards.size;
      p = new Promise<void>((resolve, reject) => this.listens.set(id, { path, resolve, reject }));
      this.forwards.set(path, p);
      this.send('listen', id, hex(path));
    }
    return p;
  }

  /**
   * `argv` with its output handed to `sink` as bytes as they come, and bytes written to its
   * stdin as the caller has them: lab exec and lab shell of a kept VM lab. timeoutMs 0: none.
   */
  attachCommand(argv: readonly string[], o: { timeoutMs: number; sink(stream: 'stdout' | 'stderr', bytes: Buffer): void }): AttachedCommand {
    const id = this.nextId++;
    let settle!: (e: AttachedExit) => void;
    const done = new Promise<AttachedExit>((resolve) => (settle = resolve));
    const p: Pending = {
      argv,
      started: performance.now(),
      stdout: [],
      stderr: [],
      decoders: { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') },
      lines: { stdout: lineReader(), stderr: lineReader() },
      held: false,
      sink: o.sink,
      resolve: (r) =>
        settle({
          exitCode: r.exitCode,
          signal: p.signal,
          timedOut: r.timedOut === true,
          ...(r.exitCode === -1 && p.signal === undefined && !r.timedOut ? { lost: r.stderr.trim() || 'the VM channel closed' } : {}),
        }),
    };
    if (this.gone !== undefined) {
      p.stderr.push(`${this.gone}\n`);
      this.finish(p, -1, false, '');
    } else {
      this.commands.set(id, p);
      this.hold(p, true);
      this.send('start', id, o.timeoutMs, ...argv.map(hex));
    }
    return {
      get pid() {
        return p.pid;
      },
      write: (bytes) => this.send('in', id, hex(bytes)),
      end: () => this.send('eof', id),
      kill: (sig) => {
        if (this.commands.has(id)) this.send('kill', id, sig);
      },
      done,
    };
  }

  run(cmd: Command): Promise<CommandResult> {
    return this.start({ ...cmd, interactive: false }).done;
  }

  start(cmd: Command): LiveProcess {
    const id = this.nextId++;
    const started = performance.now();
    let resolveDone!: (r: CommandResult) => void;
    const done = new Promise<CommandResult>((resolve) => (resolveDone = resolve));
    const p: Pending = {
      argv: cmd.argv,
      started,
      stdout: [],
      stderr: [],
      decoders: { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') },
      lines: { stdout: lineReader(), stderr: lineReader() },
      resolve: resolveDone,
      held: false,
    };
    if (this.gone !== undefined) {
      p.stderr.push(`${this.gone}\n`);
      this.finish(p, -1, false, '');
    } else {
      this.commands.set(id, p);
      this.hold(p, true);
      const sockets = cmd.argv.filter(isSocket);
      const go = (): void => {
        this.send('start', id, cmd.timeoutMs ?? defaultTimeoutMs(), ...cmd.argv.map(hex));
        if (cmd.input !== undefined) this.send('in', id, hex(cmd.input));
        if (!cmd.interactive) this.send('eof', id);
      };
      if (sockets.length === 0) go();
      else {
        void Promise.all(sockets.map((s) => this.forward(s))).then(go, (e: Error) => {
          this.commands.delete(id);
          p.stderr.push(`cannot forward a socket into the VM: ${e.message}\n`);
          this.finish(p, -1, false, '');
        });
      }
    }
    const signal = (sig: string): void => {
      if (this.commands.has(id)) this.send('kill', id, sig);
    };
    return {
      get pid() {
        return p.pid;
      },
      waitForLine: (test, stream = 'stdout') => p.lines[stream].wait(test),
      done,
      kill: () => signal('KILL'),
      ...(cmd.interactive
        ? {
            write: (text: string) => this.send('in', id, hex(text)),
            end: () => this.send('eof', id),
          }
        : {}),
      ref: (on: boolean) => {
        if (this.commands.has(id)) this.hold(p, on);
      },
      async stop(graceMs = 2_000) {
        signal('TERM');
        const timer = setTimeout(() => signal('KILL'), graceMs);
        try {
          return await done;
        } finally {
          clearTimeout(timer);
        }
      },
    };
  }
}

/** Ids of listen requests start here, apart from the commands'. */
const FORWARD_BASE = 1_000_000_000;

/**
 * `inner` (the guest runner itself, or something that runs its commands through it, such as
 * perlForked) with the host's unix sockets its commands name forwarded into the guest first.
 */
export const forwardingSockets = (inner: Runner, guest: GuestRunner): Runner => {
  const ready = async (cmd: Command): Promise<void> => {
    const sockets = cmd.argv.filter(isSocket);
    if (sockets.length) await Promise.all(sockets.map((s) => guest.forward(s)));
  };
  return {
    async run(cmd) {
      const started = performance.now();
      try {
        await ready(cmd);
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        return { argv: cmd.argv, exitCode: -1, stdout: '', stderr: `cannot forward a socket into the VM: ${why}\n`, durationMs: performance.now() - started, timedOut: false };
      }
      return inner.run(cmd);
    },
    // A started command's sockets: GuestRunner.start forwards them itself.
    start: (cmd) => inner.start(cmd),
  };
};
