// Simulated time. The API's "now" starts at a configurable instant and runs
// `timeScale` times faster than the wall clock (0 freezes it), so an hourly rate
// limit window or a whole match can pass in seconds of a test.

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export class SimClock {
  private readonly realStart: number;
  private offsetMs = 0;

  constructor(
    private readonly startMs: number,
    readonly timeScale: number,
    private readonly realNow: () => number = () => performance.now(),
  ) {
    this.realStart = realNow();
  }

  /** Simulated epoch milliseconds. */
  now(): number {
    return Math.floor(this.startMs + (this.realNow() - this.realStart) * this.timeScale + this.offsetMs);
  }

  /** Jump simulated time forward (tests drive state changes and limit resets with it). */
  advance(ms: number): void {
    this.offsetMs += ms;
  }

  /**
   * Converts a simulated duration into the wall-clock seconds a client must wait.
   * With a frozen clock simulated seconds are reported as they are.
   */
  toClientSeconds(simMs: number): number {
    const scale = this.timeScale > 0 ? this.timeScale : 1;
    return Math.max(0, Math.ceil(simMs / SECOND / scale));
  }

  /** The inverse: a wall-clock window (e.g. "updated in the last 10 s") in simulated ms. */
  fromClientSeconds(seconds: number): number {
    const scale = this.timeScale > 0 ? this.timeScale : 1;
    return seconds * SECOND * scale;
  }
}

/** The API's datetime format: "YYYY-MM-DD HH:mm:ss" in UTC. */
export function formatDateTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace("T", " ");
}

export function formatDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
