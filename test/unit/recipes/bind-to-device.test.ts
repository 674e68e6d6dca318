import t from 'tap';
import { bindToDevice, bindToDeviceParams } from '../../../src/recipes/bind-to-device.js';
import { renderRecipe } from '../../../src/recipes/render.js';
import { laptop, laptopView, opLines } from './helpers.js';

const params = (p: Record<string, unknown>) => bindToDeviceParams.parse({ node: 'laptop', out: 'wlan0', in: 'wlan1', ...p });

t.test('no policy rule: sysctls on all and both NICs, and the sender bound to the sending NIC', async (t) => {
  const steps = bindToDevice.steps(params({}), laptop);
  t.same(opLines(steps.ops), [
    'laptop: sysctl -q -w net.ipv4.conf.all.accept_local=1',
    'laptop: sysctl -q -w net.ipv4.conf.wlan0.accept_local=1',
    'laptop: sysctl -q -w net.ipv4.conf.wlan1.accept_local=1',
    'laptop: sysctl -q -w net.ipv4.conf.all.rp_filter=2',
    'laptop: sysctl -q -w net.ipv4.conf.wlan0.rp_filter=2',
    'laptop: sysctl -q -w net.ipv4.conf.wlan1.rp_filter=2',
  ]);
  t.same(steps.senders?.map(({ node, address, dev }) => ({ node, address, dev })), [
    { node: 'laptop', address: '192.0.2.1', dev: 'wlan0' },
  ]);
});

t.test('both binds the reverse sender to the receiving NIC; settings follow the parameters', async (t) => {
  const steps = bindToDevice.steps(params({ both: true, accept_local: 0, rp_filter: 1 }), laptop);
  t.same(steps.senders?.map((s) => `${s.address}→${s.dev}`), ['192.0.2.1→wlan0', '192.0.2.2→wlan1']);
  t.ok(opLines(steps.ops).includes('laptop: sysctl -q -w net.ipv4.conf.wlan1.accept_local=0'));
  t.ok(opLines(steps.ops).includes('laptop: sysctl -q -w net.ipv4.conf.all.rp_filter=1'));
});

t.test('check wants two addressed NICs', async (t) => {
  t.same(bindToDevice.check(params({}), laptopView), []);
  t.same(bindToDevice.check(params({ out: 'eth0' }), laptopView), ['out: laptop:eth0 has no IPv4 address']);
});

t.test('recipe show prints the binding as an example sender', async (t) => {
  const text = renderRecipe(bindToDevice, bindToDevice.steps(params({}), { addressesOf: () => [] }));
  t.match(text, /binds its socket to wlan0 \(SO_BINDTODEVICE\)/);
  t.match(text, /^# {3}echo hello \| socat -u - "UDP4-SENDTO:\$IN_ADDR:9000,bind=\$OUT_ADDR,so-bindtodevice=wlan0"$/m);
});
