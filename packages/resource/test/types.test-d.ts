import { createVirtualClock } from '@poolkit/core'
import type { MetricsCollector } from '@poolkit/core'
import { describe, expectTypeOf, it } from 'vitest'
import { createKeyRing, createResourcePool } from '../src/index.js'
import type { KeyLease, KeyRing, ResourceLease, ResourcePool } from '../src/index.js'

class Client {
  constructor(readonly url: string) {}
  query(sql: string): Promise<string[]> {
    return Promise.resolve([sql])
  }
  close(): Promise<void> {
    return Promise.resolve()
  }
}

describe('createResourcePool types', () => {
  it('infers the resource type from an async create, and types destroy and validate with it', () => {
    const pool = createResourcePool({
      create: async () => new Client('db://'),
      destroy: (client) => {
        expectTypeOf(client).toEqualTypeOf<Client>()
        return client.close()
      },
      validate: (client) => client.url.length > 0,
    })
    expectTypeOf(pool).toEqualTypeOf<ResourcePool<Client>>()
    expectTypeOf(pool.acquire()).toEqualTypeOf<Promise<ResourceLease<Client>>>()
  })

  it('infers it from a synchronous create too', () => {
    const pool = createResourcePool({ create: () => ({ id: 1 }), destroy: () => {} })
    expectTypeOf(pool).toEqualTypeOf<ResourcePool<{ id: number }>>()
  })

  it('types use(fn) by what fn returns, unwrapping a promise', () => {
    const pool = createResourcePool({ create: async () => new Client('db://'), destroy: (c) => c.close() })
    expectTypeOf(pool.use((client) => client.query('select 1'))).toEqualTypeOf<Promise<string[]>>()
    expectTypeOf(pool.use((client, lease) => lease.resource === client)).toEqualTypeOf<Promise<boolean>>()
  })

  it('is a MetricsCollector, AsyncDisposable, and its leases are Disposable', async () => {
    const pool = createResourcePool({ create: () => 1, destroy: () => {}, clock: createVirtualClock() })
    expectTypeOf(pool).toMatchTypeOf<MetricsCollector>()
    expectTypeOf(pool).toMatchTypeOf<AsyncDisposable>()
    expectTypeOf<ResourceLease<number>>().toMatchTypeOf<Disposable>()
    expectTypeOf<ResourceLease<number>['resource']>().toEqualTypeOf<number>()
  })

  it('rejects a destroy for another resource type', () => {
    createResourcePool({
      // @ts-expect-error a destroy of numbers makes T number, and a Client is not one
      create: async () => new Client('db://'),
      destroy: (n: number) => void n,
    })
  })

  it('types event listeners by event', () => {
    const pool = createResourcePool({ create: async () => new Client('db://'), destroy: (c) => c.close() })
    pool.on('destroy', (client, reason) => {
      expectTypeOf(client).toEqualTypeOf<Client>()
      expectTypeOf(reason).toEqualTypeOf<'idle' | 'max-uses' | 'max-lifetime' | 'invalid' | 'destroyed' | 'cleared' | 'drained'>()
    })
    pool.on('error', (_error, operation) => expectTypeOf(operation).toEqualTypeOf<'create' | 'destroy' | 'validate' | 'listener'>())
  })
})

describe('createKeyRing types', () => {
  it('infers the key type from the keys', () => {
    const ring = createKeyRing(['a', 'b'])
    expectTypeOf(ring).toEqualTypeOf<KeyRing<string>>()
    const objects = createKeyRing([{ id: 'x', secret: 's' }], { label: (k) => k.id })
    expectTypeOf(objects.acquire()).toEqualTypeOf<Promise<KeyLease<{ id: string; secret: string }>>>()
    expectTypeOf(objects.use((key) => key.secret.length)).toEqualTypeOf<Promise<number>>()
  })
})
