// What src/cli uses of the effectful layers: the lab session (withLab) and the kept labs'
// state files and teardown (labs.ts). The CLI reaches backends/ only through here.
export { withLab, type Lab, type LabOptions } from './lab.js';
export { finishInterrupted } from './signals.js';
export { SIGNAL_EXIT } from '../backends/interrupt.js';
