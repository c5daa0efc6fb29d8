import { describe, it } from 'vitest'
import { createDefaultQueue, inProcess } from '../src/index.js'
import { conformanceHandler, runExecutorConformance, runQueueConformance } from '../src/testing/index.js'

runQueueConformance('createDefaultQueue', () => createDefaultQueue(), { describe, it })
runExecutorConformance('inProcess', () => inProcess(conformanceHandler), { describe, it }, { terminatesOnAbort: false })
