// The test files' side of the global setup: the installed projects and the fixtures.
import { cp } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { inject } from 'vitest'
import type { ConsumerContext, ProjectName } from './projects.js'

export const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url))

export function consumer(): ConsumerContext {
  return inject('consumer')
}

/** The installed project's folder; throws the install's own error when it failed. */
export function project(name: ProjectName): string {
  const context = consumer()
  if (context.packError !== undefined) throw new Error(`packing the packages failed, so nothing was installed:\n${context.packError}`)
  const entry = context.projects[name]
  if (entry.error !== undefined) throw new Error(`installing the '${name}' consumer project failed:\n${entry.error}`)
  return entry.dir
}

/** Copies `fixtures/<fixture>` to `<project>/<into>` and returns that folder. */
export async function copyFixture(name: ProjectName, fixture: string, into: string): Promise<string> {
  const target = join(project(name), into)
  await cp(join(FIXTURES, fixture), target, { recursive: true })
  return target
}
