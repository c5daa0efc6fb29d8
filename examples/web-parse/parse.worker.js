// The worker of the web-parse pool: web-tree-sitter and every grammar are loaded once,
// in `setup` (before the worker reports ready), then each task is one file whose bytes
// were moved here (`transfer`), parsed and counted.
import { expose } from '@poolkit/web-adapter/worker'
import { fetchGrammar } from './grammars.js'
import { countFile, loadParsers } from './tree-count.js'

let parsers

expose(({ name, buffer }) => countFile(parsers, name, buffer), {
  setup: async () => {
    parsers = await loadParsers(fetchGrammar)
  },
})
