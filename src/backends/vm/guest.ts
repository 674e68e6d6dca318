// What runs inside the VM: the initramfs /init (busybox sh) and the job the host hands it.
//
// /init loads the modules needed to reach the host's root (virtio, 9p, overlay), mounts that
// root read-only over 9p with a tmpfs overlay on top (so every path is writable, in RAM), puts
// the guest kernel's modules at /lib/modules, a fresh tmpfs on /run (nothing of the host's /run,
// such as its namespaces or lab state files, shows through), the results share at
// /run/lab-vm, then runs the job chrooted and powers off. Markers on the console tell the host
// how far it got.

/** Console markers, one per line. */
export const MARK = {
  alive: 'lab-vm: alive',
  root: 'lab-vm: root ready',
  exit: 'lab-vm: job exit ',
  fail: 'lab-vm: failed: ',
} as const;

/** The kernel command line word that makes /init only say it is alive and power off (the KVM check). */
export const PROBE_ARG = 'lab.probe=1';

export const ROOT_TAG = 'labroot';
export const SHARE_TAG = 'labshare';
/** Where the share is mounted in the guest. */
export const GUEST_SHARE = '/run/lab-vm';

/** Single-quoted for sh. */
export const shq = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;

export interface InitOptions {
  /** Module file names inside the initramfs (/modules/NAME), in load order. */
  modules: readonly string[];
  /** Host path of the directory that holds lib/modules/RELEASE of the guest kernel; none for a kernel without modules. */
  modulesRoot?: string;
}

export const initScript = (o: InitOptions): string => `#!/bin/busybox sh
# netns-lab VM init: reach the host root, run the job, power off.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo '${MARK.alive}'
fail() { echo "${MARK.fail}$*"; poweroff -f; sleep 5; reboot -f; }
if grep -q '${PROBE_ARG}' /proc/cmdline; then poweroff -f; fi
for m in ${o.modules.map(shq).join(' ')}; do
  insmod "/modules/$m" 2>/tmp/insmod.err || grep -q 'File exists' /tmp/insmod.err || fail "insmod $m: $(cat /tmp/insmod.err)"
done
mkdir -p /lower /upper /newroot
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose ${ROOT_TAG} /lower || fail 'cannot mount the host root over 9p'
mount -t tmpfs -o mode=0755 tmpfs /upper
mkdir -p /upper/data /upper/work
mount -t overlay -o lowerdir=/lower,upperdir=/upper/data,workdir=/upper/work overlay /newroot || fail 'cannot mount the overlay root'
${o.modulesRoot === undefined ? '' : `mkdir -p /newroot/lib/modules
mount --bind ${shq(`/newroot${o.modulesRoot}/lib/modules`)} /newroot/lib/modules || fail 'cannot bind the guest kernel modules'
`}mount -t proc proc /newroot/proc
mount -t sysfs sysfs /newroot/sys
mount -t devtmpfs devtmpfs /newroot/dev
mount -t tracefs tracefs /newroot/sys/kernel/tracing 2>/dev/null
mount -t tmpfs -o mode=0755 tmpfs /newroot/run
mkdir -p /newroot${GUEST_SHARE}
mount -t 9p -o trans=virtio,version=9p2000.L ${SHARE_TAG} /newroot${GUEST_SHARE} || fail 'cannot mount the results share'
ln -sf /proc/self/fd /newroot/dev/fd 2>/dev/null
# The kernel runs its module loader from PID 1's root (this initramfs): hand requests to the host root's modprobe.
printf '#!/bin/busybox sh\nexec chroot /newroot /sbin/modprobe "$@"\n' > /bin/lab-modprobe
chmod 755 /bin/lab-modprobe
echo /bin/lab-modprobe > /proc/sys/kernel/modprobe
echo '${MARK.root}'
chroot /newroot /bin/sh ${GUEST_SHARE}/job.sh
echo "${MARK.exit}$?"
poweroff -f
sleep 5
reboot -f
`;

