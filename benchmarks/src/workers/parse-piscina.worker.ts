// piscina's worker for the demo suite: the default export parses one file by its path.
import { parsePath } from '@poolkit/example-parse-codebase/parse-path'

export default parsePath
