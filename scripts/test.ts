// npm test: sets everything up on a fresh machine (the local stack, Debian packages as root), then
// runs every check in order and stops at the first failure:
//   lint → typecheck → deno check → type drift → bundle drift → advisors → pgTAP → vitest
// and ends with one line: `N passed, N failed`.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { functionNames } from "./build-functions.ts";
import { binDir, localDir, repoRoot } from "./local/paths.ts";
import { psql } from "./local/psql.ts";
import { cloneTemplateDatabase, dropDatabase, stackUp, TEMPLATE_DB } from "./local/stack-control.ts";
import { databaseUrl, type StackState, stackEnv } from "./local/state.ts";
import { ensureDebianPackages } from "./local/system.ts";

interface Counts {
  passed: number;
  failed: number;
}

interface Step {
  name: string;
  run: () => Promise<Counts>;
}

const bin = (name: string) => path.join(binDir, name);

/** Runs a command with its output shown live; resolves with its exit code and (optionally) its captured stdout. */
function run(cmd: string, args: string[], options: { env?: Record<string, string>; capture?: boolean } = {}) {
  return new Promise<{ code: number; stdout: string }>((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: repoRoot,
      env: { ...process.env, ...options.env },
      stdio: ["ignore", options.capture ? "pipe" : "inherit", "inherit"],
    });
    let stdout = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString("utf8");
      process.stdout.write(chunk);
    });
    child.once("error", reject);
    child.once("close", (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout }));
  });
}

/** A check that passes or fails as a whole. */
async function check(cmd: string, args: string[], env?: Record<string, string>): Promise<Counts> {
  const { code } = await run(cmd, args, { env });
  return code === 0 ? { passed: 1, failed: 0 } : { passed: 0, failed: 1 };
}

function tsFilesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .flatMap((entry) => {
      const full = path.join(dir, entry);
      if (statSync(full).isDirectory()) return tsFilesUnder(full);
      return entry.endsWith(".ts") ? [full] : [];
    });
}

/** Core and every function handler (functions/_shared is checked through the handlers that import it). */
function denoCheckTargets(): string[] {
  const handlers = functionNames().map((name) => path.join(repoRoot, "functions", name, "index.ts"));
  return [...tsFilesUnder(path.join(repoRoot, "packages/core/src")), ...handlers].map((f) => path.relative(repoRoot, f));
}

/** pg_prove's summary: every test of every file, minus the failed subtests it lists. */
function pgProveCounts(output: string, code: number): Counts {
  const total = Number(/Tests=(\d+)/.exec(output)?.[1] ?? 0);
  let failed = 0;
  for (const m of output.matchAll(/Failed (\d+)\/\d+ subtests/g)) failed += Number(m[1]);
  if (code !== 0 && failed === 0) failed = 1; // a file died before its plan: count it
  return { passed: Math.max(total - failed, 0), failed };
}

async function pgTap(state: StackState): Promise<Counts> {
  const files = readdirSync(path.join(repoRoot, "supabase/tests/database"))
    .filter((f) => f.endsWith(".sql"))
    .sort()
    .map((f) => `supabase/tests/database/${f}`);
  const database = `test_pgtap_${randomBytes(4).toString("hex")}`;
  const url = await cloneTemplateDatabase(state, database);
  try {
    const personas = path.join(repoRoot, "supabase/tests/support/personas.sql");
    try {
      psql(url, existsSync(personas) ? { file: personas } : { command: "create extension if not exists pgtap with schema extensions" });
    } catch (err) {
      console.error(err instanceof Error ? err.message : String(err));
      return { passed: 0, failed: 1 };
    }
    const env = {
      PGHOST: "127.0.0.1",
      PGPORT: String(state.dbPort),
      PGUSER: "postgres",
      PGPASSWORD: state.dbPassword,
      PGDATABASE: database,
    };
    const { code, stdout } = await run("pg_prove", ["--failures", ...files], { env, capture: true });
    return pgProveCounts(stdout, code);
  } finally {
    await dropDatabase(state, database);
  }
}

async function vitest(): Promise<Counts> {
  const report = path.join(localDir, "vitest-report.json");
  rmSync(report, { force: true });
  // The stack is already up: global setup need not redo it.
  const { code } = await run(bin("vitest"), ["run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`], {
    env: { WATERMARK_STACK_READY: "1" },
  });
  if (!existsSync(report)) return { passed: 0, failed: 1 };
  const result = JSON.parse(readFileSync(report, "utf8")) as { numPassedTests: number; numFailedTests: number };
  const failed = result.numFailedTests + (code !== 0 && result.numFailedTests === 0 ? 1 : 0);
  return { passed: result.numPassedTests, failed };
}

function steps(state: StackState): Step[] {
  const env = stackEnv(state);
  const templateUrl = databaseUrl(state, TEMPLATE_DB);
  return [
    { name: "lint (biome)", run: () => check(bin("biome"), ["check", "."]) },
    { name: "typecheck (tsc)", run: () => check(bin("tsc"), ["--noEmit", "-p", "tsconfig.json"]) },
    { name: "deno check (core, functions)", run: () => check(bin("deno"), ["check", "--config", "deno.json", ...denoCheckTargets()]) },
    {
      name: "type drift (gen:types --check)",
      run: () => check(process.execPath, ["--import", "tsx", "scripts/gen-types.ts", "--check"], env),
    },
    {
      name: "function bundle drift (build:functions --check)",
      run: () => check(process.execPath, ["--import", "tsx", "scripts/build-functions.ts", "--check"]),
    },
    {
      name: "security advisors (supabase db advisors)",
      run: () =>
        check(bin("supabase"), [
          "db",
          "advisors",
          `--remote=${templateUrl}`,
          "--type",
          "security",
          "--level",
          "warn",
          "--fail-on",
          "warn",
          "--workdir",
          repoRoot,
        ]),
    },
    { name: "pgTAP (pg_prove)", run: () => pgTap(state) },
    { name: "vitest", run: vitest },
  ];
}

async function main(): Promise<number> {
  const log = (line: string) => console.error(`test: ${line}`);
  // The browser test drives Debian's chromium (no browser download is possible here).
  ensureDebianPackages([{ name: "chromium", proof: "/usr/bin/chromium" }]);
  log("setting up the local stack (npm run stack -- up)");
  // Bundles are checked for drift below, so setup must not rewrite them.
  const state = await stackUp((line) => log(`stack: ${line}`), { buildFunctions: false });
  const total: Counts = { passed: 0, failed: 0 };
  const summary: string[] = [];
  for (const step of steps(state)) {
    log(`── ${step.name}`);
    const counts = await step.run();
    total.passed += counts.passed;
    total.failed += counts.failed;
    const ok = counts.failed === 0;
    summary.push(
      `  ${ok ? "ok  " : "FAIL"}  ${step.name}${counts.passed + counts.failed > 1 ? ` (${counts.passed} passed, ${counts.failed} failed)` : ""}`,
    );
    if (!ok) {
      summary.push(`stopped at the first failure: ${step.name} (its output is above)`);
      break;
    }
  }
  console.error(`\ntest: summary\n${summary.join("\n")}`);
  console.log(`${total.passed} passed, ${total.failed} failed`);
  return total.failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`test: ${err instanceof Error ? err.message : String(err)}`);
    console.log("0 passed, 1 failed");
    process.exit(1);
  },
);
