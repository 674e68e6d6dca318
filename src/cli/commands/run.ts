// `lab run [FILE...]`: the scenarios' cases, each in a fresh topology, and their reports.
import { parseShard } from '../../plan/shard.js';
import { wholeNumber } from '../numbers.js';
import { FORMATS, parseFormats } from '../reports.js';
import { runCommand } from '../run.js';
import { labCommand } from './command.js';

export const run = labCommand({
  command: 'run [files..]',
  describe: 'run scenarios (default: the laptop-two-nics scenario)',
  builder: (y) =>
    y
      .positional('files', { type: 'string', array: true, describe: 'scenario files' })
      .option('case', { type: 'string', array: true, describe: 'run only the case(s) with this name' })
      .option('jobs', { alias: 'j', type: 'string', describe: 'cases run in parallel (default: cores)' })
      .option('format', {
        alias: 'f',
        type: 'string',
        default: 'table',
        describe: `report format(s), comma-separated: ${FORMATS.join(', ')}; json, tap and junit go to files with --out`,
      })
      .option('out', {
        alias: 'o',
        type: 'string',
        describe: 'directory for report.json, report.tap, junit.xml and summary.md (github), and a pcap per device per case (<scenario file>/<case>/<node>-<dev>.pcap); each run first removes what the last one wrote there (listed in DIR/.lab-out.json), nothing else',
      })
      .option('explain', {
        type: 'boolean',
        describe: 'add kernel drop reasons (skb:kfree_skb) to the evidence and show the evidence of every probe; cases run one at a time',
      })
      .option('shard', {
        type: 'string',
        describe: 'run only shard I of N (e.g. 2/3): each case runs in exactly one of the N jobs',
      })
      .option('backend', {
        choices: ['host', 'vm'] as const,
        describe: 'host: namespaces on the running kernel; vm: boot a kernel under QEMU and run there (default: host, or vm when --kernel names another kernel)',
      })
      .option('kernel', {
        type: 'string',
        array: true,
        describe: 'host, debian, ubuntu, a release (6.1.0-57-amd64, 6.12.118+deb12-amd64, 6.8.0-49-generic: see `lab kernels`) or a PATH (.deb, extracted package, bzImage); repeat it to compare kernels side by side',
      })
      .option('ignore-size-limit', {
        type: 'boolean',
        describe: "run even when the lab would not fit: lab refuses (exit 2) a run whose nodes at once need more memory or processes than this machine has free (docs/limits.md)",
      })
      .option('skip-unsupported', {
        type: 'boolean',
        describe: 'skip (instead of failing with exit 3) the scenarios this kernel cannot run, e.g. wireless without mac80211_hwsim',
      }),
  handler: (a, io) => {
    const jobs = a.jobs === undefined ? undefined : wholeNumber('jobs', [a.jobs].flat().pop() ?? '');
    return runCommand({ files: a.files ?? [], cases: a.case ?? [], jobs,
      formats: parseFormats([a.format].flat()), ...(a.out !== undefined ? { out: a.out } : {}),
      ...(a.shard !== undefined ? { shard: parseShard(a.shard) } : {}),
      ...(a.explain ? { explain: true } : {}),
      ...(a.backend !== undefined ? { backend: a.backend } : {}), kernels: a.kernel ?? [],
      ...(a['skip-unsupported'] ? { skipUnsupported: true } : {}),
      ...(a['ignore-size-limit'] ? { ignoreSizeLimit: true } : {}) }, io);
  },
});
