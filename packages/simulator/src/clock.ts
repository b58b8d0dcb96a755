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
  private frozenAt: number | null = null;
  /** How this clock's instants are served (see `Stamps`). */
  readonly stamps: Stamps;

  constructor(
    private readonly startMs: number,
    readonly timeScale: number,
    realClockStamps = false,
    private readonly realNow: () => number = () => performance.now(),
    wallNow: () => number = () => Date.now(),
  ) {
    this.realStart = realNow();
    this.stamps = new Stamps(realClockStamps ? { worldStartMs: startMs, realStartMs: wallNow(), timeScale } : null);
  }

  /** Simulated epoch milliseconds. */
  now(): number {
    if (this.frozenAt !== null) return this.frozenAt;
    return Math.floor(this.startMs + (this.realNow() - this.realStart) * this.timeScale + this.offsetMs);
  }

  /**
   * Stops the world where it is, for good: what the API serves no longer changes,
   * so a test can let a collector catch up and compare it with the truth.
   */
  freeze(): number {
    this.frozenAt ??= this.now();
    return this.frozenAt;
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

/**
 * The one place where a world instant becomes a served one. By default instants are served as
 * they are. With real-clock stamps the world's start is served as the wall clock at start and
 * world time passes `timeScale` times slower, so a consumer whose own clock is the real one (a
 * database's now()) sees a served kickoff pass exactly when the world plays it. Served instants
 * are floored to the millisecond and to the second by the formats, so a fixture's `starting_at`
 * and `starting_at_timestamp` always name the same second.
 */
export class Stamps {
  constructor(private readonly realClock: { worldStartMs: number; realStartMs: number; timeScale: number } | null) {}

  /** Served epoch ms of a world instant. */
  served(worldMs: number): number {
    const c = this.realClock;
    return c === null ? worldMs : Math.floor(c.realStartMs + (worldMs - c.worldStartMs) / c.timeScale);
  }

  /** "YYYY-MM-DD HH:mm:ss" (UTC), as the API writes datetimes. */
  dateTime(worldMs: number): string {
    return formatDateTime(this.served(worldMs));
  }

  /** "YYYY-MM-DD" (UTC), as the API writes dates. */
  date(worldMs: number): string {
    return formatDate(this.served(worldMs));
  }

  /** Epoch seconds, as `starting_at_timestamp` and `current_timestamp` carry them. */
  epochSeconds(worldMs: number): number {
    return Math.floor(this.served(worldMs) / SECOND);
  }

  /** ISO 8601, as the test endpoints report `now`. */
  iso(worldMs: number): string {
    return new Date(this.served(worldMs)).toISOString();
  }
}

/** The API's datetime format: "YYYY-MM-DD HH:mm:ss" in UTC. */
function formatDateTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace("T", " ");
}

export function formatDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
