import t from 'tap';
import {
  DEVICE_NAME, DEVICE_REF, NODE_NAME, deviceNameProblem, deviceRefProblem, nodeNameProblem,
} from '../../../src/model/names.js';

// The expression (in the JSON Schema) and the explanation (in messages) must agree.
const nodes = ['laptop', 'a', 'A-1_b', '0', 'exactly15chars_', '', '-x', '_x', 'a.b', 'a b', 'a:b', 'sixteen-chars-xx', 'ä'];
const devices = ['wlan0', 'br-lan', 'eth0.100', 'a_b', 'exactly15chars.', '', '.', '..', '.x', '-x', 'a/b', 'a b',
  'all', 'default', 'allx', 'sixteen-chars-xx'];

t.test('node names: the expression accepts exactly the names without a problem', async (t) => {
  for (const name of nodes) t.equal(NODE_NAME.test(name), nodeNameProblem(name) === undefined, JSON.stringify(name));
  t.strictSame(nodes.filter((n) => NODE_NAME.test(n)), ['laptop', 'a', 'A-1_b', '0', 'exactly15chars_']);
});

t.test('device names: the expression accepts exactly the names without a problem', async (t) => {
  for (const name of devices) t.equal(DEVICE_NAME.test(name), deviceNameProblem(name) === undefined, JSON.stringify(name));
  t.strictSame(devices.filter((d) => DEVICE_NAME.test(d)), ['wlan0', 'br-lan', 'eth0.100', 'a_b', 'exactly15chars.', 'allx']);
});

t.test('device references: node:device', async (t) => {
  t.ok(DEVICE_REF.test('laptop:wlan0'));
  t.notOk(DEVICE_REF.test('laptop:wlan0:x'));
  t.notOk(DEVICE_REF.test('laptop:all'));
  t.equal(deviceRefProblem('laptop:wlan0'), undefined);
  t.equal(deviceRefProblem('laptop:wlan0:x'),
    'device name "wlan0:x" may contain only letters, digits, "_", "." and "-" and must start with a letter or digit');
  t.equal(deviceRefProblem(':wlan0'), 'a node name may not be empty');
  t.equal(deviceRefProblem('laptop:'), 'a device name may not be empty');
});
