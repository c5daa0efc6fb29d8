// The executor conformance suite's worker: its functions, plus one that crashes the worker.
import { conformanceFunctions } from '@poolkit/core/testing'
import { expose } from '@poolkit/web-adapter/worker'

expose({
  ...conformanceFunctions,
  // An uncaught error outside any task function: the worker's 'error' event.
  crash: () => {
    setTimeout(() => {
      throw new Error('worker crashed on purpose')
    })
    return new Promise(() => {})
  },
})
