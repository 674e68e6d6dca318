// Scenario file → Scenario, or a ScenarioError listing every problem with file, line, column and key path.
import { readFile } from 'node:fs/promises';
import { isScalar, LineCounter, parseDocument, visit, type Document } from 'yaml';
import { ScenarioError, type ScenarioProblem } from '../errors.js';
import type { Recipe } from '../types/recipe.js';
import { nestingProblem } from './depth.js';
import { issueMessage } from './messages.js';
import { resolveScenario } from './resolve.js';
import { scenarioSchema } from './schema.js';
import { Problems, SourceMap } from './source.js';
import { isRecord } from './topology.js';
import { readUserRecipes, unreadableRecipe, unreadableRecipeNames } from './user-recipes.js';
import type { Scenario } from '../types/scenario.js';

export interface LoadOptions {
  /**
   * The recipe catalog to validate `recipe:` against. model/ sits below recipes/, so the catalog
   * comes in here: src/recipes/scenario.ts reads scenarios with the built-in one.
   */
  recipes: readonly Recipe<any>[];
}

const yamlMessage = (code: string, message: string): string =>
  code === 'MULTIPLE_DOCS' ? 'a scenario file holds one YAML document; this --- starts a second one' : message;

const yamlProblems = (doc: Document, lines: LineCounter, file: string): ScenarioProblem[] => {
  const problems = [...doc.errors, ...doc.warnings].map((e) => ({
    file, ...lines.linePos(e.pos[0]), path: '', message: yamlMessage(e.code, e.message),
  }));
  // A mapping or list used as a key cannot become an object key (yaml would stringify it).
  visit(doc, {
    Pair(_, pair) {
      if (pair.key !== null && !isScalar(pair.key)) {
        const at = (pair.key as { range?: [number, number, number] }).range?.[0] ?? 0;
        problems.push({ file, ...lines.linePos(at), path: '', message: 'a key must be a plain name, not a list or mapping' });
      }
    },
  });
  return problems;
};

/** Parse and check a scenario; throws ScenarioError with every problem found. */
export const parseScenario = (text: string, file: string, options: LoadOptions): Scenario => {
  const registry = options.recipes;
  // Before composing: a document nested thousands of levels deep would exhaust the stack.
  const tooDeep = nestingProblem(text, file);
  if (tooDeep) throw new ScenarioError([tooDeep]);
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const syntax = yamlProblems(doc, lines, file);
  if (syntax.length) throw new ScenarioError(syntax);

  let raw: unknown;
  try {
    raw = doc.toJS();
  } catch (error) {
    // e.g. too many alias expansions; nothing more can be checked
    throw new ScenarioError([{ file, line: 1, col: 1, path: '', message: (error as Error).message }]);
  }

  const source = new SourceMap(doc, lines);
  const problems = new Problems(file, source);
  // Recipes the file defines join the registry: cases use them like the built-in ones.
  const own = readUserRecipes(isRecord(raw) ? raw.recipes : undefined,
    registry, file, source, problems);
  // A definition that could not be read is reported there; its uses are not unknown recipes too.
  const unreadable = unreadableRecipeNames(isRecord(raw) ? raw.recipes : undefined, own, registry).map(unreadableRecipe);
  const all = own.length || unreadable.length ? [...registry, ...own, ...unreadable] : registry;
  const shape = scenarioSchema(all).safeParse(raw, { reportInput: true, error: issueMessage });
  if (!shape.success) problems.issues(shape.error.issues);
  const resolved = resolveScenario(raw, file, all, { problems, source });
  const scenario = resolved && own.length ? { ...resolved, recipes: own } : resolved;
  if (problems.count > 0) throw new ScenarioError(problems.sorted());
  if (!scenario) {
    // Every reason for an unresolved part should have been reported; never hand out half a model.
    throw new ScenarioError([{ file, line: 1, col: 1, path: '', message: 'the scenario could not be read' }]);
  }
  return scenario;
};

/** Read and parse a scenario file; an unreadable file is a ScenarioError too. */
export const loadScenarioFile = async (file: string, options: LoadOptions): Promise<Scenario> => {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file'
      : code === 'EACCES' ? 'permission denied'
      : code === 'EISDIR' ? 'it is a directory, not a file'
      : `cannot be read (${(error as Error).message})`;
    throw new ScenarioError([{ file, line: 1, col: 1, path: '', message: `cannot read the scenario file: ${why}` }]);
  }
  return parseScenario(text, file, options);
};
