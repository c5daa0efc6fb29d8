// The browser benchmark's page side: every line runs here, in one page of one
// Chromium; benchmarks/src/browser.ts calls runBench(settings) and prints the
// tables. Each section checks its results, so a line that did not do the work
// cannot report a figure.
import { createPool } from '@poolkit/core'
import { webWorkers } from '@poolkit/web-adapter'

const workerUrl = (name) => new URL(`./${name}.worker.js`, import.meta.url)
const { hashTask } = globalThis.benchWork

const log = (text) => {
  console.log(text)
  document.querySelector('#log').textContent += `${text}\n`
}

// ---------------------------------------------------------------- the lines

/** poolkit: createPool({ executor: webWorkers(url), concurrency }), the adapter's defaults otherwise. */
function poolkit(workers) {
  const pool = createPool({ executor: webWorkers(workerUrl('noop')), concurrency: workers })
  return {
    echo: (i) => pool.run(i),
    hash: (i) => pool.run(i, { name: 'hash' }),
    ready: () => pool.ready(),
    close: () => pool.close(),
  }
}

/** workerpool's browser build: minWorkers = maxWorkers, web workers, its classic worker script. */
function workerpool(workers) {
  const pool = globalThis.workerpool.pool(workerUrl('workerpool').href, { minWorkers: workers, maxWorkers: workers, workerType: 'web' })
  return {
    echo: (i) => pool.exec('noop', [i]),
    hash: (i) => pool.exec('hash', [i]),
    // One task per worker: the workers have loaded their script.
    ready: () => Promise.all(Array.from({ length: workers }, (_, i) => pool.exec('noop', [i]))),
    close: () => pool.terminate(),
  }
}

/** A hand-written postMessage pool: every task posted at once, round robin, replies matched by id; nothing else. */
function handRolled(workers) {
  const all = Array.from({ length: workers }, () => new Worker(workerUrl('hand-rolled'), { type: 'module' }))
  const waiting = new Map()
  let nextId = 0
  for (const worker of all) {
    worker.onmessage = ({ data: [id, output] }) => {
      const resolve = waiting.get(id)
      waiting.delete(id)
      resolve(output)
    }
  }
  const run = (name, input) =>
    new Promise((resolve) => {
      const id = nextId++
      waiting.set(id, resolve)
      all[id % workers].postMessage([id, name, input])
    })
  return {
    echo: (i) => run('echo', i),
    hash: (i) => run('hash', i),
    ready: () => Promise.all(all.map((_, i) => run('echo', i))),
    close: async () => all.forEach((w) => w.terminate()),
  }
}

/** One worker that posts every message straight back; one message in flight at a time. */
function bareEcho() {
  const worker = new Worker(workerUrl('echo'), { type: 'module' })
  let pending
  worker.onmessage = ({ data }) => pending(data)
  const echo = (i) =>
    new Promise((resolve) => {
      pending = resolve
      worker.postMessage(i)
    })
  return { echo, ready: () => echo(0), close: async () => worker.terminate() }
}

const POOLS = { poolkit, workerpool, 'hand-rolled postMessage': handRolled }

async function open(make) {
  const runner = make()
  await runner.ready()
  return runner
}

/** The lines in turn, the order reversed on odd rounds, so none always goes first. */
const ordered = (names, round) => (round % 2 === 0 ? names : [...names].reverse())

// ---------------------------------------------------------------- sections

/** No-op throughput: `tasks` submitted in one loop, then Promise.all; a fresh pool per line and round. */
async function throughput(s) {
  const out = Object.fromEntries(Object.keys(POOLS).map((name) => [name, { ms: [], submitMs: [] }]))
  for (let round = 0; round < s.rounds; round++) {
    for (const name of ordered(Object.keys(POOLS), round)) {
      const runner = await open(() => POOLS[name](s.workers))
      await Promise.all(Array.from({ length: s.warmupTasks }, (_, i) => runner.echo(i)))
      const started = performance.now()
      const promises = new Array(s.tasks)
      for (let i = 0; i < s.tasks; i++) promises[i] = runner.echo(i)
      const submitted = performance.now()
      const results = await Promise.all(promises)
      const ms = performance.now() - started
      for (let i = 0; i < s.tasks; i++) if (results[i] !== i) throw new Error(`${name}: task ${i} returned ${results[i]}`)
      out[name].ms.push(ms)
      out[name].submitMs.push(submitted - started)
      await runner.close()
      log(`throughput ${name} round ${round + 1}: ${ms.toFixed(1)} ms`)
    }
  }
  return out
}

