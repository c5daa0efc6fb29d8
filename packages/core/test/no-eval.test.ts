// Worker code is only ever loaded from a file or URL the user names: nothing
// in what the packages ship evaluates a string of source. This reads every .js
// file of every package's dist (building it into a temporary folder when a
// package has no dist yet) and walks its syntax tree, so words in comments and
// strings are no false positives.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { afterAll, describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../../../', import.meta.url))
const packagesDir = join(root, 'packages')

/** What a call or `new` is called on: `eval`, `vm.runInThisContext`, `globalThis.eval`, `(0, eval)`. */
function calleeOf(expression: ts.Expression): { object: string | undefined; name: string } | undefined {
  let e = expression
  for (;;) {
    if (ts.isParenthesizedExpression(e)) e = e.expression
    else if (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.CommaToken) e = e.right
    else break
  }
  if (ts.isIdentifier(e)) return { object: undefined, name: e.text }
  if (ts.isPropertyAccessExpression(e)) return { object: e.expression.getText(), name: e.name.text }
  if (ts.isElementAccessExpression(e) && ts.isStringLiteralLike(e.argumentExpression)) return { object: e.expression.getText(), name: e.argumentExpression.text }
  return undefined
}

const isConstantString = (node: ts.Node): boolean => ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)
/** A string known in full where it is written: a literal, or encodeURIComponent of one. */
function isConstantText(node: ts.Expression): boolean {
  if (isConstantString(node)) return true
  if (ts.isParenthesizedExpression(node)) return isConstantText(node.expression)
  if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken) return isConstantText(node.left) && isConstantText(node.right)
  return ts.isCallExpression(node) && calleeOf(node.expression)?.name === 'encodeURIComponent' && node.arguments.length === 1 && isConstantText(node.arguments[0]!)
}

const GLOBALS = new Set(['globalThis', 'window', 'self', 'global'])
const VM_RUNNERS = new Set(['runInThisContext', 'runInNewContext', 'runInContext', 'compileFunction'])
const EVAL_FLAGS = new Set(['-e', '--eval', '-p', '--print'])
const SCRIPT_DATA_URL = /^data:(text|application)\/(java|ecma)script/i

