import { describe, expect, it } from 'vitest'
import { EventWindow } from '../src/internal/event-window.js'

describe('EventWindow', () => {
  it('sums events by the time they happened over 1, 10 and 60 second windows', () => {
    const w = new EventWindow(0)
    for (let t = 0; t < 60_000; t += 100) w.add(1, 0, t)
    expect(w.total(1_000, 59_999)).toBe(10)
    expect(w.total(10_000, 59_999)).toBe(100)
    expect(w.total(60_000, 59_999)).toBe(600)
    expect(w.rate(10_000, 60_000)).toBeCloseTo(10, 5)
  })

  it('forgets what is older than the window as time moves on, including after a long gap', () => {
    const w = new EventWindow(0)
    w.add(5, 0, 50)
    expect(w.total(1_000, 900)).toBe(5)
    expect(w.total(1_000, 1_100)).toBe(0)
    expect(w.total(60_000, 1_100)).toBe(5)
    // Ten minutes of silence: every slot is stale.
    expect(w.total(60_000, 600_000)).toBe(0)
    w.add(2, 0, 600_050)
    expect(w.total(60_000, 600_100)).toBe(2)
  })

  it('divides a window longer than its history by the time it has seen, not the whole window', () => {
    const w = new EventWindow(10_000)
    for (let t = 10_000; t < 15_000; t += 100) w.add(1, 0, t)
    // 50 events in 5 s: 10 per second, in the 60 s window too.
    expect(w.rate(60_000, 15_000)).toBeCloseTo(10, 5)
  })

  it('sums the amount events carry alongside their count, per second over complete slots', () => {
    const w = new EventWindow(0)
    for (let t = 0; t < 10_000; t += 100) w.add(1, 50, t)
    // 10 events a second carrying 50 ms each: 500 ms of amount per second.
    expect(w.rate(10_000, 10_000)).toBeCloseTo(10, 5)
    expect(w.amountRate(10_000, 10_000)).toBeCloseTo(500, 5)
    w.add(0, 30, 10_050)
    expect(w.total(1_000, 10_050)).toBe(9)
    expect(w.amountRate(1_000, 10_100)).toBeCloseTo(((9 * 50 + 30) * 1000) / 1000, 5)
  })

  it('drops events from before a reset or older than 60 s, and keeps late ones inside the window', () => {
    const w = new EventWindow(0)
    w.add(1, 0, 70_000)
    w.add(1, 0, 5_000)
    expect(w.total(60_000, 70_000)).toBe(1)
    w.add(1, 0, 69_000)
    expect(w.total(60_000, 70_000)).toBe(2)
    w.reset(80_000)
    w.add(1, 0, 79_000)
    expect(w.total(60_000, 80_000)).toBe(0)
  })
})
