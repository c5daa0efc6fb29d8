import { describe, it } from 'vitest'
import { runExecutorConformance } from '@poolkit/core/testing'
import { processes, threads } from '../src/index.js'
import { execArgv, fixture } from './helpers.js'

const worker = fixture('conformance.worker.mjs')

runExecutorConformance('threads', () => threads(worker, { execArgv }), { describe, it }, { crashFunction: 'crash' })
runExecutorConformance('processes', () => processes(worker, { execArgv }), { describe, it }, { crashFunction: 'crash' })
