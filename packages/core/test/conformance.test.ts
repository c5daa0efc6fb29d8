import { describe, it } from 'vitest'
import { createDefaultQueue, inProcess } from '../src/index.js'
import { conformanceHandler, runExecutorConformance, runQueueConformance, runSelectorConformance } from '../src/testing/index.js'

runQueueConformance('createDefaultQueue', () => createDefaultQueue(), { describe, it })
runExecutorConformance('inProcess', () => inProcess(conformanceHandler), { describe, it }, { terminatesOnAbort: false })

// The pool's own choice, as a selector: the least busy candidate, ties to the lowest id.
runSelectorConformance('least running (a test selector)', () => ({ select: (candidates) => candidates.reduce((a, b) => (b.running < a.running ? b : a)) }), { describe, it })
