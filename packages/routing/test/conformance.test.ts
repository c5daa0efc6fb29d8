// Every selector of the package passes core's selector conformance suite.
import { describe, it } from 'vitest'
import { runSelectorConformance } from '@poolkit/core/testing'
import { affinity, fairShare, leastBusy, leastEventLoopUtilization, predictive, roundRobin, weightedRoundRobin } from '../src/index.js'

runSelectorConformance('roundRobin()', () => roundRobin(), { describe, it })
runSelectorConformance('leastBusy()', () => leastBusy(), { describe, it })
runSelectorConformance('leastEventLoopUtilization()', () => leastEventLoopUtilization(), { describe, it })
runSelectorConformance('fairShare()', () => fairShare(), { describe, it })
runSelectorConformance('weightedRoundRobin({ 1: 3, 2: 1 })', () => weightedRoundRobin({ 1: 3, 2: 1 }), { describe, it })
runSelectorConformance('weightedRoundRobin((worker) => 1 + (worker.id % 3))', () => weightedRoundRobin((worker) => 1 + (worker.id % 3)), { describe, it })
runSelectorConformance('affinity()', () => affinity(), { describe, it })
runSelectorConformance('affinity({ maxImbalance: Infinity })', () => affinity({ maxImbalance: Infinity }), { describe, it })
runSelectorConformance('affinity({ maxImbalance: 0, maxKeys: 3, fallback: fairShare() })', () => affinity({ maxImbalance: 0, maxKeys: 3, fallback: fairShare() }), { describe, it })
runSelectorConformance('predictive()', () => predictive(), { describe, it })
runSelectorConformance('predictive({ alpha: 1, explore: 1, maxNames: 1 })', () => predictive({ alpha: 1, explore: 1, maxNames: 1 }), { describe, it })
runSelectorConformance('predictive({ explore: Infinity })', () => predictive({ explore: Infinity }), { describe, it })
