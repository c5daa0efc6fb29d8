// Recipe 2 of docs/recipes.md: CPU batch jobs with progress (threads + runAll).
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { createPool } from '@poolkit/core'
import { threads } from '@poolkit/node-adapter'

interface Compressed { file: string; before: number; after: number }

const dir = process.argv[2] ?? '.'
const entries = await readdir(dir, { withFileTypes: true })
const files = entries.filter((e) => e.isFile() && !e.name.endsWith('.gz')).map((e) => join(dir, e.name))

const pool = createPool<string, Compressed>({
  executor: threads(new URL('./compress.worker.js', import.meta.url)), // one worker per core by default
  taskTimeout: 60_000, // a task past this rejects and its worker is replaced
})

const results = await pool.runAll(files, {
  onProgress: (done, total) => process.stderr.write(`\r${done}/${total} files`),
})
await pool.close()

const before = results.reduce((sum, r) => sum + r.before, 0)
const after = results.reduce((sum, r) => sum + r.after, 0)
console.log(`\n${results.length} files: ${before} -> ${after} bytes`)