export interface JobOptions {
  cwd: string;
  /** argv of the command to run inside (node, lab's bin.js, its arguments). */
  argv: readonly string[];
  env: Record<string, string>;
  /** `modprobe` argv tails run in the background while the command starts (lab waits for a module still loading). */
  preload?: readonly (readonly string[])[];
  /**
   * `KEY=VALUE` sysctls of the guest's root namespace, set before the command: a root configured
   * like another distribution's (tests of the sysctl baseline). What a namespace made without lab
   * then starts from is left in the share as ROOT_SYSCTLS_FILE, for the record.
   */
  rootSysctls?: readonly string[];
}

/** What a plain `ip netns add` namespace inherited from a root set up with `rootSysctls` (`grep -r` lines). */
export const ROOT_SYSCTLS_FILE = 'inherited-sysctls.txt';

/** Files the job leaves in the share. */
export const JOB_FILES = { stdout: 'stdout', stderr: 'stderr', status: 'status' } as const;

/**
 * The job: the command's stdout goes to a file in the share, its stderr both to a file and to
 * the console (the host shows progress lines as they come), its exit code to `status`.
 */
/**
 * What both jobs start with: the environment as sh words, and the script's head (into the working
 * directory, the root sysctls set and what a namespace then inherits written to the share, the
 * modules loaded in the background).
 */
const jobStart = (o: Pick<JobOptions, 'cwd' | 'env' | 'preload' | 'rootSysctls'>): { env: string; head: string } => {
  const env = Object.entries(o.env).map(([k, v]) => `${k}=${shq(v)}`).join(' ');
  const preload = (o.preload ?? []).map((m) => `modprobe ${m.map(shq).join(' ')} >/dev/null 2>&1 &\n`).join('');
  const ns = 'lab-vm-inherits';
  const root = o.rootSysctls?.length
    ? `sysctl -q -w ${o.rootSysctls.map(shq).join(' ')} || exit 71
ip netns add ${ns} && ip netns exec ${ns} grep -r '' /proc/sys/net/ipv4/conf /proc/sys/net/ipv6/conf /proc/sys/net/ipv4/ip_forward >${GUEST_SHARE}/${ROOT_SYSCTLS_FILE} 2>/dev/null; ip netns del ${ns}
`
    : '';
  return { env, head: `#!/bin/sh\ncd ${shq(o.cwd)} || exit 70\n${root}${preload}` };
};

export const jobScript = (o: JobOptions): string => {
  const { env, head } = jobStart(o);
  const share = GUEST_SHARE;
  return `${head}{ env -i ${env} ${o.argv.map(shq).join(' ')} 2>&1 >${share}/${JOB_FILES.stdout}; echo $? >${share}/${JOB_FILES.status}; } | tee ${share}/${JOB_FILES.stderr}
exit "$(cat ${share}/${JOB_FILES.status})"
`;
};

/** The guest runner's program, as the job finds it in the share. */
export const RUNNER_FILE = 'guest-runner.pl';

export interface RunnerJobOptions {
  cwd: string;
  env: Record<string, string>;
  /** The virtio-serial port's name (qemu.ts RUNNER_PORT). */
  port: string;
  /** Host directories the guest mounts at the same path, read-write (from the share: `share` itself). */
  sharePath: string;
  preload?: readonly (readonly string[])[];
  rootSysctls?: readonly string[];
}

/** Console marker: the guest runner is about to start on its port. */
export const RUNNER_MARK = 'lab-vm: runner on ';

/**
 * The job of a guest driven from the host: the share also at its host path (files lab's host
 * side makes there, such as pcap folders and driver scripts, are the same files in the guest),
 * then the guest runner on its virtio-serial port, in place of the job until the host hangs up.
 */
export const runnerJobScript = (o: RunnerJobOptions): string => {
  const { env, head } = jobStart(o);
  // The share's second mount point is made by the runner itself (--bind): mkdir and mount were
  // two process starts over 9p on the boot's critical path (0.14-0.2 s each under TCG, measured).
  return `${head}port=
for p in /sys/class/virtio-ports/*; do n=; read -r n < "$p/name" 2>/dev/null; [ "$n" = ${shq(o.port)} ] && port=/dev/\${p##*/}; done
[ -n "$port" ] || { echo '${MARK.fail}no virtio-serial port ${o.port} (virtio_console)'; exit 73; }
echo "${RUNNER_MARK}$port"
exec env -i ${env} perl ${GUEST_SHARE}/${RUNNER_FILE} --bind ${GUEST_SHARE} ${shq(o.sharePath)} "$port"
`;
};
