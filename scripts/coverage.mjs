// Statement, branch, function and line coverage of each package by its own unit tests:
// `pnpm test:coverage` (or `pnpm test:coverage core queue` for some of them).
//
// One vitest run per package, of that package's project only, measuring that package's
// src/ only: a package is not credited with what other packages' tests execute of it
// (they all run core, on sources). vitest's v8 provider sees the test process, not the
// worker threads, child processes or browser pages that a test starts, so code that runs
// only there (a worker's side of the protocol, the web adapter in Chromium) counts as not
// covered. Reports land in coverage/<package>/ (gitignored).
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs')
const all = readdirSync(join(root, 'packages')).filter((name) => existsSync(join(root, 'packages', name, 'vitest.config.ts')))
const wanted = process.argv.slice(2)
const unknown = wanted.filter((name) => !all.includes(name))
if (unknown.length > 0) {
  console.error(`unknown package(s): ${unknown.join(', ')} (packages: ${all.join(', ')})`)
  process.exit(2)
}
const names = wanted.length > 0 ? wanted : all

const rows = []
let failed = false
for (const name of names) {
  const dir = join(root, 'coverage', name)
  rmSync(dir, { recursive: true, force: true })
  console.log(`\n## ${name}`)
  const args = [
    vitest,
    'run',
    '--project',
    name,
    '--coverage.enabled',
    `--coverage.include=packages/${name}/src/**`,
    '--coverage.reporter=text-summary',
    '--coverage.reporter=json-summary',
    `--coverage.reportsDirectory=${dir}`,
  ]
  const run = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' })
  if (run.status !== 0) failed = true
  const summary = join(dir, 'coverage-summary.json')
  if (!existsSync(summary)) {
    rows.push([name, 'no report', '', '', ''])
    continue
  }
  const { total } = JSON.parse(readFileSync(summary, 'utf8'))
  rows.push([name, ...['statements', 'branches', 'functions', 'lines'].map((k) => `${total[k].pct.toFixed(1)}%`)])
}

console.log('\n| package | statements | branches | functions | lines |\n| --- | --- | --- | --- | --- |')
for (const row of rows) console.log(`| ${row.join(' | ')} |`)
if (failed) {
  console.error('\nsome test runs failed: their figures are of a failing run')
  process.exit(1)
}
