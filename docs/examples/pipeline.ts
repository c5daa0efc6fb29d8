// Recipe 3 of docs/recipes.md: a bounded pipeline from an async iterable (map).
import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createPool } from '@poolkit/core'

// Yields every file under `dir`, lazily: the walk only goes as far as the pool pulls.
async function* walk(dir: string): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) yield* walk(path)
    else if (entry.isFile()) yield path
  }
}

const pool = createPool({
  handler: async (path: string) => ({ path, sha256: createHash('sha256').update(await readFile(path)).digest('hex') }),
  concurrency: 8, // files read at once
})

let failed = 0
// At most `window` files are read or waiting at once, however many the walk finds.
for await (const result of pool.map(walk(process.argv[2] ?? '.'), { window: 32 })) {
  if (result.ok) console.log(`${result.value.sha256}  ${result.value.path}`) // the format of sha256sum, in walk order
  else { failed++; console.error(result.error) }
}
await pool.close()
process.exitCode = failed > 0 ? 1 : 0
