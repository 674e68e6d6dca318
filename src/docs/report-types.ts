// The declarations a type is made of, collected through the TypeScript compiler: the named type
// and every interface or type alias of lab's own (under src/) that its declaration refers to,
// transitively, each printed as written with its comments. The JSON report's reference uses it,
// so a field added to a result type appears there without a hand-kept copy.
import { dirname } from 'node:path';
import ts from 'typescript';

export const typeDeclarations = (entryFile: string, typeName: string): string => {
  const program = ts.createProgram([entryFile], { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, noEmit: true });
  const checker = program.getTypeChecker();
  const srcRoot = `${dirname(dirname(entryFile))}/`;
  const own = (d: ts.Declaration): boolean => d.getSourceFile().fileName.startsWith(srcRoot);
  const printed = new Set<ts.Node>();
  const out: string[] = [];
  const isTypeDecl = (d: ts.Node): d is ts.InterfaceDeclaration | ts.TypeAliasDeclaration =>
    ts.isInterfaceDeclaration(d) || ts.isTypeAliasDeclaration(d);
  const visitDecl = (d: ts.InterfaceDeclaration | ts.TypeAliasDeclaration): void => {
    if (printed.has(d) || !own(d)) return;
    printed.add(d);
    const file = d.getSourceFile();
    const rel = file.fileName.slice(srcRoot.length);
    out.push(`// src/${rel}\n${d.getFullText(file).replace(/^\s*\n/gm, '').replace(/^\s+(?=\/\*\*|\/\/|export|interface|type)/, '').trimEnd()}\n`);
    const walk = (n: ts.Node): void => {
      if (ts.isTypeReferenceNode(n) || ts.isExpressionWithTypeArguments(n)) {
        const at = ts.isTypeReferenceNode(n) ? n.typeName : n.expression;
        let sym = checker.getSymbolAtLocation(at);
        if (sym && sym.flags & ts.SymbolFlags.Alias) sym = checker.getAliasedSymbol(sym);
        for (const decl of sym?.declarations ?? []) if (isTypeDecl(decl)) visitDecl(decl);
      }
      ts.forEachChild(n, walk);
    };
    ts.forEachChild(d, walk);
  };
  const entry = program.getSourceFile(entryFile);
  if (!entry) throw new Error(`cannot read ${entryFile}`);
  const find = (n: ts.Node): void => {
    if (ts.isIdentifier(n) && n.text === typeName) {
      let sym = checker.getSymbolAtLocation(n);
      if (sym && sym.flags & ts.SymbolFlags.Alias) sym = checker.getAliasedSymbol(sym);
      for (const decl of sym?.declarations ?? []) if (isTypeDecl(decl)) visitDecl(decl);
    }
    ts.forEachChild(n, find);
  };
  find(entry);
  return out.join('\n');
};
