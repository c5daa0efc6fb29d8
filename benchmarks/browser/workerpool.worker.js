// workerpool's worker for the browser benchmark: a classic worker, its browser build's worker script.
importScripts('/workerpool/worker.min.js', '/sha256.js')

// worker.min.js is a UMD bundle: in a classic worker it sets the global `worker`.
/* global worker, benchWork -- set by the scripts imported above */
worker.add({ noop: (input) => input, hash: (i) => benchWork.hashTask(i) })
