import { describe, it } from 'vitest'
import { runExecutorConformance } from '@poolkit/core/testing'
import { processes, threads } from '../src/index.js'
import { execArgv, fixture } from './helpers.js'

const worker = fixture('conformance.worker.mjs')

runExecutorConformance('threads', () => threads(worker, { execArgv }), { describe, it }, { crashFunction: 'crash' })
runExecutorConformance('processes', () => processes(worker, { execArgv }), { describe, it }, { crashFunction: 'crash' })
// A JSON channel turns undefined into null on the wire: the protocol must not care.
runExecutorConformance('processes (serialization: json)', () => processes(worker, { execArgv, serialization: 'json' }), { describe, it }, { crashFunction: 'crash' })
