// moved to src/types/plan.ts (re-exported here during the move only)
export type { Op, TopologyDevice, Topology } from '../types/plan.js';

