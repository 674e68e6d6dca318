// The clock that brackets a probe on an encrypted medium is read in the node (the capture's
// kernel), never taken from lab's own process: in the VM backend the two differ.
import t from 'tap';
import type { Command, CommandResult } from '../../../src/types/runner.js';
import { kernelClockMs } from '../../../src/probes/medium.js';

const answering = (r: Partial<CommandResult> | Error) => {
  const asked: { node: string; cmd: Command }[] = [];
  const host = {
    run: async (node: string, cmd: Command): Promise<CommandResult> => {
      asked.push({ node, cmd });
      if (r instanceof Error) throw r;
      return { exitCode: 0, stdout: '', stderr: '', ...r } as CommandResult;
    },
  };
  return { host, asked };
};

t.test('the node kernel\'s realtime clock, in ms, read with date inside the node', async (t) => {
  const { host, asked } = answering({ stdout: '1764790000123456789\n' });
  t.equal(await kernelClockMs(host, 'ap'), 1764790000123);
  t.same(asked.map((a) => [a.node, a.cmd.argv]), [['ap', ['date', '+%s%N']]]);
});

t.test('an unreadable clock is undefined, never lab\'s own clock', async (t) => {
  t.equal(await kernelClockMs(answering({ exitCode: 1, stdout: '' }).host, 'ap'), undefined, 'date failed');
  t.equal(await kernelClockMs(answering({ stdout: '%N\n' }).host, 'ap'), undefined, 'a date without %N');
  t.equal(await kernelClockMs(answering(new Error('gone')).host, 'ap'), undefined, 'the node is gone');
});
