// The counting function: one file's text in, its counts out. The worker and the
// sequential baseline in main.ts both call it, so both do exactly the same work.
import ts from 'typescript'

/** What one file holds. */
export interface FileCounts {
  /** Function declarations and expressions, arrow functions, methods, constructors and accessors. */
  functions: number
  /** Class declarations and class expressions. */
  classes: number
  /** `import` declarations, `import x = require()`, `require('…')` calls and `import('…')` calls. */
  imports: number
  /** Lines of text, as `wc -l` counts them plus a last line with no line break (an empty file has 0). */
  lines: number
}

/** Counts of one file plus how long the parse took, as the worker returns them. */
export interface ParsedFile extends FileCounts {
  /** Milliseconds spent in `ts.createSourceFile` and the walk over its tree. */
  ms: number
}

/** The script kind the compiler should parse a file name as. */
export function scriptKindOf(name: string): ts.ScriptKind {
  return name.endsWith('.ts') ? ts.ScriptKind.TS : ts.ScriptKind.JS
}

/**
 * Parses `text` with `ts.createSourceFile` and counts its functions, classes,
 * imports and lines.
 * @param name - the file name: `.ts` parses as TypeScript, anything else as JavaScript
 */
export function countFile(name: string, text: string): FileCounts {
  // setParentNodes false: the walk below never reads `parent`, and setting it
  // costs a second pass over the tree.
  const sourceFile = ts.createSourceFile(name, text, ts.ScriptTarget.Latest, false, scriptKindOf(name))
  const starts = sourceFile.getLineStarts().length
  const lines = text.length === 0 ? 0 : text.endsWith('\n') ? starts - 1 : starts
  const counts: FileCounts = { functions: 0, classes: 0, imports: 0, lines }
  const visit = (node: ts.Node): void => {
    switch (node.kind) {
      case ts.SyntaxKind.FunctionDeclaration:
      case ts.SyntaxKind.FunctionExpression:
      case ts.SyntaxKind.ArrowFunction:
      case ts.SyntaxKind.MethodDeclaration:
      case ts.SyntaxKind.Constructor:
      case ts.SyntaxKind.GetAccessor:
      case ts.SyntaxKind.SetAccessor:
        counts.functions++
        break
      case ts.SyntaxKind.ClassDeclaration:
      case ts.SyntaxKind.ClassExpression:
        counts.classes++
        break
      case ts.SyntaxKind.ImportDeclaration:
      case ts.SyntaxKind.ImportEqualsDeclaration:
        counts.imports++
        break
      case ts.SyntaxKind.CallExpression: {
        const call = node as ts.CallExpression
        const [first] = call.arguments
        const literal = first !== undefined && ts.isStringLiteralLike(first)
        if (call.expression.kind === ts.SyntaxKind.ImportKeyword) counts.imports++
        else if (literal && ts.isIdentifier(call.expression) && call.expression.text === 'require') counts.imports++
        break
      }
    }
    ts.forEachChild(node, visit)
  }
  visit(sourceFile)
  return counts
}

/** Parses and times one file; what a worker task returns. */
export function parseFile(name: string, text: string): ParsedFile {
  const start = performance.now()
  const counts = countFile(name, text)
  return { ...counts, ms: performance.now() - start }
}
