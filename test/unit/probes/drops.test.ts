import t from 'tap';
import { caseDirName } from '../../../src/backends/out-tree.js';
import { pcapPath } from '../../../src/probes/capture.js';
import { parseDropTrace } from '../../../src/probes/drops.js';

t.test('drop reasons are counted per reason from the trace buffer, NOT_SPECIFIED left out', async (t) => {
  const trace = [
    '# tracer: nop',
    '#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION',
    '           socat-4381    [001] ..s1.  2022.887505: kfree_skb: skbaddr=000000003f41ea41 rx_sk=0000000000000000 protocol=2048 location=__udp4_lib_rcv+0x4bc/0xd00 reason: NO_SOCKET',
    '          <idle>-0       [000] ..s1.  2023.000001: kfree_skb: skbaddr=00000000aa rx_sk=0000000000000000 protocol=2048 location=ip_rcv_finish_core+0x1/0x2 reason: IP_RPFILTER',
    '          <idle>-0       [000] ..s1.  2023.000002: kfree_skb: skbaddr=00000000ab rx_sk=0000000000000000 protocol=2048 location=x+0x1/0x2 reason: IP_RPFILTER',
    '          <idle>-0       [000] ..s1.  2023.000003: kfree_skb: skbaddr=00000000ac rx_sk=0000000000000000 protocol=2054 location=y+0x1/0x2 reason: NOT_SPECIFIED',
  ].join('\n');
  t.same(parseDropTrace(trace), [
    { reason: 'IP_RPFILTER', count: 2 },
    { reason: 'NO_SOCKET', count: 1 },
  ]);
  t.same(parseDropTrace('# tracer: nop\n'), []);
});

t.test('pcaps go to <case folder>/<node>-<dev>.pcap, the case name made a safe directory name', async (t) => {
  t.equal(caseDirName('accept-local sends it over the wire'), 'accept-local-sends-it-over-the-wire');
  t.equal(caseDirName('strict rp_filter: refuses it / too!'), 'strict-rp_filter-refuses-it-too');
  t.equal(caseDirName('../..'), 'case', 'never a parent directory, never a slash');
  t.equal(caseDirName('.hidden'), 'hidden');
  t.equal(pcapPath('/tmp/out/s/a-b', 'laptop', 'wlan0'), '/tmp/out/s/a-b/laptop-wlan0.pcap');
});
