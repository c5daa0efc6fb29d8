// The web-hash example: hashes the chosen files in a pool of module Web Workers,
// with a progress bar (files done / total, MB/s) and a table of the digests.
import { createPool } from '@poolkit/core'
import { webWorkers } from '@poolkit/web-adapter'

// The whole browser-specific change: the pool's executor is a set of Web Workers.
// Worker count: navigator.hardwareConcurrency - 1 (at least one), the adapter's default.
const pool = createPool({ executor: webWorkers(new URL('./hash.worker.js', import.meta.url)) })

const input = document.querySelector('#files')
const progress = document.querySelector('#progress')
const status = document.querySelector('#status')
const results = document.querySelector('#results')

const fmtSize = (bytes) => (bytes >= 2 ** 20 ? `${(bytes / 2 ** 20).toFixed(2)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`)

/** One table row per file; returns the cell the digest goes into. */
function addRow(file) {
  const row = document.createElement('tr')
  row.dataset.name = file.name
  const name = document.createElement('td')
  name.textContent = file.name
  const size = document.createElement('td')
  size.className = 'size'
  size.textContent = fmtSize(file.size)
  const digest = document.createElement('td')
  digest.className = 'digest pending'
  digest.textContent = 'hashing…'
  row.append(name, size, digest)
  results.append(row)
  return digest
}

// A second choice while the first still runs starts a new batch; the old one's
// results are dropped from the page (its tasks still finish in the pool).
let batch = 0

async function hashAll(files) {
  const mine = ++batch
  results.replaceChildren()
  progress.max = files.length
  progress.value = 0
  status.dataset.state = 'running'
  const started = performance.now()
  let done = 0
  let failed = 0
  let bytes = 0
  const report = () => {
    const seconds = (performance.now() - started) / 1000
    const rate = seconds > 0 ? bytes / 1e6 / seconds : 0
    status.textContent = `${done} / ${files.length} files, ${(bytes / 1e6).toFixed(1)} MB, ${rate.toFixed(1)} MB/s${failed > 0 ? `, ${failed} failed` : ''}`
  }
  report()
  await Promise.all(
    files.map(async (file) => {
      const cell = addRow(file)
      try {
        const buf = await file.arrayBuffer()
        // Moved, not copied: after this call `buf` is detached on this side.
        const digest = await pool.run(buf, { transfer: [buf] })
        if (mine !== batch) return
        cell.textContent = digest
        cell.className = 'digest'
      } catch (error) {
        if (mine !== batch) return
        failed++
        cell.textContent = `failed: ${error instanceof Error ? error.message : String(error)}`
        cell.className = 'digest error'
      }
      done++
      bytes += file.size
      progress.value = done
      report()
    }),
  )
  if (mine === batch) status.dataset.state = failed > 0 ? 'failed' : 'done'
}

input.addEventListener('change', () => {
  const files = [...(input.files ?? [])]
  if (files.length > 0) void hashAll(files)
})

// Closing the pool on the way out stops the workers at once rather than leaving it to the browser.
addEventListener('pagehide', () => void pool.close())
