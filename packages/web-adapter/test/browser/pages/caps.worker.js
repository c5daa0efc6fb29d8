// A worker that declares its capabilities in setup, from the name its factory gave it ('gpu,wasm-simd' or '').
import { expose } from '@poolkit/web-adapter/worker'

const capabilities = self.name === '' ? [] : self.name.split(',')

expose({ where: () => ({ name: self.name, capabilities }) }, { setup: () => ({ capabilities }) })
