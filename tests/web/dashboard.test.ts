// The web dashboard in a real browser (Debian's chromium) against a private test stack:
// what a viewer sees, and that a user without rights sees no data.

import { startDashboardServer } from "@watermark/dashboard/server";
import { type Browser, chromium } from "playwright-core";
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

let stack: TestStack;
let browser: Browser;

async function openDashboard(accessToken: string) {
  const server = await startDashboardServer({ supabaseUrl: stack.supabaseUrl, apiKey: stack.keys.anon, accessToken });
  const page = await browser.newPage();
  await page.goto(server.url);
  return {
    page,
    close: async () => {
      await page.close();
      await server.close();
    },
  };
}

beforeAll(async () => {
  stack = await createTestStack("web-dashboard");
  await stack.query(`
    select public.start_etl_execution('etl_web_1', '{}'::jsonb, 'watermark', 'manual');
    select public.log_etl_event('ERROR', 'CHUNK_PROCESSOR', 'Fixture 19154664 failed', '{}'::jsonb, 'etl_web_1', '2451_23026', 19154664);
    select public.record_etl_metric('etl_web_1', 'chunk_duration', 45.5, 's');
    select public.finish_etl_execution('etl_web_1', 'FAILED', 10, 10, 9, 1, 1, 1, 'one fixture failed', 9);
    select public.start_etl_execution('etl_web_2', '{}'::jsonb, 'other_pipeline', 'schedule');
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
  it("shows a viewer the summary, runs, errors and metrics, and a run's detail on click", async () => {
    const { page, close } = await openDashboard(stack.keys.viewer);
    try {
      await page.waitForSelector("#runs tbody tr:has-text('etl_web_1')");
      expect(await page.textContent("#cards")).toContain("executions");
      expect(await page.locator("#cards .card").first().locator(".value").textContent()).toBe("2");
      expect(await page.textContent("#running")).toContain("etl_web_2");
      expect(await page.textContent("#errors")).toContain("Fixture 19154664 failed");
      expect(await page.textContent("#metrics")).toContain("chunk_duration");
      expect(await page.isHidden("#error")).toBe(true);
      // The header shows the database's health verdict, driven by the firing alert listed below it.
      expect(await page.textContent("#overall")).toBe("degraded");
      expect(await page.textContent("#alerts")).toContain("min-success-rate");
      await page.click("#runs tbody tr:has-text('etl_web_1')");
      await page.waitForSelector("#detail-logs tbody tr:has-text('Fixture 19154664 failed')");
      expect(await page.textContent("#detail-summary")).toContain("one fixture failed");
    } finally {
      await close();
    }
  });

  it("shows each schedule's state: active, paused with its reason and how to resume, disabled", async () => {
    await stack.query(
      `update watermark.function_schedules set paused_at = now(), paused_reason = 'HTTP 500: server_misconfigured: check SPORTMONKS_API_KEY'
        where function_name = 'collect'`,
    );
    await stack.query("update watermark.function_schedules set enabled = false where function_name = 'alerts'");
    const { page, close } = await openDashboard(stack.keys.viewer);
    try {
      const collect = page.locator("#schedules tbody tr:has-text('collect')");
      await collect.waitFor();
      expect(await collect.locator("td").nth(2).textContent()).toBe("paused");
      expect(await collect.textContent()).toContain(
        "HTTP 500: server_misconfigured: check SPORTMONKS_API_KEY; fix it, then resume_function_schedule('collect')",
      );
      expect(await page.locator("#schedules tbody tr:has-text('alerts') td").nth(2).textContent()).toBe("disabled");
    } finally {
      await close();
      await stack.query("update watermark.function_schedules set paused_at = null, paused_reason = null, enabled = true");
    }
  });

  it("keeps the run selected last when an earlier selection's detail answers late", async () => {
    const { page, close } = await openDashboard(stack.keys.viewer);
    try {
      let release = () => {};
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const forFirstRun = (body: string | null) => (body ?? "").includes('"etl_web_1"');
      // Hold etl_web_1's detail (summary and logs) until etl_web_2's detail is on screen.
      await page.route(/\/rest\/v1\/rpc\/(get_etl_execution_summary|get_etl_logs)$/, async (route) => {
        if (forFirstRun(route.request().postData())) await gate;
        await route.continue();
      });
      await page.waitForSelector("#runs tbody tr:has-text('etl_web_2')");
      await page.click("#runs tbody tr:has-text('etl_web_1')");
      await page.click("#runs tbody tr:has-text('etl_web_2')");
      await page.waitForFunction(() => document.querySelector("#detail-id")?.textContent === "etl_web_2");
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

  it("shows a signed-in user without viewer rights the permission error and no data", async () => {
    const { page, close } = await openDashboard(stack.keys.user);
    try {
      await page.waitForSelector("#error:not([hidden])");
      expect(await page.textContent("#error")).toContain("permission denied");
      expect(await page.textContent("#runs")).not.toContain("etl_web_1");
    } finally {
      await close();
    }
  });
});
