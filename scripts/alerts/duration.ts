// `30s`, `5m`, `2h`, `1d`, `1h30m` → seconds, for the alerts CLI's durations.
const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** The forms every duration error names. */
export const DURATION_FORMS = "use 30s, 5m, 2h, 1d (or combined, e.g. 1h30m)";

export interface DurationRange {
  min: number;
  max: number;
}

/** What mute_alert_rule accepts. */
export const MUTE_RANGE: DurationRange = { min: 60, max: 30 * 86400 };

/** `90` → `1m30s`, `14400` → `4h`, `0` → `0s`. */
export function formatDuration(seconds: number): string {
  if (seconds === 0) return "0s";
  let rest = Math.round(seconds);
  let out = "";
  for (const [unit, size] of Object.entries(UNITS).reverse()) {
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return out;
}

/** Parses a duration within `range`; `flag`, when given, leads every error. */
export function parseDuration(text: string, range: DurationRange = MUTE_RANGE, flag?: string): number {
  const what = flag ? `${flag}: duration` : "duration";
  const trimmed = text.trim().toLowerCase();
  if (!/^(\d+[smhd])+$/.test(trimmed)) throw new Error(`${what} "${text}": ${DURATION_FORMS}`);
  let seconds = 0;
  for (const [, amount, unit] of trimmed.matchAll(/(\d+)([smhd])/g)) seconds += Number(amount) * (UNITS[unit as string] ?? 0);
  if (seconds < range.min || seconds > range.max) {
    throw new Error(`${what} "${text}" is out of range: use ${formatDuration(range.min)} to ${formatDuration(range.max)}`);
  }
  return seconds;
}
