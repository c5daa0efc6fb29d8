// The worker of recipe 2 (docs/recipes.md): plain JavaScript, so Node runs it without a loader.
import { readFile, writeFile } from 'node:fs/promises'
import { gzipSync } from 'node:zlib'
import { expose } from '@poolkit/node-adapter/worker'

expose(async (/** @type {string} */ file) => {
  const data = await readFile(file)
  const gzipped = gzipSync(data, { level: 9 }) // CPU-bound: this is why it runs on a thread
  await writeFile(`${file}.gz`, gzipped)
  return { file, before: data.length, after: gzipped.length }
})
