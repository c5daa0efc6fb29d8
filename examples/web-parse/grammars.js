// How a page or a worker gets a grammar's WebAssembly: from the server's /grammars/ route (serve.mjs).

/** Fetches a grammar's .wasm (for loadParsers in tree-count.js). */
export async function fetchGrammar(fileName) {
  const response = await fetch(new URL(`/grammars/${fileName}`, self.location.origin))
  if (!response.ok) throw new Error(`could not load the grammar ${fileName}: HTTP ${response.status}`)
  return new Uint8Array(await response.arrayBuffer())
}
