// piscina's worker file, as @fastify/piscina loads one: a default export, one task per call.
import { render } from './render.js'

export default render
