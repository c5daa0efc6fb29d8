/**
 * Worker options for tests. Vitest runs this file with `--conditions=@poolkit/source`
 * (so tests use sources), and workers inherit the parent's execArgv; but real
 * workers run plain Node, which cannot load TypeScript, so they get the built
 * packages: drop that condition.
 */
export const execArgv = process.execArgv.filter(
  (arg, i, all) => !arg.includes('@poolkit/source') && !(arg === '--conditions' && all[i + 1]?.includes('@poolkit/source')) && !(arg === '-C' && all[i + 1]?.includes('@poolkit/source')),
)

export const fixture = (name: string): URL => new URL(`./fixtures/${name}`, import.meta.url)
