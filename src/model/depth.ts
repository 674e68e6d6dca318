// Hostile input: a document that nests collections thousands of levels deep exhausts the stack
// of the recursive YAML composer (and once the stack is nearly gone, V8 may even abort the
// process). So the depth is measured first, without recursion: the lexer (linear) catches deep
// flow collections and compact sequences (`- - - x`), which cost the CST parser time
// proportional to their depth; the CST parser (a stack machine) then measures exactly.
import { Lexer, LineCounter, Parser, type CST } from 'yaml';
import type { ScenarioProblem } from '../errors.js';

/** Far deeper than any scenario needs (about eight levels), far shallower than the stack allows. */
const MAX_NESTING = 64;

type Item = { key?: CST.Token | null; value?: CST.Token | null };

/** Zero-width markers the lexer inserts: document start, flow end, scalar start. */
const MARKERS = new Set(['\x02', '\x18', '\x1f']);

/** Where flow nesting plus compact `-`/`?` indicators on one line first exceed `max`. */
const lexicallyTooDeepAt = (text: string, max: number): number | undefined => {
  let offset = 0;
  let flow = 0;
  let compact = 0;
  let lineStart = true;
  for (const lexeme of new Lexer().lex(text)) {
    if (MARKERS.has(lexeme)) continue;
    if (lexeme === '[' || lexeme === '{') flow++;
    else if (lexeme === ']' || lexeme === '}') flow = Math.max(0, flow - 1);
    else if (lexeme === '\n') {
      compact = 0;
      lineStart = true;
    } else if (lineStart && (lexeme === '-' || lexeme === '?')) compact++;
    else if (lexeme.trim() !== '') lineStart = false;
    if (flow + compact > max) return offset;
    offset += lexeme.length;
  }
  return undefined;
};

/** The offset of the first collection nested deeper than `max`, or undefined. */
const tooDeepAt = (text: string, max: number = MAX_NESTING): number | undefined => {
  const early = lexicallyTooDeepAt(text, max);
  if (early !== undefined) return early;
  const pending: { token: CST.Token; depth: number }[] = [];
  for (const token of new Parser().parse(text)) pending.push({ token, depth: 0 });
  while (pending.length > 0) {
    const { token, depth } = pending.pop()!;
    let items: Item[] = [];
    let inner = depth;
    switch (token.type) {
      case 'document':
        items = [{ value: token.value ?? null }];
        break;
      case 'block-map':
      case 'block-seq':
      case 'flow-collection':
        inner = depth + 1;
        if (inner > max) return token.offset;
        items = token.items;
        break;
      default:
        continue;
    }
    for (const item of items) {
      if (item.key) pending.push({ token: item.key, depth: inner });
      if (item.value) pending.push({ token: item.value, depth: inner });
    }
  }
  return undefined;
};

export const nestingProblem = (text: string, file: string, max: number = MAX_NESTING): ScenarioProblem | undefined => {
  const at = tooDeepAt(text, max);
  if (at === undefined) return undefined;
  const lines = new LineCounter();
  lines.addNewLine(0);
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lines.addNewLine(i + 1);
  return {
    file,
    ...lines.linePos(at),
    path: '',
    message: `lists and mappings nest more than ${max} levels deep here; a scenario needs fewer than ten`,
  };
};
