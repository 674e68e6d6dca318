// The leaf of lab's layers: pure data types that every other layer takes its types from. Nothing
// here imports anything of lab's but these files (docs/architecture.md).
export * from './scenario.js';
export * from './recipe.js';
export * from './plan.js';
export * from './observation.js';
export * from './result.js';
export * from './runner.js';
export * from './agent.js';
export * from './vm.js';
