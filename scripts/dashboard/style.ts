// Terminal presentation: colours only on a TTY without NO_COLOR, aligned
// tables that fit the terminal, and the figures the seed's dashboard printed.
export interface Style {
  color: boolean;
  width: number;
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  green(s: string): string;
  cyan(s: string): string;
}

const ansi = (code: number, on: boolean) => (s: string) => (on ? `\x1b[${code}m${s}\x1b[0m` : s);

export function makeStyle(stream: { isTTY?: boolean; columns?: number }, env: Record<string, string | undefined>): Style {
  const color = Boolean(stream.isTTY) && !env.NO_COLOR && env.TERM !== "dumb";
  return {
    color,
    width: stream.isTTY ? Math.max(60, stream.columns ?? 100) : 200,
    bold: ansi(1, color),
    dim: ansi(2, color),
    red: ansi(31, color),
    yellow: ansi(33, color),
    green: ansi(32, color),
    cyan: ansi(36, color),
  };
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: strips our own ANSI codes to measure width
const stripAnsi = (s: string) => s.replace(/\x1b\[\d+m/g, "");

/** Aligned columns; the last column is cut to the terminal width. */
export function table(style: Style, headers: string[], rows: string[][]): string[] {
  if (rows.length === 0) return [style.dim("  (none)")];
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => stripAnsi(r[i] ?? "").length)));
  const fixed = widths.slice(0, -1).reduce((a, w) => a + w + 2, 2);
  const lastWidth = Math.max(20, style.width - fixed);
  const line = (cells: string[]) =>
    `  ${cells
      .map((c, i) => {
        const plain = stripAnsi(c);
        if (i === cells.length - 1) return plain.length > lastWidth ? `${plain.slice(0, lastWidth - 1)}…` : c;
        return c + " ".repeat((widths[i] ?? 0) - plain.length);
      })
      .join("  ")}`.trimEnd();
  return [style.bold(line(headers)), ...rows.map(line)];
}

export function heading(style: Style, title: string): string[] {
  return ["", style.bold(style.cyan(title)), style.dim("─".repeat(Math.min(style.width, title.length + 20)))];
}

export function keyValues(style: Style, pairs: [string, string][]): string[] {
  const w = Math.max(...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `  ${style.dim(`${k}:`.padEnd(w + 1))} ${v}`);
}

/** 754.3 s → 12m 34s (the seed's format). */
export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return "—";
  const s = Math.round(seconds);
  if (s < 60) return `${seconds < 10 ? seconds.toFixed(1) : s}s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h ${m}m` : `${m}m ${s % 60}s`;
}

export const num = (n: number | null | undefined, digits = 2) =>
  n === null || n === undefined
    ? "—"
    : Number.isInteger(n)
      ? n.toLocaleString("en-US")
      : n.toLocaleString("en-US", { maximumFractionDigits: digits });

export const percent = (n: number | null | undefined) => (n === null || n === undefined ? "—" : `${num(n, 1)}%`);

/** 2026-11-22T05:16:24.123+00:00 → 2026-11-22 05:16:24 (UTC). */
export function time(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().replace("T", " ").slice(0, 19);
}

export function statusText(style: Style, status: string): string {
  switch (status) {
    case "COMPLETED":
    case "succeeded":
      return style.green(status);
    case "RUNNING":
      return style.cyan(status);
    case "FAILED":
    case "ABANDONED":
    case "failed":
    case "timed_out":
      return style.red(status);
    default:
      return style.yellow(status);
  }
}

export function levelText(style: Style, level: string): string {
  if (level === "ERROR" || level === "CRITICAL") return style.red(level);
  if (level === "WARNING") return style.yellow(level);
  if (level === "DEBUG") return style.dim(level);
  return level;
}
