// The host side of a VM (src/cli/vm-entry.ts, the process the VM backend starts with
// LAB_GUEST_CHANNEL): the guest runner, reached over the VM's virtio-serial port, becomes the
// process's runner, so every command of the lab inside runs in the guest.
export { startBaselineRead } from '../backends/baseline.js';
export { perlForked, useRunner } from '../backends/forker.js';
export { forwardingSockets, GuestRunner } from '../backends/vm/guest-runner.js';
