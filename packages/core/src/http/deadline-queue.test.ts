import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { DeadlineQueue } from './deadline-queue.js'

describe('DeadlineQueue', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('expires each deadline when its time has passed, in the order they were set', () => {
    const queue = new DeadlineQueue(100)
    const expired: string[] = []
    queue.start(() => expired.push('first'))
    vi.advanceTimersByTime(40)
    queue.start(() => expired.push('second'))
    vi.advanceTimersByTime(59)
    expect(expired).toEqual([])
    vi.advanceTimersByTime(1)
    expect(expired).toEqual(['first'])
    vi.advanceTimersByTime(39)
    expect(expired).toEqual(['first'])
    vi.advanceTimersByTime(1)
    expect(expired).toEqual(['first', 'second'])
  })

  it('never expires a cancelled deadline, and still expires the ones after it', () => {
    const queue = new DeadlineQueue(100)
    const expired: string[] = []
    const first = queue.start(() => expired.push('first'))
    vi.advanceTimersByTime(10)
    queue.start(() => expired.push('second'))
    queue.cancel(first)
    vi.advanceTimersByTime(200)
    expect(expired).toEqual(['second'])
  })

  it('uses one timer for many deadlines, and none once all are done', () => {
    const queue = new DeadlineQueue(100)
    const deadlines = Array.from({ length: 1000 }, () => queue.start(() => {}))
    expect(vi.getTimerCount()).toBe(1)
    for (const deadline of deadlines) queue.cancel(deadline)
    vi.advanceTimersByTime(100)
    expect(vi.getTimerCount()).toBe(0)
    queue.start(() => {})
    expect(vi.getTimerCount()).toBe(1)
  })

  it('ignores a deadline cancelled twice, or after it expired', () => {
    const queue = new DeadlineQueue(100)
    const expired: string[] = []
    const first = queue.start(() => expired.push('first'))
    const second = queue.start(() => expired.push('second'))
    const third = queue.start(() => expired.push('third'))
    queue.cancel(second)
    queue.cancel(second)
    vi.advanceTimersByTime(100)
    expect(expired).toEqual(['first', 'third'])
    queue.cancel(first)
    queue.cancel(third)
    queue.start(() => expired.push('fourth'))
    vi.advanceTimersByTime(100)
    expect(expired).toEqual(['first', 'third', 'fourth'])
  })

  it('waits out a deadline longer than a Node timer can hold', () => {
    const queue = new DeadlineQueue(3_000_000_000)
    const expired: string[] = []
    queue.start(() => expired.push('far'))
    vi.advanceTimersByTime(2_999_999_999)
    expect(expired).toEqual([])
    vi.advanceTimersByTime(1)
    expect(expired).toEqual(['far'])
  })
})
