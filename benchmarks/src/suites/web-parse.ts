// Suite web-parse: the examples/web-parse page in headless Chromium (Debian's /usr/bin/chromium), parsing a
// real codebase from node_modules with web-tree-sitter on a pool of Web Workers, against the same parse on one
// worker, on the page's main thread, and on independent workers that share nothing (the machine's limit).
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { createRequire } from 'node:module'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { countFolder, isParsed, listFolder, type LanguageId, type Totals } from '@poolkit/example-web-parse/count'
import { serve } from '@poolkit/example-web-parse/serve'
// Types only (erased): the module itself is loaded with createRequire below.
import type * as Playwright from '../../../packages/web-adapter/node_modules/playwright-core/index.js'
import { quick, settings } from '../config.js'
import { fmtRatio, median, printTable, relativeMad } from '../stats.js'
import { ordered, reportOthers, untilIdle, watchOthers } from '../thread-harness.js'

const CHROMIUM = process.env.BENCH_CHROMIUM ?? '/usr/bin/chromium'
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']
const repo = fileURLToPath(new URL('../../../', import.meta.url))
const LANGUAGES: readonly LanguageId[] = ['javascript', 'typescript', 'tsx', 'json', 'css']

/** What the page's runJob returns (examples/web-parse/job.js). */
interface JobResult {
  ran: string
  workers: number
  ms: number
  firstMs: number
  files: number
  bytes: number
  totals: Totals
}

interface Line {
  readonly name: string
  readonly mode: 'pool' | 'one-worker' | 'main' | 'independent'
  readonly workers: number
  readonly prefetchMs?: number
}

/** What the suite measured: median wall time (ms) by line, and the job. */
export interface WebParseResult {
  readonly folder: string
  readonly files: number
  readonly bytes: number
  readonly workers: number
  readonly ms: Map<string, number>
}

/**
 * The folder parsed: BENCH_WEB_PARSE_DIR; else, in quick mode, the sources of the
 * repository's installed ESLint (`lib/linter`); else a sample of the repository's
 * node_modules (every k-th file the page parses, in name order, about `sampleMb`
 * MB, the same files each run) copied into a temporary folder with their paths,
 * as the parse-codebase demo's benchmark samples it. `remove()` deletes the copy.
 */
function codebase(): { folder: string; remove: () => void } {
  const override = process.env.BENCH_WEB_PARSE_DIR
  if (override !== undefined && override !== '') return { folder: override, remove: () => {} }
  if (settings.webParse.sampleMb === undefined) {
    const eslint = dirname(createRequire(join(repo, 'package.json')).resolve('eslint/package.json'))
    return { folder: join(eslint, 'lib/linter'), remove: () => {} }
  }
  const store = join(repo, 'node_modules/.pnpm')
  const parsed = listFolder(store).filter((f) => isParsed(f.name, f.size))
  const total = parsed.reduce((sum, f) => sum + f.size, 0)
  const step = Math.max(1, Math.ceil(total / (settings.webParse.sampleMb * 1e6)))
  const copy = mkdtempSync(join(tmpdir(), 'web-parse-'))
  const folder = join(copy, 'node_modules-sample')
  for (const file of parsed.filter((_, i) => i % step === 0)) {
    const target = join(folder, relative(store, file.path))
    mkdirSync(dirname(target), { recursive: true })
    copyFileSync(file.path, target)
  }
  return { folder, remove: () => rmSync(copy, { recursive: true, force: true }) }
}

const languagesOf = (totals: Totals): string => JSON.stringify(LANGUAGES.map((language) => totals[language]))

/**
 * Suite `web-parse`: one page, the folder chosen in its `<input webkitdirectory>`
 * and read into memory once (`webParse.preload()`); then each round runs every
 * line on copies of those bytes (`webParse.measure()`), the order reversed every
 * other round. A line's time runs from the start of the job (workers created,
 * grammars loading) to its last file's counts, as a user's parse has it. Every
 * line's counts are checked against the same parse in Node (count.mjs).
 */
