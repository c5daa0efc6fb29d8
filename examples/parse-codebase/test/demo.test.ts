import { execFile, execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { countFile, type FileCounts } from '../src/parse.js'
import { packageKey } from '../src/walk.js'

const run = promisify(execFile)
const root = fileURLToPath(new URL('..', import.meta.url))
const fixtures = fileURLToPath(new URL('./fixtures', import.meta.url))
const cli = join(root, 'dist', 'main.js')
const fixtureFiles = ['esm.mjs', 'legacy.cjs', 'lib/shapes.ts', 'lib/types.d.ts', 'math.js']

/** Runs the built CLI; resolves to its exit code and output whether it failed or not. */
async function demo(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args], { cwd: root })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

let scratch: string

beforeAll(() => {
  // The test runs what `pnpm demo` runs: the built CLI, from these sources.
  execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: root })
  scratch = mkdtempSync(join(tmpdir(), 'parse-codebase-'))
})

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true })
})

describe('pnpm demo (parse-codebase)', () => {
  it('counts the fixture files on the pool exactly as a direct sequential parse does', async () => {
    const { code, stdout } = await demo(fixtures, '--json', '--per-file', '--workers', '2')
    expect(code).toBe(0)
    const summary = JSON.parse(stdout)

    const expected = fixtureFiles.map((path) => ({
      path,
      ...countFile(path, readFileSync(join(fixtures, path), 'utf8')),
    }))
    expect(summary.perFile).toEqual(expected)
    const sum = (field: keyof FileCounts): number => expected.reduce((n, f) => n + f[field], 0)
    expect(summary.totals).toEqual({ functions: sum('functions'), classes: sum('classes'), imports: sum('imports'), lines: sum('lines') })
    // The counts written at the top of each fixture, by hand.
    expect(summary.totals).toEqual({ functions: 17, classes: 5, imports: 9, lines: 68 })

    expect(summary.files).toBe(5) // notes.txt is not source
    expect(summary.packages).toBe(2) // '.' and 'lib'
    expect(summary.failed).toBe(0)
    expect(summary.workers).toBe(2)
    expect(summary.baseline).toMatchObject({ mode: 'all', files: 5, processBytes: [summary.bytes] })
    expect(summary.speedup).toBeGreaterThan(0)
  })

  it('runs a job too small for a pool on the main thread, and on the pool with --mode pool, counting the same', async () => {
    const auto = JSON.parse((await demo(fixtures, '--json', '--no-baseline')).stdout)
    expect(auto.runner).toMatchObject({ where: 'main', workers: 0, forced: false, reason: 'too little work for a pool to win' })
    expect(auto.queueWaitMs).toBeNull()
    const pool = JSON.parse((await demo(fixtures, '--json', '--no-baseline', '--mode', 'pool', '--workers', '2')).stdout)
    expect(pool.runner).toMatchObject({ where: 'pool', workers: 2, forced: true, startedInWalk: true })
    expect(pool.totals).toEqual(auto.totals)
    expect(pool.files).toBe(auto.files)
  })

  it('measures one thread and the two-process limit on the same files, the limit on two halves holding every byte', async () => {
    const { code, stdout } = await demo(fixtures, '--json')
    expect(code).toBe(0)
    const summary = JSON.parse(stdout)
    expect(summary.baseline).toMatchObject({ mode: 'all', files: 5, bytes: summary.bytes })
    expect(summary.limit).toMatchObject({ mode: 'all', files: 5, bytes: summary.bytes })
    const [a, b] = summary.limit.processBytes as number[]
    expect(a! + b!).toBe(summary.bytes)
    const sizes = fixtureFiles.map((path) => readFileSync(join(fixtures, path)).byteLength)
    expect(Math.abs(a! - b!)).toBeLessThanOrEqual(Math.max(...sizes))
    expect(summary.limitSpeedup).toBeCloseTo(summary.baseline.estimatedMs / summary.limit.estimatedMs, 1)
    expect(summary.ofLimit).toBeCloseTo(summary.limit.estimatedMs / summary.wallMs, 1)
  })

  it('counts the same with the main thread reading (--read main) and with the fair queue (--queue fair)', async () => {
    for (const flags of [
      ['--read', 'main'],
      ['--queue', 'fair'],
    ]) {
      const { code, stdout } = await demo(fixtures, '--json', '--no-baseline', '--mode', 'pool', ...flags)
      expect(code).toBe(0)
      const summary = JSON.parse(stdout)
      expect(summary.runner).toMatchObject({ where: 'pool', read: flags[0] === '--read' ? 'main' : 'worker', queue: flags[0] === '--queue' ? 'fair' : 'largest' })
      expect(summary.totals).toEqual({ functions: 17, classes: 5, imports: 9, lines: 68 })
    }
  })

  it('keeps --sample-mb: the references parse a sample and scale it by bytes', async () => {
    const { code, stdout } = await demo(fixtures, '--json', '--no-limit', '--sample-mb', '0.0005')
    expect(code).toBe(0)
    const summary = JSON.parse(stdout)
    expect(summary.baseline.mode).toBe('sample')
    expect(summary.baseline.files).toBeLessThan(5)
    expect(summary.baseline.estimatedMs).toBeGreaterThanOrEqual(summary.baseline.ms)
    expect(summary.limit).toBeNull()
  })

  it('repeats each measurement with --rounds and reports every round', async () => {
    const { code, stdout } = await demo(fixtures, '--json', '--no-limit', '--rounds', '2')
    expect(code).toBe(0)
    const summary = JSON.parse(stdout)
    expect(summary.rounds).toBe(2)
    expect(summary.roundsMs).toHaveLength(2)
    expect(summary.baseline.roundsMs).toHaveLength(2)
    expect(summary.totals).toEqual({ functions: 17, classes: 5, imports: 9, lines: 68 })
  })

  it('prints a text summary, and plain progress lines when stderr is not a terminal', async () => {
    const { code, stdout, stderr } = await demo(fixtures, '--workers', '1')
    expect(code).toBe(0)
    expect(stdout).toMatch(/files +5 in 2 packages/)
    expect(stdout).toMatch(/speedup +[\d.]+x over one thread/)
    expect(stdout).toMatch(/found +17 functions, 5 classes, 9 imports, 68 lines/)
    expect(stderr).toMatch(/^done: 5\/5 files/m)
    expect(stderr).not.toContain('\r')
  })

  it('fails with a clear error for a path that does not exist', async () => {
    const missing = join(scratch, 'no-such-dir')
    const { code, stdout, stderr } = await demo(missing)
    expect(code).toBe(2)
    expect(stdout).toBe('')
    expect(stderr).toBe(`parse-codebase: error: no such directory: ${missing}\n`)
  })

  it('fails with a clear error for a directory that holds no source files', async () => {
    const empty = join(scratch, 'docs')
    mkdirSync(join(empty, 'sub'), { recursive: true })
    writeFileSync(join(empty, 'README.md'), '# nothing to parse\n')
    writeFileSync(join(empty, 'sub', 'data.json'), '{}\n')
    const { code, stderr } = await demo(empty, '--json')
    expect(code).toBe(2)
    expect(stderr).toBe(`parse-codebase: error: no .js, .mjs, .cjs or .ts files under ${empty}\n`)
  })

  it('skips binary files and files over --max-size', async () => {
    const dir = join(scratch, 'mixed')
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'ok.js'), 'function f() {}\n')
    writeFileSync(join(dir, 'video.ts'), Buffer.from([0x47, 0x00, 0x11, 0x10, 0x00]))
    writeFileSync(join(dir, 'big.js'), `// ${'x'.repeat(2000)}\n`)
    const { code, stdout } = await demo(dir, '--json', '--max-size', '0.001')
    expect(code).toBe(0)
    const summary = JSON.parse(stdout)
    expect(summary.files).toBe(1)
    expect(summary.skipped).toMatchObject({ huge: 1, binary: 1 })
    expect(summary.totals).toEqual({ functions: 1, classes: 0, imports: 0, lines: 1 })
  })

  it('takes the arguments after the `--` that `pnpm demo -- <dir>` passes on', async () => {
    const { code, stdout } = await demo('--', fixtures, '--json', '--no-baseline')
    expect(code).toBe(0)
    const summary = JSON.parse(stdout)
    expect(summary.totals).toEqual({ functions: 17, classes: 5, imports: 9, lines: 68 })
    expect(summary.baseline).toBeNull()
    expect(summary.speedup).toBeNull()
  })

  it('rejects a bad --workers value', async () => {
    const { code, stderr } = await demo(fixtures, '--workers', '0')
    expect(code).toBe(2)
    expect(stderr).toContain('--workers must be a positive integer, got "0"')
  })

  it('rejects a --mode, --read or --queue it does not know', async () => {
    const { code, stderr } = await demo(fixtures, '--mode', 'fast')
    expect(code).toBe(2)
    expect(stderr).toContain('--mode must be one of auto, pool, main, got "fast"')
    expect((await demo(fixtures, '--read', 'disk')).stderr).toContain('--read must be one of worker, main')
    expect((await demo(fixtures, '--queue', 'lifo')).stderr).toContain('--queue must be one of largest, fair')
  })
})

describe('packageKey', () => {
  it('keys a file by the package after the last node_modules, scoped or not, in pnpm and npm layouts', () => {
    const r = '/repo/node_modules'
    expect(packageKey(r, '/repo/node_modules/.pnpm/a@1.0.0/node_modules/a/lib/x.js')).toBe('a')
    expect(packageKey(r, '/repo/node_modules/.pnpm/@s+b@2/node_modules/@s/b/index.js')).toBe('@s/b')
    expect(packageKey(r, '/repo/node_modules/c/node_modules/d/index.js')).toBe('d')
    expect(packageKey('/repo', '/repo/node_modules/e/index.js')).toBe('e')
    expect(packageKey('/src', '/src/lib/shapes.ts')).toBe('lib')
    expect(packageKey('/src', '/src/main.ts')).toBe('.')
  })
})
