// The web dashboard in a real browser (Debian's chromium) against a private test stack: every
// page renders its data, navigation and the back button work, filters survive a refresh, charts
// draw the right series and points, a viewer cannot mute and an operator can, and a user without
// rights sees why and no data. Screenshots of each page land in .local/screenshots/.

import { mkdir, readdir } from "node:fs/promises";
import path from "node:path";
import { startDashboardServer } from "@watermark/dashboard/server";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestStack, type TestStack } from "../support/test-stack.ts";

const chromiumPath = "/usr/bin/chromium";
const chromiumArgs = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const screenshots = path.resolve(".local/screenshots");

let stack: TestStack;
let browser: Browser;

async function openDashboard(accessToken: string, hash = "") {
  const server = await startDashboardServer({ supabaseUrl: stack.supabaseUrl, apiKey: stack.keys.anon, accessToken });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(`${server.url}${hash}`);
  return {
    page,
    close: async () => {
      await page.close();
      await server.close();
    },
  };
}

const shot = (page: Page, name: string) => page.screenshot({ path: path.join(screenshots, `${name}.png`), fullPage: true });

/** The data a Chart.js chart on the page draws: one entry per series. */
function chartSeries(page: Page, id: string) {
  return page.evaluate((canvasId) => {
    const chart = window.watermarkCharts?.[canvasId];
    if (!chart) return null;
    return chart.data.datasets.map((d) => ({
      label: String(d.label),
      data: (d.data as unknown[]).map((v) => (Array.isArray(v) || v === null ? v : Number(v))),
    }));
  }, id);
}

