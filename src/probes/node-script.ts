import { fileURLToPath } from 'node:url';

/**
 * argv that runs one of lab's own scripts with this Node: the compiled .js normally, the .ts
 * source through tsx when lab itself runs from source (unit tests).
 */
export const nodeScriptArgv = (moduleUrl: string, name: string): string[] => {
  const fromSource = moduleUrl.endsWith('.ts');
  const file = fileURLToPath(new URL(`./${name}.${fromSource ? 'ts' : 'js'}`, moduleUrl));
  return [process.execPath, ...(fromSource ? ['--import', 'tsx'] : []), file];
};
