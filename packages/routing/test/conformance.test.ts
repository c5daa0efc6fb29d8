// Every selector of the package passes core's selector conformance suite.
import { describe, it } from 'vitest'
import { runSelectorConformance } from '@poolkit/core/testing'
import { affinity, fairShare, leastBusy, leastEventLoopUtilization, roundRobin, weightedRoundRobin } from '../src/index.js'

runSelectorConformance('roundRobin()', () => roundRobin(), { describe, it })
runSelectorConformance('leastBusy()', () => leastBusy(), { describe, it })
runSelectorConformance('leastEventLoopUtilization()', () => leastEventLoopUtilization(), { describe, it })
runSelectorConformance('fairShare()', () => fairShare(), { describe, it })
runSelectorConformance('weightedRoundRobin({ 1: 3, 2: 1 })', () => weightedRoundRobin({ 1: 3, 2: 1 }), { describe, it })
runSelectorConformance('weightedRoundRobin((worker) => 1 + (worker.id % 3))', () => weightedRoundRobin((worker) => 1 + (worker.id % 3)), { describe, it })
runSelectorConformance('affinity()', () => affinity(), { describe, it })
runSelectorConformance('affinity({ maxImbalance: Infinity })', () => affinity({ maxImbalance: Infinity }), { describe, it })
runSelectorConformance('affinity({ maxImbalance: 0, maxKeys: 3, fallback: fairShare() })', () => affinity({ maxImbalance: 0, maxKeys: 3, fallback: fairShare() }), { describe, it })
