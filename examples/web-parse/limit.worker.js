// A worker without a pool, for the page's "independent workers" line (the limit): it
// loads the grammars as soon as it starts, receives its whole share of the files in one
// message (the bytes moved), parses them one after another and posts its totals, with
// a progress message after its first file and then every 100 ms. Nothing is shared between these workers and nothing
// is scheduled: what they take together is the most this machine allows for the job.
import { fetchGrammar } from './grammars.js'
import { addFile, countFile, emptyTotals, loadParsers } from './tree-count.js'

const ready = loadParsers(fetchGrammar)
// Keeps a failed load from being an unhandled rejection before the files arrive; the handler reports it.
ready.catch(() => {})

self.onmessage = async ({ data }) => {
  try {
    const parsers = await ready
    const totals = emptyTotals()
    let done = 0
    let bytes = 0
    let reported = performance.now()
    for (const file of data.files) {
      bytes += file.buffer.byteLength
      addFile(totals, countFile(parsers, file.name, file.buffer))
      done++
      if (done === 1 || performance.now() - reported >= 100) {
        reported = performance.now()
        self.postMessage({ progress: { done, bytes } })
      }
    }
    self.postMessage({ totals, done, bytes })
  } catch (error) {
    self.postMessage({ error: error instanceof Error ? error.message : String(error) })
  }
}