/** Every way the code could evaluate a string of source, as `file:line: what`. */
function findEvaluation(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS)
  const found: string[] = []
  const report = (node: ts.Node, what: string): void => {
    const { line } = source.getLineAndCharacterOfPosition(node.getStart(source))
    found.push(`${file}:${line + 1}: ${what}`)
  }
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) || ts.isNewExpression(node)) {
      const callee = calleeOf(node.expression)
      const args = node.arguments ?? ts.factory.createNodeArray()
      const isNew = ts.isNewExpression(node)
      if (callee !== undefined) {
        const { object, name } = callee
        if (name === 'eval' && (object === undefined || GLOBALS.has(object))) report(node, 'eval()')
        else if (name === 'eval') report(node, `${object}.eval()`)
        if (name === 'Function' && (object === undefined || GLOBALS.has(object))) report(node, `${isNew ? 'new ' : ''}Function()`)
        // (async function () {}).constructor is the AsyncFunction constructor.
        if (name === 'constructor' && object !== undefined) report(node, `${object}.constructor(): a Function constructor`)
        if (VM_RUNNERS.has(name)) report(node, `${object ?? ''}.${name}()`)
        if (isNew && name === 'Script') report(node, 'new vm.Script()')
        if (name === 'importScripts' && !(args.length > 0 && args.every((a) => isConstantString(a)))) report(node, 'importScripts() of a computed URL')
        if ((name === 'setTimeout' || name === 'setInterval') && args[0] !== undefined && (isConstantString(args[0]) || ts.isTemplateExpression(args[0]))) {
          report(node, `${name}() of a string`)
        }
        if (name === 'createObjectURL') report(node, 'URL.createObjectURL(): code made into a URL')
        if (isNew && (name === 'Worker' || name === 'SharedWorker')) {
          const [target, options] = args
          if (target !== undefined && (isConstantString(target) || ts.isTemplateExpression(target))) report(node, `new ${name}() of inline text`)
          if (options !== undefined && ts.isObjectLiteralExpression(options)) {
            for (const p of options.properties) {
              if (p.name !== undefined && ts.isIdentifier(p.name) && p.name.text === 'eval' && !(ts.isPropertyAssignment(p) && p.initializer.kind === ts.SyntaxKind.FalseKeyword)) {
                report(node, `new ${name}(..., { eval })`)
              }
            }
          }
        }
        if (name === 'require' && args[0] !== undefined && isConstantString(args[0]) && /^(node:)?vm$/.test((args[0] as ts.StringLiteral).text)) report(node, "require('vm')")
      }
      if (node.expression.kind === ts.SyntaxKind.ImportKeyword && args[0] !== undefined && isConstantString(args[0]) && /^(node:)?vm$/.test((args[0] as ts.StringLiteral).text))
        report(node, "import('vm')")
    }
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier !== undefined &&
      ts.isStringLiteral(node.moduleSpecifier) &&
      /^(node:)?vm$/.test(node.moduleSpecifier.text)
    ) {
      report(node, "import from 'vm'")
    }
    if (isConstantString(node) || ts.isTemplateHead(node)) {
      const value = (node as ts.StringLiteral).text
      if (EVAL_FLAGS.has(value)) report(node, `the Node flag ${value}`)
      if (SCRIPT_DATA_URL.test(value)) {
        // A data: URL of script is code in a string: allowed only when all of it is written here, never built from a value.
        let whole: ts.Node = ts.isTemplateHead(node) ? node.parent : node
        while (ts.isBinaryExpression(whole.parent) && whole.parent.operatorToken.kind === ts.SyntaxKind.PlusToken) whole = whole.parent
        if (!isConstantText(whole as ts.Expression)) report(node, 'a data: URL of script built from a value')
      }
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return found
}

function filesUnder(dir: string, ext: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? filesUnder(path, ext) : path.endsWith(ext) ? [path] : []
  })
}

const temporary: string[] = []
afterAll(() => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true })
})

/** Each package with sources and the .js files it ships: its dist, or a fresh build when it has none. */
function shippedCode(): { name: string; files: string[] }[] {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
  return readdirSync(packagesDir)
    .filter((name) => existsSync(join(packagesDir, name, 'package.json')) && filesUnder(join(packagesDir, name, 'src'), '.ts').length > 0)
    .map((name) => {
      const dist = join(packagesDir, name, 'dist')
      if (filesUnder(dist, '.js').length > 0) return { name, files: filesUnder(dist, '.js') }
      const out = mkdtempSync(join(tmpdir(), `poolkit-${name}-dist-`))
      temporary.push(out)
      try {
        execFileSync(process.execPath, [tsc, '-p', join(packagesDir, name, 'tsconfig.build.json'), '--outDir', out, '--declaration', 'false', '--declarationMap', 'false', '--sourceMap', 'false'], {
          cwd: root,
          encoding: 'utf8',
          stdio: 'pipe',
        })
      } catch (error) {
        const output = (error as { stdout?: string }).stdout ?? String(error)
        throw new Error(`packages/${name} has no dist and could not be built to check it (run its build): ${output.slice(0, 2000)}`)
      }
      return { name, files: filesUnder(out, '.js') }
    })
}

