// Charts (Chart.js, bundled into the page). Each series differs by more than colour: bars carry a
// pattern, lines a dash and a point shape, and the legend and tooltips name every figure.
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  type ChartConfiguration,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  type PointStyle,
  Tooltip,
} from "chart.js";

Chart.register(BarController, BarElement, LineController, LineElement, PointElement, CategoryScale, LinearScale, Legend, Tooltip);

declare global {
  interface Window {
    /** Every chart on the page by its canvas id: what the browser test reads, and handy in devtools. */
    watermarkCharts?: Record<string, Chart>;
  }
}

const palette = ["#0969da", "#bf3989", "#1a7f37", "#9a6700", "#8250df", "#cf222e", "#1b7c83", "#6e7781"];
const pointStyles: PointStyle[] = ["circle", "rect", "triangle", "rectRot", "star", "crossRot", "rectRounded", "cross"];
type PatternKind = "solid" | "stripes" | "dots" | "cross" | "lines";

/** A fill that stays distinguishable in greyscale and print. */
function pattern(color: string, kind: PatternKind): CanvasPattern | string {
  if (kind === "solid") return color;
  const tile = document.createElement("canvas");
  tile.width = 8;
  tile.height = 8;
  const g = tile.getContext("2d");
  if (!g) return color;
  g.fillStyle = color;
  g.globalAlpha = 0.35;
  g.fillRect(0, 0, 8, 8);
  g.globalAlpha = 1;
  g.strokeStyle = color;
  g.lineWidth = 2;
  g.beginPath();
  if (kind === "stripes") {
    g.moveTo(0, 8);
    g.lineTo(8, 0);
  } else if (kind === "lines") {
    g.moveTo(0, 4);
    g.lineTo(8, 4);
  } else if (kind === "cross") {
    g.moveTo(0, 0);
    g.lineTo(8, 8);
    g.moveTo(8, 0);
    g.lineTo(0, 8);
  } else {
    g.arc(4, 4, 1.5, 0, Math.PI * 2);
    g.fill();
  }
  g.stroke();
  return g.createPattern(tile, "repeat") ?? color;
}

const statusLook: Record<string, { color: string; kind: PatternKind }> = {
  COMPLETED: { color: "#1a7f37", kind: "solid" },
  FAILED: { color: "#cf222e", kind: "stripes" },
  ABANDONED: { color: "#57606a", kind: "dots" },
  CANCELLED: { color: "#8c959f", kind: "cross" },
  RUNNING: { color: "#9a6700", kind: "lines" },
};

export function statusDataset(status: string, data: number[]) {
  const look = statusLook[status] ?? { color: "#6e7781", kind: "dots" as const };
  return { label: status, data, backgroundColor: pattern(look.color, look.kind), borderColor: look.color, borderWidth: 1, stack: "runs" };
}

/** The n-th line of a chart: its own colour, point shape and (for the second kind of figure) a dash. */
export function lineDataset(label: string, data: number[], index: number, dashed: boolean) {
  const color = palette[index % palette.length] ?? "#0969da";
  return {
    label,
    data,
    borderColor: color,
    backgroundColor: color,
    borderDash: dashed ? [6, 4] : [],
    pointStyle: pointStyles[index % pointStyles.length] ?? "circle",
    pointRadius: 4,
    tension: 0,
  };
}

/** The last `days` UTC days, oldest first, as YYYY-MM-DD (the RPCs' day buckets). */
export function utcDays(days: number, now = new Date()): string[] {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return Array.from({ length: days }, (_, i) => new Date(today - (days - 1 - i) * 86_400_000).toISOString().slice(0, 10));
}

/** A UTC day's label: the date as the viewer writes it. */
export function dayLabel(day: string): string {
  return new Date(`${day}T00:00:00Z`).toLocaleDateString(undefined, { month: "short", day: "numeric", timeZone: "UTC" });
}

/** Tooltip title for a UTC day: when it starts and ends in the viewer's time zone, and in UTC. */
export function dayTitle(day: string): string {
  const start = new Date(`${day}T00:00:00Z`);
  const end = new Date(start.getTime() + 86_400_000);
  return `${start.toLocaleString()} – ${end.toLocaleString()} (UTC day ${day})`;
}

/** Draws a chart on a canvas, or updates the one already there (no flicker, no lost hover). */
/**
 * What the pages pass: Chart.js's own generic configuration types recurse past tsc's limit on
 * line charts, so the pages describe charts with this plain shape and Chart.js validates at runtime.
 */
export interface ChartSpec {
  type: "bar" | "line";
  data: { labels: string[]; datasets: Array<{ label: string; data: unknown[] } & Record<string, unknown>> };
  options?: Record<string, unknown>;
}

/** A tooltip item, as the callbacks in ChartSpec options receive it. */
export interface TooltipItem {
  dataIndex: number;
}

export function drawChart(canvas: HTMLCanvasElement, config: ChartSpec): Chart {
  window.watermarkCharts ??= {};
  // Charts of pages left behind: free them, so the registry lists what is on screen.
  for (const [id, chart] of Object.entries(window.watermarkCharts)) {
    if (!chart.canvas?.isConnected) {
      chart.destroy();
      delete window.watermarkCharts[id];
    }
  }
  const existing = Chart.getChart(canvas);
  if (existing && (existing.config as { type?: string }).type === config.type) {
    const target = existing as unknown as { data: unknown; options: unknown };
    target.data = config.data;
    target.options = { animation: false, maintainAspectRatio: false, ...config.options };
    existing.update("none");
    return existing;
  }
  existing?.destroy();
  const options = { animation: false, maintainAspectRatio: false, ...config.options };
  const chart = new Chart(canvas, { ...config, options } as unknown as ChartConfiguration);
  window.watermarkCharts[canvas.id] = chart;
  return chart;
}
