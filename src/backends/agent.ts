// The client side of the namespace agent (src/probes/agent.ts): one per node of a live case.
// Commands run through it start inside the namespace without `ip netns exec` (which unshares a
// mount namespace and remounts /sys every time), and a probe's receiver is a socket the agent
// opens, not a process to start.
import { nodeScriptArgv } from '../probes/node-script.js';
import type { Command, CommandResult, LiveProcess, Runner } from './runner.js';
import { timeScale } from './time-scale.js';

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

// Scaled inside a VM under TCG, where starting node takes seconds (see time-scale.ts).
const agentReadyMs = (): number => 10_000 * timeScale();

export class NamespaceAgent {
  private nextId = 1;

  private constructor(
    private readonly proc: LiveProcess,
    readonly netns: string,
  ) {}

  /** Starts the agent inside `netns` and waits until it reads requests. */
  static async start(runner: Runner, netns: string, lifetimeMs: number): Promise<NamespaceAgent> {
    // The agent script sits in probes/, compiled (.js) or, when lab runs from source, .ts.
    const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
    const argv = ['ip', 'netns', 'exec', netns, ...nodeScriptArgv(new URL(`../probes/index.${ext}`, import.meta.url).href, 'agent')];
    const proc = runner.start({ argv, interactive: true, timeoutMs: lifetimeMs });
    const timer = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), agentReadyMs()).unref());
    const ready = await Promise.race([proc.waitForLine((l) => l.startsWith('{"agent":"ready"')), timer]);
    if (ready === undefined || !proc.write) {
      proc.kill();
      const r = await proc.done;
      throw new Error(`the namespace agent in ${netns} did not start: ${r.stderr.trim() || 'no answer'}`);
    }
    return new NamespaceAgent(proc, netns);
  }

  private request(body: object): number {
    const id = this.nextId++;
    this.proc.write?.(`${JSON.stringify({ id, ...body })}\n`);
    return id;
  }

  private answer(id: number, test: (msg: Record<string, unknown>) => boolean = () => true): Promise<Record<string, unknown> | undefined> {
    return this.proc
      .waitForLine((l) => {
        if (!l.startsWith(`{"id":${id},`)) return false;
        return test(JSON.parse(l) as Record<string, unknown>);
      })
      .then((l) => (l === undefined ? undefined : (JSON.parse(l) as Record<string, unknown>)));
  }

  /** Runs a command inside the namespace, like Runner.run. */
  async run(cmd: Command): Promise<CommandResult> {
    const started = performance.now();
    const id = this.request({ op: 'exec', argv: cmd.argv, input: cmd.input, timeoutMs: cmd.timeoutMs ?? 10_000 });
    const msg = await this.answer(id);
    return {
      argv: cmd.argv,
      exitCode: typeof msg?.['exitCode'] === 'number' ? msg['exitCode'] : -1,
      stdout: typeof msg?.['stdout'] === 'string' ? msg['stdout'] : '',
      stderr: typeof msg?.['stderr'] === 'string' ? msg['stderr'] : msg ? '' : 'the namespace agent ended',
      durationMs: performance.now() - started,
      timedOut: msg?.['timedOut'] === true,
    };
  }

  listen(req: ListenRequest): Listening {
    const id = this.request({ op: 'listen', ...req });
    const ready = this.answer(id, (m) => m['event'] === 'ready' || m['event'] === 'error').then((m) =>
      m?.['event'] === 'ready' ? (true as const) : { error: String(m?.['message'] ?? 'the namespace agent ended') },
    );
    const result = this.answer(id, (m) => m['event'] === 'result' || m['event'] === 'error').then((m) =>
      m?.['event'] === 'result'
        ? { received: m['received'] === true }
        : { received: false, error: String(m?.['message'] ?? 'the namespace agent ended') },
    );
    return { ready, result, close: () => void this.request({ op: 'close', listen: id }) };
  }

  /** The namespace's kernel counters, as nstat names them. */
  async counters(): Promise<Record<string, number>> {
    const id = this.request({ op: 'counters' });
    const msg = await this.answer(id);
    return (msg?.['counters'] as Record<string, number> | undefined) ?? {};
  }

  /** Ends the agent: stdin closes, it exits; killed if it does not. */
  async stop(): Promise<void> {
    this.proc.end?.();
    await this.proc.stop(1_000);
  }
}