/** Round trip: one task at a time, every line open at once, the lines taking turns in blocks. */
async function latency(s) {
  const makers = { ...Object.fromEntries(Object.entries(POOLS).map(([n, make]) => [n, () => make(s.workers)])), 'bare echo worker': bareEcho }
  const runners = {}
  for (const [name, make] of Object.entries(makers)) runners[name] = await open(make)
  const samples = Object.fromEntries(Object.keys(runners).map((name) => [name, []]))
  const trips = async (name, count, keep) => {
    const runner = runners[name]
    for (let i = 0; i < count; i++) {
      const started = performance.now()
      const output = await runner.echo(i)
      const ms = performance.now() - started
      if (output !== i) throw new Error(`${name}: round trip ${i} returned ${output}`)
      if (keep) samples[name].push(ms)
    }
  }
  for (const name of Object.keys(runners)) await trips(name, s.warmup, false)
  for (let block = 0; block * s.block < s.samples; block++) {
    for (const name of ordered(Object.keys(runners), block)) await trips(name, Math.min(s.block, s.samples - block * s.block), true)
  }
  for (const runner of Object.values(runners)) await runner.close()
  log('latency done')
  return samples
}

/**
 * CPU-bound: `tasks` hash tasks at once on the pools, against the same run one after another on this thread.
 * Each pool stays open for the section and is warmed first (V8 needs tens of tasks to optimise the hash in a
 * fresh worker), and so is this thread: the figure is the steady state, not the JIT's warm-up.
 */
async function cpu(s) {
  const warm = s.workers * s.warmupPerWorker
  const runners = {}
  for (const [name, make] of Object.entries(POOLS)) {
    runners[name] = await open(() => make(s.workers))
    await Promise.all(Array.from({ length: warm }, (_, i) => runners[name].hash(i)))
  }
  for (let i = 0; i < warm; i++) hashTask(i)
  const expected = []
  const out = { mainMs: [], lines: Object.fromEntries(Object.keys(POOLS).map((name) => [name, []])) }
  for (let round = 0; round < s.rounds; round++) {
    const started = performance.now()
    for (let i = 0; i < s.tasks; i++) expected[i] = hashTask(i)
    out.mainMs.push(performance.now() - started)
    for (const name of ordered(Object.keys(POOLS), round)) {
      const t0 = performance.now()
      const results = await Promise.all(Array.from({ length: s.tasks }, (_, i) => runners[name].hash(i)))
      out.lines[name].push(performance.now() - t0)
      for (let i = 0; i < s.tasks; i++) if (results[i] !== expected[i]) throw new Error(`${name}: hash task ${i} differs from the main thread's`)
    }
    log(`cpu round ${round + 1}: main thread ${out.mainMs.at(-1).toFixed(0)} ms`)
  }
  for (const runner of Object.values(runners)) await runner.close()
  return out
}

/**
 * Runs every section with the settings from benchmarks/src/config.ts (`browser`);
 * `workers` left out is max(2, hardwareConcurrency - 1).
 */
async function runBench(settings = { throughput: { tasks: 2_000, warmupTasks: 200, rounds: 1 }, latency: { samples: 200, warmup: 20, block: 50 }, cpu: { tasks: 20, rounds: 1, warmupPerWorker: 5 } }) {
  const workers = settings.workers ?? Math.max(2, navigator.hardwareConcurrency - 1)
  const env = { userAgent: navigator.userAgent, hardwareConcurrency: navigator.hardwareConcurrency, crossOriginIsolated, workers }
  const t = await throughput({ ...settings.throughput, workers })
  const l = await latency({ ...settings.latency, workers })
  const c = await cpu({ ...settings.cpu, workers })
  return { env, throughput: t, latency: l, cpu: c }
}

globalThis.runBench = runBench
globalThis.benchReady = true
