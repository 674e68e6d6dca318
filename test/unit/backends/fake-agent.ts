// A fake namespace agent for backend tests: `ip netns exec NS perl -e AGENT_PL HUB TOKEN` connects
// to lab's hub as the real agent does (src/agent/agent.pl) and answers its requests from the table
// (src/agent/protocol.ts) with nothing to report: commands exit 0, files read empty, writes take.
// An `open` session (`nft -j -i`) answers each `list` it is fed with a listing, as nft does.
// Nothing runs: no namespace, no nft, no sysctl, so it is safe as root in lab's own namespace.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { AGENT_PL } from '../../../src/agent/programs.js';
import { GREETING } from '../../../src/agent/protocol.js';
import type { Command, CommandResult } from '../../../src/backends/runner.js';

const hex = (text: string): string => Buffer.from(text, 'utf8').toString('hex');
const unhex = (h: string | undefined): string => Buffer.from(h ?? '', 'hex').toString('utf8');

/** What happened to the fake agents' sessions, in order, with when (performance.now()). */
export interface SessionEvent {
  netns: string;
  event: 'open' | 'feed' | 'close';
  at: number;
}

export class FakeAgents {
  readonly events: SessionEvent[] = [];
  /** Sessions opened and not closed, by netns and request id. */
  readonly open = new Set<string>();
  /** What an open session prints on stderr as it starts (a session that complains), by netns. */
  complaint = new Map<string, string>();
  /** The pids the backend may kill: a `sleep` per agent, never anything else. */
  private readonly sleepers: ChildProcess[] = [];

  /** Whether `cmd` starts an agent. */
  static isAgent(cmd: Command): boolean {
    return cmd.argv[0] === 'ip' && cmd.argv[1] === 'netns' && cmd.argv[2] === 'exec' && cmd.argv[5] === '-e' && cmd.argv[6] === AGENT_PL;
  }

  /** Runs the agent until lab closes its end; resolves as the agent's command would. */
  run(cmd: Command): Promise<CommandResult> {
    const [, , , netns = '', , , , hub = '', token = ''] = cmd.argv;
    const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
    this.sleepers.push(sleeper);
    return new Promise((resolve) => {
      const socket = connect(hub);
      const end = (): void => {
        sleeper.kill();
        for (const key of [...this.open].filter((k) => k.startsWith(`${netns}\t`))) this.open.delete(key);
        resolve({ argv: cmd.argv, exitCode: 0, stdout: '', stderr: '', durationMs: 1, timedOut: false });
      };
      socket.on('error', end);
      socket.on('close', end);
      socket.on('connect', () => socket.write(`${GREETING}\t${token}\t${sleeper.pid}\n`));
      let pending = '';
      const reply = (...fields: string[]): void => void (socket.writable && socket.write(`${fields.join('\t')}\n`));
      socket.on('data', (chunk: Buffer) => {
        pending += chunk.toString();
        let nl: number;
        while ((nl = pending.indexOf('\n')) >= 0) {
          const [op = '', id = '', ...values] = pending.slice(0, nl).split('\t');
          pending = pending.slice(nl + 1);
          const at = performance.now();
          if (op === 'exec') reply(id, 'exec', '0', '0', '', '');
          else if (op === 'read') reply(id, 'read', ...values.map(() => ''));
          else if (op === 'write') reply(id, 'wrote', ...values.filter((_, i) => i % 2 === 0).map(() => ''));
          else if (op === 'reap') reply(id, 'reaped', '0');
          else if (op === 'open') {
            this.events.push({ netns, event: 'open', at });
            this.open.add(`${netns}\t${id}`);
            const complaint = this.complaint.get(netns);
            if (complaint) reply(id, 'line', '2', hex(complaint));
          } else if (op === 'feed') {
            const [session = ''] = values;
            this.events.push({ netns, event: 'feed', at });
            if (this.open.has(`${netns}\t${session}`) && !this.complaint.has(netns) && unhex(values[1]).includes('list ')) {
              reply(session, 'line', '1', hex('{"nftables": [{"metainfo": {}}]}'));
            }
          } else if (op === 'close') {
            if (this.open.delete(`${netns}\t${id}`)) {
              this.events.push({ netns, event: 'close', at });
              reply(id, 'ended', '0');
            }
          }
        }
      });
    });
  }

  /** Ends the `sleep`s still running (the test's own cleanup). */
  close(): void {
    for (const s of this.sleepers) s.kill();
  }
}
