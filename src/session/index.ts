// What src/cli uses of the effectful layers: the lab session (withLab, lab.ts), labs by their
// state files and their teardown (labs.ts: list, down, clean, exec, shell), what the host can do
// (host.ts: run, up, bench, doctor), a scratch namespace (scratch.ts: validate) and the kernel
// catalog (kernels.ts). The CLI reaches backends/ through here (docs/architecture.md lists the
// few edges that remain).
export { withLab, type Lab, type LabOptions } from './lab.js';
export { finishInterrupted } from './signals.js';
export { SIGNAL_EXIT } from '../backends/interrupt.js';
export {
  findLab, forgetLab, isOwnerAlive, livenessOf, namespaceIdentity, readLabs, sharedWithOthers, tearDownLab,
  type LabTeardown, type Liveness, type RunState, type StateEntry, type TeardownOptions, type TeardownReport,
} from './labs.js';
export {
  checkRunHost, doctorReport, hostLimits, requireGuestTools, requireHost, type Capability, type DoctorReport, type HostLimits,
} from './host.js';
export { removeRecorded, systemRunner, withScratchNamespace, type Runner } from './scratch.js';
export { claimOut, freshOutTree, outFolders } from './out.js';
export {
  defaultKernelsContext, hostKernel, kernelRows, runKernels, type CatalogRow, type HostKernelPlan, type KernelSpec, type KernelsContext,
} from './kernels.js';
export { defaultCacheDir, mapLimit, runOnKernels, vmParallelism, type KernelsRunOptions } from './vm.js';
