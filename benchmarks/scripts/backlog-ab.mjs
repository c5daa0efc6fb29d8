// Compares two builds of @poolkit/core on the backlog sizes of the throughput
// suite's section 1b, to measure a change against the commit before it:
//
//   git worktree add --detach ../before <commit> && (cd ../before/packages/core && pnpm build)
//   node benchmarks/scripts/backlog-ab.mjs ../before/packages/core/dist/index.js before
//   node benchmarks/scripts/backlog-ab.mjs packages/core/dist/index.js after
//
// Run the two alternately, a few times each, and compare medians. Each line:
// tasks/s with run() (a promise per task) and submit() (a callback per task) at
// 10,000 tasks (median of 60 batches) and at 1,000,000 (median of 3), each batch
// submitted at once to a fresh pool at concurrency 2 with an async no-op handler.
import { pathToFileURL } from 'node:url'
import { resolve } from 'node:path'

const [path, label = 'core'] = process.argv.slice(2)
if (path === undefined) {
  console.error('usage: node backlog-ab.mjs <path to a core build: .../packages/core/dist/index.js> [label]')
  process.exit(2)
}
const { createPool } = await import(pathToFileURL(resolve(path)).href)
const handler = async (x) => x

async function once(mode, n) {
  const pool = createPool({ concurrency: 2, handler })
  const t0 = performance.now()
  if (mode === 'run') {
    const all = new Array(n)
    for (let i = 0; i < n; i++) all[i] = pool.run(i)
    await Promise.all(all)
  } else {
    let left = n
    let done
    const all = new Promise((resolve) => (done = resolve))
    const callback = () => {
      if (--left === 0) done()
    }
    for (let i = 0; i < n; i++) pool.submit(i, callback)
    await all
  }
  const rate = n / (performance.now() - t0) / 1000
  await pool.close()
  return rate
}

const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1]
for (let i = 0; i < 30; i++) {
  await once('run', 10_000)
  await once('submit', 10_000)
}
const out = []
for (const [n, times] of [
  [10_000, 60],
  [1_000_000, 3],
]) {
  for (const mode of ['run', 'submit']) {
    const rates = []
    for (let i = 0; i < times; i++) rates.push(await once(mode, n))
    out.push(`${mode}() @${n.toLocaleString('en-US')} ${median(rates).toFixed(2)} M/s`)
  }
}
console.log(`${label.padEnd(8)} ${out.join('   ')}`)