beforeAll(async () => {
  await mkdir(screenshots, { recursive: true });
  stack = await createTestStack("web-dashboard");
  await stack.query(`
    select public.start_etl_execution('etl_web_1', '{}'::jsonb, 'watermark', 'manual');
    select public.report_pipeline_status('watermark', 'fixtures', source_total => 10, target_total => 9, pending_since_watermark => 1);
    select public.log_etl_events(jsonb_build_array(
      jsonb_build_object('level', 'INFO', 'component', 'collector', 'message', 'chunk claimed', 'execution_id', 'etl_web_1', 'chunk_id', '2451_23026'),
      jsonb_build_object('level', 'INFO', 'component', 'collector', 'message', 'batch upserted', 'execution_id', 'etl_web_1', 'chunk_id', '2451_23026',
                         'details', jsonb_build_object('fixtures', 10, 'rows_written', 9, 'failed', 1)),
      jsonb_build_object('level', 'INFO', 'component', 'collector', 'message', 'chunk released failed', 'execution_id', 'etl_web_1', 'chunk_id', '2451_23026'),
      jsonb_build_object('level', 'INFO', 'component', 'collector', 'message', 'chunk claimed', 'execution_id', 'etl_web_1', 'chunk_id', '8_21646')));
    select public.log_etl_event('ERROR', 'CHUNK_PROCESSOR', 'Fixture 19154664 failed', '{}'::jsonb, 'etl_web_1', '2451_23026', 19154664);
    select public.record_etl_metric('etl_web_1', 'chunk_duration', 45.5, 's');
    select public.finish_etl_execution('etl_web_1', 'FAILED', 10, 10, 9, 1, 1, 1, 'one fixture failed', 9);
    select public.start_etl_execution('etl_web_2', '{}'::jsonb, 'other_pipeline', 'schedule');
    -- A run three days ago: the 14-day charts place it on its day and show the days between as zero.
    insert into watermark.etl_executions (execution_id, pipeline, status, started_at, finished_at, processed_fixtures, rows_written, duration_seconds)
    values ('etl_web_old', 'other_pipeline', 'COMPLETED', now() - interval '3 days', now() - interval '3 days' + interval '1 minute', 40, 38, 60);
    -- An operator's change for the access audit.
    select public.set_alert_delivery_settings(failing_after_failures => 4);
  `);
  // What pg_cron does every minute: the failed run breaks the 90 % success-rate rule.
  await stack.query("select public.evaluate_alerts()");
  browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

describe("web dashboard", () => {
  it("overview: pre-flight, summary cards, 14-day charts, running now, alerts, runs, errors and metrics", async () => {
    const { page, close } = await openDashboard(stack.keys.viewer);
    try {
      await page.waitForSelector("#runs tbody tr:has-text('etl_web_1')");
      await page.waitForSelector("#preflight-checks li");
      expect(page.url()).toMatch(/\/$|#\/overview$/);
      // Pre-flight: one line per readiness check, each with its state and reason in full.
      const checks = await page.locator("#preflight-checks li").allTextContents();
      expect(checks).toHaveLength(7);
      expect(checks[0]).toMatch(/^OKdatabase reachablePostgreSQL/);
      const newest = (await readdir(new URL("../../supabase/migrations", import.meta.url)))
        .sort()
        .at(-1)
        ?.match(/^(\d+)_(.+)\.sql$/);
      expect(checks[1]).toContain(`the newest ${newest?.[1]} (${newest?.[2]})`);
      expect(checks[1]).toMatch(/^OKmigrations current/);
      expect(checks.find((c) => c.includes("Slack channel configured"))).toMatch(/FAILING.*Fix: set SLACK_WEBHOOK_URL/);

      expect(await page.textContent("#cards")).toContain("runs (24 h), success rate");
      expect(await page.locator("#cards .card").nth(2).locator(".value").textContent()).toBe("1");
      expect(await page.locator("#cards .card").nth(3).textContent()).toContain("RUNNING");
      expect(await page.textContent("#running")).toContain("etl_web_2");
      // The collection backlog: nothing to collect in this database, dispatch on with one worker allowed.
      await page.waitForSelector("#backlog .card");
      const backlog = await page.locator("#backlog .card").allTextContents();
      expect(backlog[0]).toMatch(/^0 · 0 · 0chunks needing work/);
      expect(backlog[3]).toMatch(/^0 · 0 \/ 1workers/);
      expect(backlog[4]).toMatch(/^nothing to doexpected time to drain \(Fixture limit 3,000\/h/);
      expect(await page.textContent("#errors")).toContain("Fixture 19154664 failed");
      expect(await page.textContent("#metrics")).toContain("chunk_duration");
      expect(await page.isHidden("#error")).toBe(true);
      // The header shows the database's health verdict, driven by the firing alert listed below it.
      expect(await page.textContent("#overall")).toBe("degraded");
      expect(await page.textContent("#alerts")).toContain("min-success-rate");

      // Runs per day by status: one stacked series per status seen, 14 days each, empty days zero.
      await page.waitForFunction(() => window.watermarkCharts?.["chart-rows"]);
      const runs = await chartSeries(page, "chart-runs");
      expect(runs?.map((s) => s.label)).toEqual(["COMPLETED", "FAILED", "RUNNING"]);
      for (const s of runs ?? []) expect(s.data).toHaveLength(14);
      expect(runs?.[0]?.data).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0]);
      expect(runs?.[1]?.data.at(-1)).toBe(1);
      // Rows per day: extracted and upserted for each pipeline.
      const rows = await chartSeries(page, "chart-rows");
      expect(rows?.map((s) => s.label).sort()).toEqual([
        "other_pipeline extracted",
        "other_pipeline upserted",
        "watermark extracted",
        "watermark upserted",
      ]);
      expect(rows?.find((s) => s.label === "watermark upserted")?.data).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9]);
      expect(rows?.find((s) => s.label === "other_pipeline extracted")?.data).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 40, 0, 0, 0]);
      await shot(page, "overview");
    } finally {
      await close();
    }
  });

  it("navigates between pages by URL, and the back button returns", async () => {
    const { page, close } = await openDashboard(stack.keys.viewer);
    try {
      await page.waitForSelector("#runs tbody tr:has-text('etl_web_1')");
      await page.click("nav a:has-text('Pipelines')");
      await page.waitForSelector("#pipelines tbody tr:has-text('other_pipeline')");
      expect(page.url()).toMatch(/#\/pipelines$/);
      expect(await page.locator("#pipelines tbody tr:has-text('other_pipeline')").textContent()).toContain("RUNNING");
      expect(await page.locator("#pipelines tbody tr:has-text('watermark')").textContent()).toContain("FAILED");
      await shot(page, "pipelines");

      await page.click("#pipelines tbody tr:has-text('watermark')");
      await page.waitForSelector("#pipeline-runs tbody tr:has-text('etl_web_1')");
      expect(page.url()).toMatch(/#\/pipelines\/watermark$/);
      expect(await page.textContent("#pipeline-runs")).not.toContain("etl_web_2");
      expect(await page.textContent("#pipeline-alerts")).toContain("min-success-rate");
      expect(await page.textContent("#control")).toContain("watermark");
      await page.waitForSelector("#fixtures tbody tr");
      await page.waitForFunction(() => window.watermarkCharts?.["chart-pipeline"]);
      const series = await chartSeries(page, "chart-pipeline");
      expect(series?.map((s) => s.label)).toEqual(["duration (s)", "rows upserted"]);
      expect(series?.[1]?.data).toEqual([9]);
      // Coverage and pending per day over 14 days: today from the control row, earlier days without a report are gaps.
      await page.waitForFunction(() => window.watermarkCharts?.["chart-pipeline-history"]);
      const history = await chartSeries(page, "chart-pipeline-history");
      expect(history?.map((s) => s.label)).toEqual(["coverage (%)", "pending"]);
      expect(history?.map((s) => s.data.length)).toEqual([14, 14]);
      expect([history?.[0]?.data.at(-1), history?.[1]?.data.at(-1)]).toEqual([90, 1]);
      expect(history?.[0]?.data.slice(0, 13).every((v) => v === null)).toBe(true);
      await shot(page, "pipeline-watermark");

      await page.goBack();
      await page.waitForSelector("#pipelines tbody tr");
      expect(page.url()).toMatch(/#\/pipelines$/);
      await page.goBack();
      await page.waitForSelector("#cards .card");
      expect(await page.getAttribute("nav a:has-text('Overview')", "aria-current")).toBe("page");
    } finally {
      await close();
    }
  });

  it("a run's page: summary, chunks, logs filtered by level and chunk, metrics with percentiles", async () => {
    const { page, close } = await openDashboard(stack.keys.viewer);
    try {
      await page.click("#runs tbody tr:has-text('etl_web_1')");
      await page.waitForSelector("#detail-logs tbody tr:has-text('Fixture 19154664 failed')");
      expect(page.url()).toMatch(/#\/runs\/etl_web_1$/);
      // The summary, cards and logs load in parallel: the logs may render first.
      await page.waitForSelector("#detail-summary:has-text('one fixture failed')");
      expect(await page.textContent("#run-cards")).toContain("FAILED");
      // So may the chunks and the metrics: each is waited for, not read as it happens to be.
      await page.waitForSelector("#run-chunks tbody tr:has-text('2451_23026')");
      const chunk = await page.locator("#run-chunks tbody tr:has-text('2451_23026')").allTextContents();
      expect(chunk[0]).toMatch(/2451_23026failed.*10.*9.*1.*0 \/ 1/);
      await page.waitForSelector("#run-metrics:has-text('chunk_duration')");
      const timeline = await chartSeries(page, "chart-chunks");
      expect(timeline?.[0]?.data).toHaveLength(2);

      // Every line shown has the column's value: level 2nd, chunk 6th.
      const onlyRowsWith = (column: number, values: string[]) =>
        page.waitForFunction(
          ({ column, values }) => {
            const cells = Array.from(document.querySelectorAll(`#detail-logs tbody tr td:nth-child(${column})`)).map(
              (td) => td.textContent ?? "",
            );
            return cells.length > 0 && cells.every((c) => values.includes(c));
          },
          { column, values },
        );
      await page.selectOption("#log-level", "ERROR");
      await onlyRowsWith(2, ["ERROR", "CRITICAL"]);
      expect(await page.textContent("#detail-logs")).toContain("Fixture 19154664 failed");
      expect(page.url()).toMatch(/level=ERROR/);
      await page.selectOption("#log-level", "");
      await page.waitForSelector("#log-chunk option[value='8_21646']", { state: "attached" });
      await page.selectOption("#log-chunk", "8_21646");
      await onlyRowsWith(6, ["8_21646"]);
      expect(await page.textContent("#detail-logs")).toContain("chunk claimed");
      // Refresh now keeps the filter.
      await page.click("#refresh");
      await page.waitForTimeout(300);
      expect(await page.inputValue("#log-chunk")).toBe("8_21646");
      await onlyRowsWith(6, ["8_21646"]);
      await page.selectOption("#log-chunk", "");
      await page.waitForFunction(() => document.querySelectorAll("#detail-logs tbody tr").length > 1);
      await shot(page, "run");
    } finally {
      await close();
    }
  });

  it("keeps the run opened last when an earlier run's page answers late", async () => {
    const { page, close } = await openDashboard(stack.keys.viewer);
    try {
      let release = () => {};
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const forFirstRun = (body: string | null) => (body ?? "").includes('"etl_web_1"');
      // Hold etl_web_1's summary until etl_web_2's page is on screen.
      await page.route(/\/rest\/v1\/rpc\/get_etl_execution_summary$/, async (route) => {
        if (forFirstRun(route.request().postData())) await gate;
        await route.continue();
      });
      await page.waitForSelector("#runs tbody tr:has-text('etl_web_2')");
      await page.click("#runs tbody tr:has-text('etl_web_1')");
      await page.goBack();
      await page.click("#runs tbody tr:has-text('etl_web_2')");
      await page.waitForFunction(() => document.querySelector("#detail-summary")?.textContent?.includes("other_pipeline"));
      const late = page.waitForResponse((r) => r.url().endsWith("/get_etl_execution_summary") && forFirstRun(r.request().postData()));
      release();
      await late;
      await page.waitForTimeout(300);
      expect(await page.textContent("#detail-id")).toBe("etl_web_2");
      expect(await page.textContent("#detail-summary")).not.toContain("one fixture failed");
    } finally {
      await close();
    }
  });

  it("runs & control: filters by pipeline and status, kept with the scroll position across a refresh", async () => {
    const { page, close } = await openDashboard(stack.keys.viewer, "#/runs");
    try {
      await page.waitForSelector("#runs tbody tr:has-text('etl_web_2')");
      await page.waitForSelector("#runs-pipeline option[value='other_pipeline']", { state: "attached" });
      await page.selectOption("#runs-pipeline", "other_pipeline");
      await page.waitForFunction(() => !document.querySelector("#runs")?.textContent?.includes("etl_web_1"));
      expect(await page.textContent("#runs")).toContain("etl_web_2");
      await page.selectOption("#runs-status", "COMPLETED");
      await page.waitForFunction(() => !document.querySelector("#runs")?.textContent?.includes("etl_web_2"));
      expect(await page.textContent("#runs")).toContain("etl_web_old");
      expect(page.url()).toMatch(/#\/runs\?pipeline=other_pipeline&status=COMPLETED$/);
      for (const id of ["#control", "#chunks", "#queue", "#rate-limits", "#schedules", "#invocations"]) {
        expect(await page.locator(`${id} thead th`).count()).toBeGreaterThan(2);
      }
      expect(await page.textContent("#schedules")).toContain("collect");

      await page.evaluate(() => window.scrollTo(0, 400));
      const before = await page.evaluate(() => window.scrollY);
      await page.click("#refresh");
      await page.waitForTimeout(500);
      expect(await page.evaluate(() => window.scrollY)).toBe(before);
      expect(await page.inputValue("#runs-pipeline")).toBe("other_pipeline");
      expect(await page.inputValue("#runs-status")).toBe("COMPLETED");
      expect(await page.textContent("#runs")).not.toContain("etl_web_2");
      await page.evaluate(() => window.scrollTo(0, 0));
      await shot(page, "runs-and-control");
    } finally {
      await close();
    }
  });

  it("runs & control: each schedule's state, a pause with its reason in full", async () => {
    await stack.query(
      `update watermark.function_schedules set paused_at = now(), paused_reason = 'HTTP 500: server_misconfigured: check SPORTMONKS_API_KEY'
        where function_name = 'collect'`,
    );
    await stack.query("update watermark.function_schedules set enabled = false where function_name = 'alerts'");
    const { page, close } = await openDashboard(stack.keys.viewer, "#/runs");
    try {
      const collect = page.locator("#schedules tbody tr:has-text('collect')");
      await collect.waitFor();
      expect(await collect.textContent()).toContain("paused");
      expect(await collect.textContent()).toContain("HTTP 500: server_misconfigured: check SPORTMONKS_API_KEY");
      expect(await page.locator("#schedules tbody tr:has-text('alerts')").textContent()).toContain("disabled");
    } finally {
      await close();
      await stack.query("update watermark.function_schedules set paused_at = null, paused_reason = null, enabled = true");
    }
  });

  it("runs & control: an operator requeues a chunk (audited); a viewer's button is disabled with why", async () => {
    await stack.query(`select public.sync_collection_catalog('[{"id": 9101, "name": "Web League"}]', '[{"id": 9102, "league_id": 9101}]')`);
    const viewer = await openDashboard(stack.keys.viewer, "#/runs");
    try {
      const button = viewer.page.locator("#chunks button[data-chunk='9101_9102']");
      await button.waitFor();
      expect(await button.isDisabled()).toBe(true);
      expect(await viewer.page.textContent("#requeue-note")).toContain("Requeue needs operator access");
    } finally {
      await viewer.close();
    }
    const operator = await openDashboard(stack.keys.operator, "#/runs");
    try {
      const button = operator.page.locator("#chunks button[data-chunk='9101_9102']");
      await button.waitFor();
      await button.click();
      await expect
        .poll(
          async () =>
            (await stack.query("select actor from watermark.chunk_audit where chunk_id = '9101_9102' and action = 'requeue'")).length,
        )
        .toBe(1);
      expect(await operator.page.isHidden("#requeue-error")).toBe(true);
    } finally {
      await operator.close();
    }
  });

  it("alerts: a viewer sees the history and notifications, and the mute buttons disabled with why", async () => {
    const { page, close } = await openDashboard(stack.keys.viewer, "#/alerts");
    try {
      await page.waitForSelector("#rules tbody tr:has-text('min-success-rate')");
      await page.waitForSelector("#alerts tbody tr:has-text('min-success-rate')");
      await page.waitForSelector("#alert-history tbody tr:has-text('→')");
      expect(await page.textContent("#alert-history")).toMatch(/→ (pending|firing)/);
      expect(await page.textContent("#mute-note")).toContain("need operator access");
      const buttons = page.locator("#rules button");
      expect(await buttons.count()).toBeGreaterThan(3);
      for (const disabled of await buttons.evaluateAll((bs) => bs.map((b) => (b as HTMLButtonElement).disabled)))
        expect(disabled).toBe(true);
      await shot(page, "alerts");
    } finally {
      await close();
    }
  });

  it("alerts: an operator mutes and unmutes a rule from the page", async () => {
    const { page, close } = await openDashboard(stack.keys.operator, "#/alerts");
    try {
      const button = page.locator("#rules button[data-rule='min-success-rate']");
      await button.waitFor();
      expect(await button.textContent()).toBe("Mute");
      await button.click();
      await page.waitForFunction(() => document.querySelector("#rules button[data-rule='min-success-rate']")?.textContent === "Unmute");
      const muted = await stack.query<{ muted: boolean }>(
        "select muted_until > now() as muted from watermark.alert_rules where rule_id = 'min-success-rate'",
      );
      expect(muted[0]?.muted).toBe(true);
      await page.click("#rules button[data-rule='min-success-rate']");
      await page.waitForFunction(() => document.querySelector("#rules button[data-rule='min-success-rate']")?.textContent === "Mute");
      expect(await page.isHidden("#mute-error")).toBe(true);
    } finally {
      await close();
    }
  });

  it("access audit: who changed what, calls per hour over 24 h, top callers, recent events", async () => {
    const { page, close } = await openDashboard(stack.keys.viewer, "#/audit");
    try {
      await page.waitForSelector("#changes tbody tr:has-text('set_alert_delivery_settings')");
      expect(await page.textContent("#changes")).toContain("failing_after_failures");
      expect(await page.textContent("#events")).toContain("start_etl_execution");
      expect(await page.locator("#top-callers tbody tr").count()).toBeGreaterThan(0);
      await page.waitForFunction(() => window.watermarkCharts?.["chart-audit"]);
      const perHour = await chartSeries(page, "chart-audit");
      expect(perHour?.map((s) => s.label)).toEqual(["runs and invocations", "changes"]);
      for (const s of perHour ?? []) expect(s.data).toHaveLength(24);
      expect(perHour?.[1]?.data.at(-1)).toBeGreaterThanOrEqual(1);
      await shot(page, "audit");
    } finally {
      await close();
    }
  });

  it("shows a signed-in user without viewer rights the permission error and no data", async () => {
    const { page, close } = await openDashboard(stack.keys.user);
    try {
      await page.waitForSelector("#error:not([hidden])");
      expect(await page.textContent("#error")).toContain("permission denied");
      expect(await page.textContent("#runs")).not.toContain("etl_web_1");
      await page.waitForSelector("#preflight-checks li");
      expect(await page.textContent("#preflight-checks")).toMatch(
        /FAILINGaccess.*permission denied: get_health_report needs viewer access.*Fix: /,
      );
      await shot(page, "no-rights");
    } finally {
      await close();
    }
  });
});
