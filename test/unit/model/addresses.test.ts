import t from 'tap';
import {
  canonicalAddress, formatTarget, parseCidr, parseProbeFrom, parseProbeTo,
} from '../../../src/model/addresses.js';

t.test('parseCidr', async (t) => {
  t.strictSame(parseCidr('192.0.2.1/24'), { ok: true, value: { address: '192.0.2.1', family: 4, prefix: 24 } });
  t.strictSame(parseCidr('0.0.0.0/0'), { ok: true, value: { address: '0.0.0.0', family: 4, prefix: 0 } });
  t.strictSame(parseCidr('2001:db8::1/128'), { ok: true, value: { address: '2001:db8::1', family: 6, prefix: 128 } });
  t.strictSame(parseCidr('::ffff:192.0.2.1/96'), { ok: true, value: { address: '::ffff:192.0.2.1', family: 6, prefix: 96 } });
  t.strictSame(parseCidr('192.0.2.1/-1'), { ok: false, error: '"192.0.2.1/-1": the prefix length of an IPv4 address is 0 to 32' });
  t.strictSame(parseCidr('192.0.2.1/ 8'), { ok: false, error: '"192.0.2.1/ 8": the prefix length of an IPv4 address is 0 to 32' });
  t.strictSame(parseCidr('192.000.2.1/24'), { ok: false, error: '"192.000.2.1" is not an IPv4 or IPv6 address' });
  t.strictSame(parseCidr('laptop/24'), { ok: false, error: '"laptop" is not an IPv4 or IPv6 address' });
  t.strictSame(parseCidr('laptop'), { ok: false, error: '"laptop" has no prefix length; write it as ADDRESS/PREFIX' });
});

t.test('parseProbeFrom splits at the first colon', async (t) => {
  t.strictSame(parseProbeFrom('laptop:192.0.2.1'), { ok: true, value: { node: 'laptop', address: '192.0.2.1', family: 4 } });
  t.strictSame(parseProbeFrom('laptop:2001:db8::1'), { ok: true, value: { node: 'laptop', address: '2001:db8::1', family: 6 } });
  t.strictSame(parseProbeFrom('laptop:'), {
    ok: false, error: '"laptop:" must be written node:address, e.g. laptop:192.0.2.1 or laptop:2001:db8::1',
  });
  t.strictSame(parseProbeFrom(':192.0.2.1'), {
    ok: false, error: '":192.0.2.1" must be written node:address, e.g. laptop:192.0.2.1 or laptop:2001:db8::1',
  });
  t.strictSame(parseProbeFrom('laptop:[2001:db8::1]'), {
    ok: false, error: '"[2001:db8::1]" is not an IPv4 or IPv6 address ' +
      '(from takes no port or brackets: node:address, e.g. laptop:192.0.2.1 or laptop:2001:db8::1)',
  });
});

t.test('parseProbeTo: every form', async (t) => {
  t.strictSame(parseProbeTo('192.0.2.2'), { ok: true, value: { address: '192.0.2.2', family: 4 } });
  t.strictSame(parseProbeTo('192.0.2.2:9000'), { ok: true, value: { address: '192.0.2.2', family: 4, port: 9000 } });
  t.strictSame(parseProbeTo('192.0.2.2:1'), { ok: true, value: { address: '192.0.2.2', family: 4, port: 1 } });
  t.strictSame(parseProbeTo('192.0.2.2:65535'), { ok: true, value: { address: '192.0.2.2', family: 4, port: 65535 } });
  t.strictSame(parseProbeTo('2001:db8::2'), { ok: true, value: { address: '2001:db8::2', family: 6 } });
  t.strictSame(parseProbeTo('[2001:db8::2]'), { ok: true, value: { address: '2001:db8::2', family: 6 } });
  t.strictSame(parseProbeTo('[2001:db8::2]:9000'), { ok: true, value: { address: '2001:db8::2', family: 6, port: 9000 } });
  t.strictSame(parseProbeTo('192.0.2.2:'), { ok: false, error: '"192.0.2.2:": the port must be a number from 1 to 65535' });
  t.strictSame(parseProbeTo('192.0.2.2:+80'), { ok: false, error: '"192.0.2.2:+80": the port must be a number from 1 to 65535' });
  t.strictSame(parseProbeTo('[2001:db8::2]9000'), {
    ok: false, error: '"[2001:db8::2]9000" is not an IPv6 address; an IPv6 address with a port is written [2001:db8::2]:9000',
  });
  t.strictSame(parseProbeTo('[fe80::1%eth0]:53'), { ok: false, error: '"fe80::1%eth0": zone indexes (%dev) are not supported' });
});

t.test('canonicalAddress and formatTarget', async (t) => {
  t.equal(canonicalAddress({ address: '2001:DB8:0:0::1', family: 6 }), '2001:db8::1');
  t.equal(canonicalAddress({ address: '::ffff:192.0.2.1', family: 6 }), '::ffff:c000:201');
  t.equal(canonicalAddress({ address: '192.0.2.1', family: 4 }), '192.0.2.1');
  t.equal(formatTarget({ address: '192.0.2.2' }), '192.0.2.2');
  t.equal(formatTarget({ address: '192.0.2.2', port: 9000 }), '192.0.2.2:9000');
  t.equal(formatTarget({ address: '2001:db8::2', port: 9000 }), '[2001:db8::2]:9000');
});
