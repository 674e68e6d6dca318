import type { Recipe, RecipeSteps } from '../types/recipe.js';

const SAFE = /^[A-Za-z0-9_./:=@%+,-]+$/;

/** One argv token as POSIX shell text; `$NAME` of a recipe variable stays expandable. */
export const shellToken = (token: string, variables: ReadonlySet<string>): string => {
  if (SAFE.test(token)) return token;
  const usesVariable = [...variables].some((v) => token.includes(`$${v}`));
  if (usesVariable) return `"${token.replace(/["\\`]/g, '\\$&')}"`;
  return `'${token.replace(/'/g, `'\\''`)}'`;
};

export const shellCommand = (argv: readonly string[], variables: ReadonlySet<string> = new Set()): string =>
  argv.map((t) => shellToken(t, variables)).join(' ');

const wrap = (text: string, width: number): string[] => {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + word.length + 1 > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
};

/** argv run inside namespace `netns` on a real host: `ip -n` for ip, `ip netns exec` for the rest. */
const inNamespace = (netns: string, argv: readonly string[]): string[] =>
  argv[0] === 'ip' ? ['ip', '-n', netns, ...argv.slice(1)] : ['ip', 'netns', 'exec', netns, ...argv];

/** The recipe as a shell script to paste on a real host (as root, in its root namespace). */
export const renderRecipe = (recipe: Recipe<any>, steps: RecipeSteps): string => {
  const captures = steps.ops.flatMap((op) => (op.capture ? [op.capture] : []));
  const vars = new Set([...steps.variables.map((v) => v.name), ...captures]);
  const created = new Set(steps.topology?.nodes ?? []);
  // Ops for a namespace the recipe creates run inside it; the others on the host itself.
  const argvOf = (op: { node: string; argv: string[] }): string[] =>
    created.has(op.node) ? inNamespace(op.node, op.argv) : op.argv;
  const out: string[] = [`# ${recipe.name}: ${recipe.summary}`];
  for (const l of wrap(recipe.description, 96)) out.push(`# ${l}`);
  out.push('# Run as root on the host itself.', '');
  for (const v of steps.variables) out.push(`${v.name}=${v.derive}`);
  if (steps.variables.length) out.push('');
  for (const node of steps.topology?.nodes ?? []) {
    out.push(`# ${node}: a network namespace of its own`, shellCommand(['ip', 'netns', 'add', node]));
    out.push(shellCommand(['ip', '-n', node, 'link', 'set', 'dev', 'lo', 'up']));
  }
  for (const move of steps.topology?.moves ?? []) {
    out.push(`# ${move.why}`, shellCommand(['ip', 'link', 'set', 'dev', move.device.dev, 'netns', move.to]));
  }
  for (const op of steps.ops) {
    const why = [op.why, op.requires && `needs ${op.requires}`].filter(Boolean).join('; ');
    if (why) out.push(`# ${why}`);
    const command = shellCommand(argvOf(op), vars);
    out.push(op.capture ? `${op.capture}=$(${command})` : command);
  }
  for (const s of steps.senders ?? []) {
    out.push('', `# ${s.why}; for example:`);
    if (s.example) out.push(`#   echo hello | ${shellCommand(s.example, vars)}`);
  }
  const undo = [
    ...[...steps.ops].reverse().flatMap((op) => (op.undo ? [shellCommand(argvOf({ ...op, argv: op.undo }), vars)] : [])),
    ...(steps.topology?.moves ?? []).map((m) => shellCommand(['ip', '-n', m.to, 'link', 'set', 'dev', m.device.dev, 'netns', '1'])),
    ...(steps.topology?.nodes ?? []).map((node) => shellCommand(['ip', 'netns', 'del', node])),
  ];
  if (undo.length) {
    out.push('', '# To take it back (sysctls keep their new values; restore them by hand):');
    for (const line of undo) out.push(`#   ${line}`);
  }
  return `${out.join('\n')}\n`;
};