describe('no string of source is evaluated in what the packages ship', () => {
  it('finds each way of evaluating a string in code, and none in comments or strings (the check itself)', () => {
    const code = [
      '// eval(x), new Function("a"), vm.runInThisContext(s) in a comment',
      '/* importScripts(url) */ const words = "eval( new Function( vm.runInNewContext(" + `setTimeout("x")`',
      'const medieval = (x) => x; medieval(1); obj.evaluate(1); new FunctionRegistry()',
      'eval(source)',
      '(0, eval)(source)',
      'globalThis.eval(source)',
      "window['eval'](source)",
      'new Function("a", body)',
      'Function(body)()',
      'Object.getPrototypeOf(async function () {}).constructor("return 1")',
      'vm.runInThisContext(source)',
      'new vm.Script(source)',
      "import vm from 'node:vm'",
      'importScripts(base + "/lib.js")',
      'importScripts("/lib.js")',
      'setTimeout("tick()", 10)',
      'setTimeout(tick, 10)',
      'new Worker(code, { eval: true })',
      'new Worker("process.exit(1)")',
      'new Worker(options.url, { type: "module", name })',
      'fork(file, [], { execArgv: ["--eval", code] })',
      "const a = 'data:text/javascript,' + encodeURIComponent(userCode)",
      "const b = 'data:text/javascript,' + encodeURIComponent(`console.log(1)`)",
      'URL.createObjectURL(new Blob([source]))',
    ].join(';\n')
    expect(findEvaluation('sample.js', code).map((f) => f.replace(/^sample\.js:/, ''))).toEqual([
      '4: eval()',
      '5: eval()',
      '6: eval()',
      '7: eval()',
      '8: new Function()',
      '9: Function()',
      '10: Object.getPrototypeOf(async function () {}).constructor(): a Function constructor',
      '11: vm.runInThisContext()',
      '12: new vm.Script()',
      "13: import from 'vm'",
      '14: importScripts() of a computed URL',
      '16: setTimeout() of a string',
      '18: new Worker(..., { eval })',
      '19: new Worker() of inline text',
      '21: the Node flag --eval',
      '22: a data: URL of script built from a value',
      '24: URL.createObjectURL(): code made into a URL',
    ])
  })

  it('finds no eval, Function constructor, vm runner, computed importScripts or string timer in any package dist', () => {
    const packages = shippedCode()
    expect(packages.map((p) => p.name)).toEqual(expect.arrayContaining(['core', 'queue', 'breaker', 'scaler', 'metrics', 'node-adapter', 'web-adapter', 'routing']))
    const found: string[] = []
    let files = 0
    for (const { name, files: list } of packages) {
      for (const file of list) {
        files++
        found.push(...findEvaluation(`${name}/${relative(join(packagesDir, name), file)}`, readFileSync(file, 'utf8')))
      }
    }
    expect(files).toBeGreaterThan(50)
    expect(found).toEqual([])
  }, 120_000)

  it("starts workers only from the URL or path the user gave: new Worker(url, ...) without eval, fork(fileURLToPath(options.url), ...); a web worker factory is the user's own code", () => {
    const sites: string[] = []
    for (const name of ['node-adapter', 'web-adapter']) {
      for (const file of filesUnder(join(packagesDir, name, 'dist'), '.js')) {
        const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true, ts.ScriptKind.JS)
        const visit = (node: ts.Node): void => {
          const callee = ts.isNewExpression(node) || ts.isCallExpression(node) ? calleeOf(node.expression) : undefined
          if (callee?.name === 'Worker' || callee?.name === 'fork') {
            const args = (node as ts.CallExpression).arguments
            sites.push(`${name} ${ts.isNewExpression(node) ? 'new ' : ''}${callee.name}(${args[0]!.getText(source)})`)
            const options = args[callee.name === 'fork' ? 2 : 1]
            if (options !== undefined && ts.isObjectLiteralExpression(options)) {
              expect(options.properties.map((p) => p.name?.getText(source))).not.toContain('eval')
            }
          }
          ts.forEachChild(node, visit)
        }
        visit(source)
      }
    }
    expect(sites.sort()).toEqual(['node-adapter fork(fileURLToPath(options.url))', 'node-adapter new Worker(options.url)', 'web-adapter new Worker(url)'])
  })
})
