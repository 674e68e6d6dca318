// The client side of the namespace agent (src/probes/agent.ts): one per node of a live case.
// Commands run through it start inside the namespace without `ip netns exec` (which unshares a
// mount namespace and remounts /sys every time) and without a process start in lab itself; a
// probe's receiver is a socket the agent opens; counters and sysctls are files it reads.
import { AGENT_PL, parseProcCounters, sockaddrHex } from '../probes/agent.js';
import type { Command, CommandResult, LiveProcess, Runner } from './runner.js';
import { timeScale } from './time-scale.js';
import { tracing } from './trace.js';

const hex = (s: string): string => Buffer.from(s, 'utf8').toString('hex');
const unhex = (s: string | undefined): string => Buffer.from(s ?? '', 'hex').toString('utf8');

export interface ListenRequest {
  kind: 'udp' | 'tcp';
  family: 4 | 6;
  address: string;
  port: number;
  marker: string;
  timeoutMs: number;
}

export interface Listening {
  /** Resolves true once the socket is bound, or with the reason it could not be. */
  ready: Promise<true | { error: string }>;
  /** Whether a datagram (connection data) with the marker came before the listener closed. */
  result: Promise<{ received: boolean; error?: string }>;
  /** Ends the listener; `result` then says received false unless it had the datagram already. */
  close(): void;
}

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

  /** Starts the agent inside `netns` and waits until it reads requests. */
  static async start(runner: Runner, netns: string, lifetimeMs: number): Promise<NamespaceAgent> {
    return NamespaceAgent.launch(runner, ['ip', 'netns', 'exec', netns, 'perl', '-e', AGENT_PL], netns, lifetimeMs);
  }

  /**
   * Starts the agent in lab's own namespace, where it only forks the commands lab gives it (see
   * perlForked in runner.ts); it lives as long as lab does (no timeout: execa's would hold lab's
   * process open).
   */
  static async startHere(runner: Runner): Promise<NamespaceAgent> {
    return NamespaceAgent.launch(runner, ['perl', '-e', AGENT_PL], '(lab)', 0);
  }

  private static async launch(runner: Runner, argv: string[], netns: string, lifetimeMs: number): Promise<NamespaceAgent> {
    const proc = runner.start({ argv, interactive: true, timeoutMs: lifetimeMs });
    const timer = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), agentReadyMs()).unref());
    const ready = await Promise.race([proc.waitForLine((l) => l === 'agent\tready'), timer]);
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

  private request(op: string, fields: readonly (string | number)[] = []): number {
    const id = this.nextId++;
    this.proc.write?.(`${[op, id, ...fields].join('\t')}\n`);
    return id;
  }

  /** The next answer of request `id` whose event passes `test`: its fields after the id. */
  private answer(id: number, test: (event: string) => boolean = () => true): Promise<string[] | undefined> {
    return this.proc
      .waitForLine((l) => l.startsWith(`${id}\t`) && test(l.split('\t')[1] ?? ''))
      .then((l) => l?.split('\t').slice(1));
  }

  /** Runs a command inside the namespace, like Runner.run. */
  async run(cmd: Command): Promise<CommandResult> {
    const started = performance.now();
    const id = this.request('exec', [cmd.timeoutMs ?? 10_000, hex(cmd.input ?? ''), ...cmd.argv.map(hex)]);
    const a = await this.answer(id);
    if (TRACE && this.netns !== '(lab)') process.stderr.write(`[trace] agent ${this.netns} +${(performance.now() - started).toFixed(1)} ms exit ${a?.[1]}: ${cmd.argv.join(' ')}\n`);
    return {
      argv: cmd.argv,
      exitCode: a ? Number(a[1]) : -1,
      stdout: unhex(a?.[3]),
      stderr: a ? unhex(a[4]) : 'the namespace agent ended',
      durationMs: performance.now() - started,
      timedOut: a?.[2] === '1',
    };
  }

  listen(req: ListenRequest): Listening {
    const id = this.request('listen', [req.kind, req.family, sockaddrHex(req.family, req.address, req.port), hex(req.marker), req.timeoutMs]);
    const ready = this.answer(id, (e) => e === 'ready' || e === 'error').then((a) =>
      a?.[0] === 'ready' ? (true as const) : { error: a ? unhex(a[1]) : 'the namespace agent ended' },
    );
    const result = this.answer(id, (e) => e === 'result' || e === 'error').then((a) =>
      a?.[0] === 'result' ? { received: a[1] === '1' } : { received: false, error: a ? unhex(a[1]) : 'the namespace agent ended' },
    );
    return { ready, result, close: () => this.closeListener(id) };
  }

  private closeListener(id: number): void {
    this.proc.write?.(`close\t${id}\n`);
  }

  /** The contents of files inside the namespace's view (/proc/net, /proc/sys/net); '' when unreadable. */
  async read(paths: readonly string[]): Promise<string[]> {
    const id = this.request('read', paths.map(hex));
    const a = await this.answer(id);
    return paths.map((_, i) => unhex(a?.[i + 1]));
  }

  /** The namespace's kernel counters, as nstat names them. */
  async counters(): Promise<Record<string, number>> {
    return parseProcCounters(...(await this.read(COUNTER_FILES)));
  }

  /** Ends the agent: stdin closes, it exits; killed if it does not. */
  async stop(): Promise<void> {
    this.proc.end?.();
    await this.proc.stop(1_000);
  }
}
