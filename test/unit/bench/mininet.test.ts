import t from 'tap';
import {
  completedIn, linkNames, mininetArgv, outsideChanges, sandboxed, type OutsideSnapshot,
} from '../../../src/bench/mininet.js';

t.test('Mininet is asked for linear,N with Linux bridges and no controller, building only', async (t) => {
  t.same(mininetArgv(50), ['mn', '--topo', 'linear,50', '--switch', 'lxbr', '--controller', 'none', '--test', 'build']);
});

t.test('the sandbox: the bench namespace, a PID namespace of its own, a private /tmp; words never spliced', async (t) => {
  const argv = sandboxed('lab-abc-mn20', ['mn', '-c', '; rm -rf /']);
  t.same(argv.slice(0, 4), ['ip', 'netns', 'exec', 'lab-abc-mn20']);
  t.ok(argv.includes('--pid') && argv.includes('--fork') && argv.includes('--kill-child') && argv.includes('--mount-proc'));
  const script = argv[argv.indexOf('-c') + 1];
  t.match(script, /mount -t tmpfs \S+ \/tmp && HOME=\/tmp exec "\$@"/);
  t.same(argv.slice(-3), ['mn', '-c', '; rm -rf /'], 'the command follows as arguments of the script');
});

t.test("Mininet's own build-and-stop time is read from its output", async (t) => {
  t.equal(completedIn('*** Done\ncompleted in 5.263 seconds\n'), 5.263);
  t.equal(completedIn('Caught exception. Cleaning up...'), undefined);
});

t.test('link names from ip -o link show', async (t) => {
  t.same(linkNames('1: lo: <LOOPBACK,UP> mtu 65536\n5: s1-eth1@if4: <BROADCAST> mtu 1500\n'), ['lo', 's1-eth1']);
});

t.test('changes outside the sandbox are named one by one', async (t) => {
  const before: OutsideSnapshot = { links: ['lo', 'eth0'], sysctls: { 'net.core.wmem_max': '4194304' }, mininetProcesses: [] };
  t.same(outsideChanges(before, structuredClone(before)), []);
  const after: OutsideSnapshot = {
    links: ['lo', 'eth0', 's1', 's1-eth1'],
    sysctls: { 'net.core.wmem_max': '16777216' },
    mininetProcesses: ['123 bash --norc -is mininet:h1'],
  };
  t.same(outsideChanges(before, after), [
    'root namespace links appeared: s1, s1-eth1',
    'net.core.wmem_max changed from 4194304 to 16777216',
    'Mininet processes still running: 123 bash --norc -is mininet:h1',
  ]);
});
