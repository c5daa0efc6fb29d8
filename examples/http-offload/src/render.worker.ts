// poolkit's worker file (threads()): the render function, run by name.
import { expose } from '@poolkit/node-adapter/worker'
import { render } from './render.js'

expose({ render })
