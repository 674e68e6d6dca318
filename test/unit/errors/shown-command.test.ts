// Commands as messages quote them: a program passed as an argument is cut to its first line.
import t from 'tap';
import { CommandError, shownCommand } from '../../../src/errors.js';

t.test('short arguments as they are, a program text cut to its first line and size', async (t) => {
  t.equal(shownCommand(['ip', '-n', 'lab-x', 'link', 'show']), 'ip -n lab-x link show');
  const program = '# mac80211_hwsim radios over generic netlink\nuse strict;\n' + 'x'.repeat(6000);
  t.equal(shownCommand(['ip', 'netns', 'exec', 'lab-x', 'perl', '-e', program, 'phy0']),
    `ip netns exec lab-x perl -e <# mac80211_hwsim radios over generic netlink… (${program.length} bytes)> phy0`);
  t.equal(shownCommand(['sh', '-c', 'a\nb']), 'sh -c <a… (3 bytes)>', 'several lines, however short');
  t.equal(shownCommand(['echo', 'é'.repeat(121)]), `echo <${'é'.repeat(60)}… (242 bytes)>`, 'bytes, not characters');
});

t.test('a failed command\'s message quotes it so', async (t) => {
  const e = new CommandError(['perl', '-e', 'print 1;\n'.repeat(1000)], 0, '', true);
  t.equal(e.message, '`perl -e <print 1;… (9000 bytes)>` timed out');
  t.equal(e.argv[2]?.length, 9000, 'the error keeps the whole argv');
});
