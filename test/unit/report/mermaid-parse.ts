// A grammar check of the Mermaid flowchart subset lab writes (src/report/mermaid.ts): header,
// subgraphs, boxed and circled nodes, cables and hops with labels, linkStyle, classDef, class.
// It replaced Mermaid's own parser (mermaid + jsdom, ~157 MB of npm packages for three tests):
// the golden files in golden/ were accepted by Mermaid 11.17's parser when they were made, and
// this check is stricter than Mermaid where lab's output allows (every id defined before use,
// every linkStyle index an existing edge, every class defined), so a broken diagram still fails.

/** A quoted label: Mermaid ends it at the first `"` (lab writes `#quot;` inside). */
const LABEL = String.raw`"[^"\n]*"`;
const ID = String.raw`[A-Za-z][\w-]*`;
const STYLE = String.raw`[\w-]+:[^,;\s][^,;]*(?:,[\w-]+:[^,;\s][^,;]*)*`;

const HEADER = /^flowchart (LR|RL|TB|TD|BT)$/;
const SUBGRAPH = new RegExp(`^subgraph (${ID})\\[${LABEL}\\]$`);
const BOX = new RegExp(`^(${ID})(?:\\[${LABEL}\\]|\\(\\(${LABEL}\\)\\))$`);
const EDGE = new RegExp(`^(${ID}) (---|-\\.-|-->|==>|-\\.->)(?:\\|${LABEL}\\|)? (${ID})$`);
const LINK_STYLE = new RegExp(`^linkStyle (\\d+(?:,\\d+)*) (${STYLE})$`);
const CLASS_DEF = new RegExp(`^classDef (${ID}) (${STYLE})$`);
const CLASS = new RegExp(`^class (${ID}(?:,${ID})*) (${ID})$`);

export class MermaidSyntaxError extends Error {}

/** Checks a diagram; answers the diagram type as Mermaid names it, or throws at the first bad line. */
export const checkMermaid = (text: string): string => {
  const lines = text.split('\n').map((l) => l.trim());
  const fail = (i: number, why: string): never => {
    throw new MermaidSyntaxError(`line ${i + 1}: ${why}: ${JSON.stringify(lines[i])}`);
  };
  const first = lines.findIndex((l) => l !== '');
  if (first < 0 || !HEADER.test(lines[first]!)) fail(Math.max(first, 0), 'expected `flowchart DIR`');
  const ids = new Set<string>();
  const classes = new Set<string>();
  const classUses: [number, string][] = [];
  const linkStyles: [number, number][] = [];
  let edges = 0;
  let depth = 0;
  lines.forEach((l, i) => {
    if (i <= first || l === '') return;
    let m: RegExpExecArray | null;
    if ((m = SUBGRAPH.exec(l))) {
      ids.add(m[1]!);
      depth++;
    } else if (l === 'end') {
      if (--depth < 0) fail(i, '`end` without a subgraph');
    } else if ((m = BOX.exec(l))) {
      ids.add(m[1]!);
    } else if ((m = EDGE.exec(l))) {
      for (const id of [m[1]!, m[3]!]) if (!ids.has(id)) fail(i, `edge to ${id}, which is not defined`);
      edges++;
    } else if ((m = LINK_STYLE.exec(l))) {
      for (const n of m[1]!.split(',')) linkStyles.push([i, Number(n)]);
    } else if ((m = CLASS_DEF.exec(l))) {
      classes.add(m[1]!);
    } else if ((m = CLASS.exec(l))) {
      for (const id of m[1]!.split(',')) if (!ids.has(id)) fail(i, `class on ${id}, which is not defined`);
      classUses.push([i, m[2]!]);
    } else {
      fail(i, 'not a statement of the flowchart subset');
    }
  });
  if (depth !== 0) fail(lines.length - 1, 'a subgraph is not closed');
  for (const [i, n] of linkStyles) if (n >= edges) fail(i, `linkStyle ${n}, but there are ${edges} edges`);
  for (const [i, c] of classUses) if (!classes.has(c)) fail(i, `class ${c} has no classDef`);
  return 'flowchart-v2';
};

/** The same check with the promise-returning signature the tests used with Mermaid's parser. */
export const parseMermaid = async (text: string): Promise<string> => checkMermaid(text);
