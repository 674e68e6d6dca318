// Mermaid's own parser, the one GitHub renders ```mermaid blocks with. Mermaid needs a DOM
// (DOMPurify) even to parse; jsdom provides one, no browser involved.
import { JSDOM } from 'jsdom';

type Mermaid = { parse(text: string): Promise<{ diagramType: string }> };
let loaded: Promise<Mermaid> | undefined;

const load = async (): Promise<Mermaid> => {
  const g = globalThis as Record<string, unknown>;
  if (g['window'] === undefined) {
    const { window } = new JSDOM('');
    g['window'] = window;
    g['document'] = window.document;
  }
  const mod = (await import('mermaid')) as unknown as { default: Mermaid };
  return mod.default;
};

/** The diagram type, or throws Mermaid's parse error. */
export const parseMermaid = async (text: string): Promise<string> => {
  loaded ??= load();
  return (await (await loaded).parse(text)).diagramType;
};
