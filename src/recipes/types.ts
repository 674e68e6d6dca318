// moved to src/types/recipe.ts (re-exported here during the move only)
export type { RecipeContext, RecipeVariable, SenderBinding, DeviceMove, TopologyChange, RecipeSteps, Recipe, RecipeScenarioView } from '../types/recipe.js';
