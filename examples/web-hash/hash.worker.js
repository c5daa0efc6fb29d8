// The worker of the web-hash example: one task function, SHA-256 of a moved ArrayBuffer as hex.
import { expose } from '@poolkit/web-adapter/worker'

/** Lower-case hex of a digest. */
const hex = (digest) => Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join('')

expose(async (buf) => hex(await crypto.subtle.digest('SHA-256', buf)))
