/** The time the simulated PLCs live in: what they stamp their values with (epoch ms). */
export interface SimClock {
  now(): number
}

/** Wall-clock time: the simulated factory runs in real time. */
export const REAL_CLOCK: SimClock = { now: () => Date.now() }

export interface AcceleratedClockOptions {
  /** Simulated time when the clock is created (or, when paused, when it starts running), epoch ms. */
  readonly startMs: number
  /** Simulated milliseconds per real millisecond, e.g. 600: a 24 h day passes in 144 s. Must be > 0. */
  readonly speed: number
  /** Hold the clock at `startMs` until `run()` is called (e.g. until a client has connected). Default false. */
  readonly paused?: boolean
}

export interface AcceleratedClock extends SimClock {
  /** Starts a paused clock; no effect on a running one. */
  run(): void
}

/**
 * A virtual clock: simulated time = `startMs` + real time elapsed since it started running ×
 * `speed`. The simulated servers stamp values with it, so a day of shifts can run through the
 * real pipeline in minutes while every event carries the time it happened on the simulated floor.
 */
export function acceleratedClock(opts: AcceleratedClockOptions): AcceleratedClock {
  if (!(opts.speed > 0) || !Number.isFinite(opts.speed)) throw new Error(`accelerated clock: speed must be a positive number, got ${opts.speed}`)
  if (!Number.isFinite(opts.startMs)) throw new Error(`accelerated clock: startMs must be epoch ms, got ${opts.startMs}`)
  let realStart: number | undefined = opts.paused ? undefined : performance.now()
  return {
    now: () => (realStart === undefined ? opts.startMs : Math.floor(opts.startMs + (performance.now() - realStart) * opts.speed)),
    run: () => {
      realStart ??= performance.now()
    },
  }
}
