// `30m`, `2h`, `1d`, `90s`, `1h30m` → seconds, within what mute_alert_rule accepts.
const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };
export const MIN_MUTE_SECONDS = 60;
export const MAX_MUTE_SECONDS = 30 * 86400;

export function parseDuration(text: string): number {
  const trimmed = text.trim().toLowerCase();
  if (!/^(\d+[smhd])+$/.test(trimmed)) {
    throw new Error(`duration: "${text}" is not a duration; use a number with s, m, h or d, e.g. 30m, 2h, 1d or 1h30m`);
  }
  let seconds = 0;
  for (const [, amount, unit] of trimmed.matchAll(/(\d+)([smhd])/g)) seconds += Number(amount) * (UNITS[unit as string] ?? 0);
  if (seconds < MIN_MUTE_SECONDS || seconds > MAX_MUTE_SECONDS) {
    throw new Error(`duration: "${text}" must be between 1m and 30d`);
  }
  return seconds;
}
