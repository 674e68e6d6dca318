import t from 'tap';
import { parseProcCounters } from '../../../src/probes/agent.js';

t.test('/proc/net/snmp and netstat are read the way nstat names them', async (t) => {
  const snmp = [
    'Ip: Forwarding DefaultTTL InReceives InHdrErrors',
    'Ip: 2 64 25102 0',
    'Udp: InDatagrams NoPorts InErrors',
    'Udp: 10 3 0',
  ].join('\n');
  const netstat = ['TcpExt: SyncookiesSent IPReversePathFilter', 'TcpExt: 0 7'].join('\n');
  t.same(parseProcCounters(snmp, netstat), {
    IpForwarding: 2,
    IpDefaultTTL: 64,
    IpInReceives: 25102,
    IpInHdrErrors: 0,
    UdpInDatagrams: 10,
    UdpNoPorts: 3,
    UdpInErrors: 0,
    TcpExtSyncookiesSent: 0,
    TcpExtIPReversePathFilter: 7,
  });
  t.same(parseProcCounters(''), {});
});
