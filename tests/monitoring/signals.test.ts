// SIGTERM to a monitored Node script ends its execution as CANCELLED, recorded in the database.
import { spawn } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestStack, type TestStack } from "../support/test-stack.ts";

let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack("monitoring-signals");
});
afterAll(async () => {
  await stack?.close();
});

it.each(["SIGTERM", "SIGINT"] as const)("%s cancels the run and records why", async (sig) => {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(import.meta.dirname, "fixtures/signal-run.ts")], {
    env: { ...process.env, SUPABASE_URL: stack.supabaseUrl, SUPABASE_SERVICE_ROLE_KEY: stack.keys.serviceRole },
  });
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  const executionId = await new Promise<string>((resolve, reject) => {
    child.stdout.on("data", (d) => {
      stdout += d;
      const m = /started (\S+)/.exec(stdout);
      if (m?.[1]) resolve(m[1]);
    });
    child.on("close", () => reject(new Error(`script exited before starting: ${stderr}`)));
  });
  child.kill(sig);
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  expect(stderr).toBe("");
  expect(code).toBe(0);
  expect(stdout).toContain("finished CANCELLED");
  const rows = await stack.query<{ status: string; error_message: string }>(
    "select status, error_message from watermark.etl_executions where execution_id = $1",
    [executionId],
  );
  expect(rows).toEqual([{ status: "CANCELLED", error_message: `received ${sig}` }]);
});
