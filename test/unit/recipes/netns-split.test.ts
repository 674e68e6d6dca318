import t from 'tap';
import { netnsSplit, netnsSplitParams } from '../../../src/recipes/netns-split.js';
import { renderRecipe } from '../../../src/recipes/render.js';
import { laptop, laptopView, opLines } from './helpers.js';

const params = (p: Record<string, unknown>) => netnsSplitParams.parse({ node: 'laptop', nic: 'wlan1', ...p });

t.test('the move is data; the ops give the addresses back inside the new node and bring the NIC up', async (t) => {
  const steps = netnsSplit.steps(params({}), laptop);
  t.same(steps.topology?.nodes, ['laptop-wlan1']);
  t.same(steps.topology?.moves.map((m) => [m.device, m.to]), [[{ node: 'laptop', dev: 'wlan1' }, 'laptop-wlan1']]);
  t.same(opLines(steps.ops), [
    'laptop-wlan1: ip addr add 192.0.2.2/24 dev wlan1',
    'laptop-wlan1: ip addr add 2001:db8::2/64 dev wlan1 nodad',
    'laptop-wlan1: ip link set dev wlan1 up',
  ]);
});

t.test('to names the namespace; addr replaces the scenario addresses', async (t) => {
  const steps = netnsSplit.steps(params({ to: 'rx', addr: '198.51.100.7/24' }), laptop);
  t.same(steps.topology?.nodes, ['rx']);
  t.same(opLines(steps.ops), ['rx: ip addr add 198.51.100.7/24 dev wlan1', 'rx: ip link set dev wlan1 up']);
});

t.test('check: the NIC exists and has an address, the new node is new and fits a name', async (t) => {
  t.same(netnsSplit.check(params({}), laptopView), []);
  t.same(netnsSplit.check(params({ nic: 'wlan9' }), laptopView), ['nic: laptop has no device "wlan9"']);
  t.same(netnsSplit.check(params({ nic: 'eth0' }), laptopView), ['nic: laptop:eth0 has no address to take along (give one with addr)']);
  t.same(netnsSplit.check(params({ to: 'ap' }), laptopView), ['to: "ap" is already a node of the scenario; the NIC needs a namespace of its own']);
  t.match(netnsSplit.check(params({ nic: 'eth0', addr: '192.0.2.9/24' }), laptopView), []);
  t.notOk(netnsSplitParams.safeParse({ node: 'laptop', nic: 'wlan1', to: 'bad name' }).success);
  t.notOk(netnsSplitParams.safeParse({ node: 'laptop', nic: 'wlan1', addr: '192.0.2.300/24' }).success);
});

t.test('recipe show creates the namespace, moves the NIC, runs the ops inside, and says how to undo', async (t) => {
  const text = renderRecipe(netnsSplit, netnsSplit.steps(params({}), { addressesOf: () => [] }));
  const commands = text.split('\n').filter((l) => l && !l.startsWith('#'));
  t.same(commands, [
    `NIC_CIDR=$(ip -4 -o addr show dev wlan1 | awk '{print $4; exit}')`,
    'ip netns add laptop-wlan1',
    'ip -n laptop-wlan1 link set dev lo up',
    'ip link set dev wlan1 netns laptop-wlan1',
    'ip -n laptop-wlan1 addr add "$NIC_CIDR" dev wlan1',
    'ip -n laptop-wlan1 link set dev wlan1 up',
  ]);
  t.match(text, /#   ip -n laptop-wlan1 link set dev wlan1 netns 1\n#   ip netns del laptop-wlan1\n/);
});
