// The web-parse page: the user picks a folder (`<input webkitdirectory>`, or the File
// System Access API's directory picker where the browser has it), and every
// JavaScript, TypeScript, JSON and CSS file in it is parsed with tree-sitter on a
// poolkit pool of Web Workers (job.js), with a progress bar and the counts per language.
import { defaultWorkers, MODES, runJob } from './job.js'
import { isParsed, LANGUAGES } from './tree-count.js'

const input = document.querySelector('#folder')
const pick = document.querySelector('#pick')
const modeSelect = document.querySelector('#mode')
const workersInput = document.querySelector('#workers')
const bar = document.querySelector('#progress')
const status = document.querySelector('#status')
const table = document.querySelector('#languages')

workersInput.value = String(defaultWorkers())
workersInput.max = String(Math.max(1, navigator.hardwareConcurrency || 1))
// `?manual`: choosing a folder does not start a parse (the benchmark drives the page through window.webParse).
const manual = new URLSearchParams(location.search).has('manual')

/** A picked file as the job takes it: its name inside the folder, its size, and how to read it. */
const fromFile = (file, name = file.webkitRelativePath || file.name) => ({ name, size: file.size, read: () => file.arrayBuffer() })

/** Every file under a directory handle (File System Access API), named as `<input webkitdirectory>` names them. */
async function fromDirectory(handle, prefix = handle.name) {
  const files = []
  for await (const entry of handle.values()) {
    const name = `${prefix}/${entry.name}`
    if (entry.kind === 'directory') files.push(...(await fromDirectory(entry, name)))
    else files.push(fromFile(await entry.getFile(), name))
  }
  return files
}

const fmtMb = (bytes) => (bytes >= 1e6 ? `${(bytes / 1e6).toFixed(2)} MB` : `${(bytes / 1e3).toFixed(1)} kB`)
const fmtCount = (n) => n.toLocaleString('en-US')

/** The table of counts: one row per language with files, then the files not parsed. */
function renderTotals(totals) {
  const rows = []
  for (const language of LANGUAGES) {
    const t = totals[language.id]
    if (t.files === 0) continue
    const row = document.createElement('tr')
    row.dataset.language = language.id
    for (const [field, text] of [
      ['label', language.label],
      ['files', fmtCount(t.files)],
      ['bytes', fmtMb(t.bytes)],
      ['nodes', fmtCount(t.nodes)],
      ['declarations', fmtCount(t.declarations)],
      ['errorFiles', fmtCount(t.errorFiles)],
      ['errors', fmtCount(t.errors)],
    ]) {
      const cell = document.createElement('td')
      cell.dataset.field = field
      cell.textContent = text
      row.append(cell)
    }
    rows.push(row)
  }
  const skipped = document.createElement('tr')
  skipped.dataset.language = 'skipped'
  skipped.className = 'skipped'
  skipped.innerHTML = '<td>not parsed</td><td data-field="files"></td><td data-field="bytes"></td><td colspan="4">other languages, binary, or over 2 MiB</td>'
  skipped.children[1].textContent = fmtCount(totals.skipped.files)
  skipped.children[2].textContent = fmtMb(totals.skipped.bytes)
  rows.push(skipped)
  table.replaceChildren(...rows)
}

// A second folder while the first still parses starts a new job; the old one's progress is no longer shown.
let job = 0

/** Parses the picked files and shows the progress and the counts. */
async function parseFolder(files) {
  const mine = ++job
  const parsed = files.filter((f) => isParsed(f.name, f.size))
  const skipped = files.filter((f) => !isParsed(f.name, f.size))
  const total = parsed.reduce((sum, f) => sum + f.size, 0)
  bar.max = Math.max(1, total)
  bar.value = 0
  status.dataset.state = 'running'
  status.textContent = `parsing ${fmtCount(parsed.length)} files (${fmtMb(total)})…`
  let painted = 0
  const onProgress = ({ done, bytes }, totals) => {
    if (mine !== job) return
    bar.value = bytes
    // The text and the table at most every 100 ms: a node_modules folder has thousands of small files.
    if (performance.now() - painted < 100) return
    painted = performance.now()
    status.textContent = `${fmtCount(done)} / ${fmtCount(parsed.length)} files, ${fmtMb(bytes)} of ${fmtMb(total)}`
    renderTotals(totals)
  }
  try {
    const result = await runJob(parsed, { mode: modeSelect.value, workers: Number(workersInput.value) || defaultWorkers(), onProgress })
    result.totals.skipped.files += skipped.length
    result.totals.skipped.bytes += skipped.reduce((sum, f) => sum + f.size, 0)
    if (mine !== job) return result
    const where =
      result.ran === 'main' ? 'the main thread' : result.ran === 'independent' ? `${result.workers} independent workers` : `a pool of ${result.workers} worker${result.workers === 1 ? '' : 's'}`
    bar.value = bar.max
    status.textContent = `${fmtCount(result.files)} files, ${fmtMb(result.bytes)} in ${(result.ms / 1000).toFixed(2)} s on ${where} (${(result.bytes / 1e6 / (result.ms / 1000)).toFixed(1)} MB/s)`
    status.dataset.state = 'done'
    renderTotals(result.totals)
    window.webParse.lastResult = result
    return result
  } catch (error) {
    if (mine === job) {
      status.textContent = `failed: ${error instanceof Error ? error.message : String(error)}`
      status.dataset.state = 'failed'
    }
    throw error
  }
}

input.addEventListener('change', () => {
  const files = [...(input.files ?? [])].map((file) => fromFile(file))
  if (files.length > 0 && !manual) parseFolder(files).catch(() => {})
})

if ('showDirectoryPicker' in window) {
  pick.hidden = false
  pick.addEventListener('click', async () => {
    let handle
    try {
      handle = await window.showDirectoryPicker()
    } catch {
      return // the user closed the picker
    }
    parseFolder(await fromDirectory(handle)).catch(() => {})
  })
}

/**
 * The automation hook (the benchmark and the test): `preload()` reads the files chosen
 * in the input into memory once; `measure(mode, workers, prefetchMs)` then parses copies of them,
 * so no line pays for reading the disk and every line parses the same bytes.
 */
window.webParse = {
  modes: MODES,
  lastResult: undefined,
  preloaded: undefined,
  async preload() {
    const files = [...(input.files ?? [])].filter((f) => isParsed(f.webkitRelativePath || f.name, f.size))
    this.preloaded = await Promise.all(files.map(async (file) => ({ name: file.webkitRelativePath || file.name, size: file.size, bytes: await file.arrayBuffer() })))
    return { files: this.preloaded.length, bytes: this.preloaded.reduce((sum, f) => sum + f.size, 0), hardwareConcurrency: navigator.hardwareConcurrency }
  },
  async measure(mode, workers, prefetchMs) {
    if (this.preloaded === undefined) throw new Error('call preload() first')
    const entries = this.preloaded.map((f) => ({ name: f.name, size: f.size, read: async () => f.bytes.slice(0) }))
    return runJob(entries, { mode, workers, prefetchMs })
  },
}
document.body.dataset.ready = 'true'
