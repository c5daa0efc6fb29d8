import { threadLibrary } from './dist/thread-pools.js'
const names = process.argv.slice(2)
const runners = names.map((n) => threadLibrary(n).open(2))
await Promise.all(runners.map((r) => r.ready?.()))
for (const r of runners) await Promise.all(Array.from({ length: 5000 }, (_, i) => r.echo(i)))
const times = names.map(() => [])
for (let round = 0; round < 6; round++) {
  for (let k = 0; k < names.length; k++) {
    const runner = runners[(k + round) % names.length]
    globalThis.gc()
    const t0 = performance.now()
    const all = new Array(100000)
    for (let i = 0; i < 100000; i++) all[i] = runner.echo(i)
    await Promise.all(all)
    times[(k + round) % names.length].push(performance.now() - t0)
  }
}
const med = (a) => a.slice().sort((x, y) => x - y)[a.length >> 1]
names.forEach((n, k) => console.log(n.padEnd(22), 'median', med(times[k]).toFixed(0), 'ms', times[k].map((t) => t.toFixed(0)).join(' ')))
await Promise.all(runners.map((r) => r.close()))
