// poolkit's worker for the demo suite: one task is one file's path, parsed as the demo's workers parse it.
import { expose } from '@poolkit/node-adapter/worker'
import { parsePath } from '@poolkit/example-parse-codebase/parse-path'

expose(parsePath)
