// What `lab bench --only vm` (src/bench/vm.ts) takes of the VM backend. Its floor is a boot the
// backend never makes itself (QEMU with a one-line job: load mac80211_hwsim, power off), so the
// bench drives the backend's parts by hand, with the same kernel, initramfs, accelerator, CPUs
// and memory as a run: the kernel and initramfs from the cache, the accelerator, the guest's job
// script, QEMU's argv and the boot. Its scenario goes through runInVm, as `lab run --backend vm`.
export { chooseAccel } from '../backends/vm/accel.js';
export { jobScript } from '../backends/vm/guest.js';
export { ensureInitramfs } from '../backends/vm/initramfs.js';
export { ensureKernel } from '../backends/vm/kernels.js';
export { boot, qemuArgv } from '../backends/vm/qemu.js';
export { BOOT_TIMEOUT_MS, runInVm, type VmRunOptions } from '../backends/vm/run.js';