export async function webParse(): Promise<WebParseResult> {
  const { rounds } = settings.webParse
  for (const build of ['packages/core/dist/index.js', 'packages/web-adapter/dist/index.js']) {
    if (!existsSync(join(repo, build))) throw new Error(`${build} is missing; run pnpm turbo run build --filter @poolkit/core --filter @poolkit/web-adapter`)
  }
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM} (apt-get install chromium, or set BENCH_CHROMIUM)`)
  const { folder, remove } = codebase()
  const nodeStarted = performance.now()
  const expected = await countFolder(folder)
  const nodeMs = performance.now() - nodeStarted

  // benchmarks does not depend on playwright-core: it is the web adapter's devDependency (as in browser.ts).
  const { chromium } = createRequire(join(repo, 'packages/web-adapter/package.json'))('playwright-core') as typeof Playwright
  const server = await serve({ port: 0 })
  const instance = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
  try {
    const page = await instance.newPage()
    page.on('pageerror', (error) => console.error(`\n[page] ${error.message}`))
    page.on('console', (message) => {
      if (message.type() === 'error') console.error(`\n[page] ${message.text()}`)
    })
    // `?manual`: choosing the folder does not start a parse; the suite drives the page.
    await page.goto(`${server.url}?manual`)
    await page.waitForSelector('body[data-ready="true"]', { timeout: 10_000 })
    await page.setInputFiles('#folder', folder)
    const job = await page.evaluate(() => (window as unknown as { webParse: { preload(): Promise<{ files: number; bytes: number; hardwareConcurrency: number }> } }).webParse.preload())
    const workers = settings.webParse.workers ?? job.hardwareConcurrency
    const lines: Line[] = [
      { name: `pool of ${workers} workers`, mode: 'pool', workers },
      // As the parse-codebase demo configures its pool: 50 ms of work waiting in each worker, not 3, for a main thread slow to answer.
      { name: `pool of ${workers}, prefetchMs 50`, mode: 'pool', workers, prefetchMs: 50 },
      { name: 'one worker (pool of 1)', mode: 'one-worker', workers: 1 },
      { name: 'main thread', mode: 'main', workers: 1 },
      { name: `${workers} independent workers (limit)`, mode: 'independent', workers },
    ]
    const where = process.env.BENCH_WEB_PARSE_DIR ? folder : settings.webParse.sampleMb === undefined ? relative(repo, folder) : `a sample of ${join(repo, 'node_modules')} (every k-th file)`
    console.log(
      `\n## web-parse: ${job.files.toLocaleString('en-US')} files, ${(job.bytes / 1e6).toFixed(1)} MB of ${where} parsed with web-tree-sitter in headless Chromium ${instance.version()} (hardwareConcurrency ${job.hardwareConcurrency})`,
    )
    console.log(
      `Each line: from the job's start (workers created, grammars compiled) to its last file's counts ("first counts": to its first file's, the start-up); the files read into memory first; ${rounds} round${rounds === 1 ? '' : 's'}, alternating order.`,
    )
    console.log(`The limit: the files split in ${workers} shares of equal bytes (largest first), each parsed by a plain Worker of its own; no pool, nothing shared.`)

    const samples = new Map<string, number[]>(lines.map((l) => [l.name, []]))
    const firstSamples = new Map<string, number[]>(lines.map((l) => [l.name, []]))
    const others = watchOthers()
    for (let round = 0; round < rounds; round++) {
      for (const line of ordered(lines, round)) {
        // BENCH_WAIT_IDLE=1: each line waits for the rest of the machine to go quiet (Chromium is idle between lines).
        await untilIdle()
        const result = await page.evaluate(
          ([mode, n, prefetchMs]) =>
            (window as unknown as { webParse: { measure(mode: string, workers: number, prefetchMs: number | undefined): Promise<JobResult> } }).webParse.measure(mode, n, prefetchMs),
          [line.mode, line.workers, line.prefetchMs] as const,
        )
        if (result.ran !== line.mode) throw new Error(`${line.name} ran on ${result.ran}`)
        if (languagesOf(result.totals) !== languagesOf(expected)) throw new Error(`${line.name} counted ${languagesOf(result.totals)}; Node counted ${languagesOf(expected)}`)
        samples.get(line.name)!.push(result.ms)
        firstSamples.get(line.name)!.push(result.firstMs)
      }
    }
    const ms = new Map([...samples].map(([name, s]) => [name, median(s)]))
    const main = ms.get('main thread')!
    const pool = ms.get(lines[0]!.name)!
    printTable(
      ['line', 'median', 'MAD', 'first counts', 'MB/s', 'speedup over main thread', 'time / pool'],
      [...samples].map(([name, s]) => [
        name,
        `${(median(s) / 1000).toFixed(2)} s`,
        `${(relativeMad(s) * 100).toFixed(1)}%`,
        `${(median(firstSamples.get(name)!) / 1000).toFixed(2)} s`,
        (job.bytes / 1e6 / (median(s) / 1000)).toFixed(1),
        fmtRatio(main / median(s)),
        fmtRatio(median(s) / pool),
      ]),
    )
    console.log(`(Node, one thread, the reference parse the counts are checked against: ${(nodeMs / 1000).toFixed(2)} s, grammars loaded and files read from disk included)`)
    reportOthers(others)
    const limit = ms.get(lines[4]!.name)!
    const one = ms.get(lines[2]!.name)!
    const pool50 = ms.get(lines[1]!.name)!
    console.log(
      `web-parse   pool of ${workers} / one worker ${fmtRatio(one / pool)}, / main thread ${fmtRatio(main / pool)}; the limit (${workers} independent / main thread) ${fmtRatio(main / limit)}; pool / limit ${fmtRatio(limit / pool)} (prefetchMs 50: ${fmtRatio(limit / pool50)})${quick ? '   (quick mode: not for reporting)' : ''}`,
    )
    const counts = LANGUAGES.filter((language) => expected[language].files > 0).map(
      (language) => `${language} ${expected[language].files} files, ${expected[language].nodes.toLocaleString('en-US')} nodes, ${expected[language].errorFiles} with errors`,
    )
    console.log(`web-parse   counts equal to Node's on every line and round: ${counts.join('; ')}`)
    await page.close()
    return { folder, files: job.files, bytes: job.bytes, workers, ms }
  } finally {
    await instance.close()
    await server.close()
    remove()
  }
}
