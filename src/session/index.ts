// What src/cli, src/bench and src/docs use of the effectful layers: the lab session (withLab,
// lab.ts), labs by their state files and their teardown (labs.ts: list, down, clean, exec, shell),
// what the host can do (host.ts: run, up, bench, doctor), namespaces made by hand (scratch.ts:
// validate, the bench's), the kernels (kernels.ts: the catalog, `--kernel host`, a run's kernels),
// one run on several kernels (vm.ts), the `--out` tree (out.ts) and the exit code of a signal.
// They never import backends/ themselves (test/unit/architecture/imports.test.ts). Two narrower
// modules are imported directly: guest.ts (the VM's host side, src/cli/vm-entry.ts) and
// vm-bench.ts (the VM backend's parts `lab bench --only vm` drives by hand).
export { withLab, type Lab, type LabOptions } from './lab.js';
export { finishInterrupted } from './signals.js';
export { SIGNAL_EXIT } from '../backends/interrupt.js';
export {
  findLab, forgetLab, isOwnerAlive, livenessOf, namespaceIdentity, readLabs, sameNamespace, sharedWithOthers, tearDownLab,
  type LabTeardown, type Liveness, type RunState, type StateEntry, type TeardownOptions, type TeardownReport,
} from './labs.js';
export {
  checkRunHost, doctorReport, hostLimits, requireGuestTools, requireHost, type Capability, type DoctorReport, type HostLimits,
} from './host.js';
export { removeRecorded, systemRunner, withScratchNamespace, type Runner } from './scratch.js';
export { claimOut, freshOutTree, outFolders } from './out.js';
export {
  defaultKernelsContext, hostKernel, kernelRows, runKernels, type CatalogRow, type KernelSpec, type KernelsContext,
} from './kernels.js';
export { defaultCacheDir, runEachKernel } from './vm.js';
export { attachInVm, upKernel, upVmLab, vmLabAlive, vmLabKernel, type VmUp, type VmUpOptions } from './vm-lab.js';
