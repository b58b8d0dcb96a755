// The Supabase CLI commands the README and docs/ tell a user to run must be ones the pinned CLI
// accepts, and the deploy section must reach the project: a command whose own --help says it
// targets the local stack by default needs --remote there. The README's `db push`, pointed at an
// empty local database, would push every migration.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { binDir, repoRoot } from "../../scripts/local/paths.ts";
import { dropDatabase } from "../../scripts/local/stack-control.ts";
import { databaseUrl, loadState, type StackState } from "../../scripts/local/state.ts";

interface CliCommand {
  /** Where it was written: file and section heading. */
  where: string;
  /** The words after `supabase`, e.g. ["db", "push", "--remote"]. */
  argv: string[];
}

/** Every `npx supabase …` in the fenced shell blocks of the README and docs/, with its section. */
function documentedCommands(): CliCommand[] {
  const files = ["README.md", ...readdirSync(path.join(repoRoot, "docs")).map((f) => `docs/${f}`)].filter((f) => f.endsWith(".md"));
  const commands: CliCommand[] = [];
  for (const file of files) {
    let section = "";
    let fence: string | undefined;
    for (const line of readFileSync(path.join(repoRoot, file), "utf8").split("\n")) {
      if (line.startsWith("```")) {
        fence = fence === undefined ? line.slice(3).trim() : undefined;
        continue;
      }
      if (fence === undefined) {
        if (line.startsWith("#")) section = line.replace(/^#+\s*/, "");
        continue;
      }
      if (fence !== "bash" && fence !== "sh") continue;
      for (const part of line.replace(/\s#.*$/, "").split(/&&|;/)) {
        const words = part.trim().split(/\s+/);
        if (words[0] === "npx" && words[1] === "supabase") commands.push({ where: `${file}: ${section}`, argv: words.slice(2) });
      }
    }
  }
  return commands;
}

const supabase = (args: string[]) =>
  spawnSync(path.join(binDir, "supabase"), args, { cwd: repoRoot, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });

const helps = new Map<string, ReturnType<typeof supabase>>();
/** `supabase <words> --help`, asked once per subcommand. */
function help(words: string[]): ReturnType<typeof supabase> {
  const key = words.join(" ");
  const cached = helps.get(key) ?? supabase([...words, "--help"]);
  helps.set(key, cached);
  return cached;
}

/** The subcommand words: the leading lowercase words (`secrets set`, not its NAME=value arguments). */
const subcommand = (argv: string[]) => argv.slice(0, argv.findIndex((w) => !/^[a-z][a-z-]*$/.test(w)) >>> 0);

const commands = documentedCommands();
const deploySection = commands.filter((c) => c.where === "README.md: Deploy to a Supabase project");

describe("Supabase CLI commands in the README and docs/", () => {
  it("finds the deploy section's commands", () => {
    expect(deploySection.map((c) => subcommand(c.argv).join(" "))).toEqual(
      expect.arrayContaining(["login", "link", "db push", "secrets set", "functions deploy"]),
    );
  });

  it.each(commands.map((c) => [`${c.where}: supabase ${c.argv.join(" ")}`, c] as const))("%s: the pinned CLI has it", (_, command) => {
    const words = subcommand(command.argv);
    const res = help(words);
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout).toContain(`supabase ${words.join(" ")} [flags]`);
    for (const flag of command.argv.filter((w) => w.startsWith("-")).map((w) => w.split("=")[0] ?? w)) {
      expect(res.stdout, `${flag} is not a flag of supabase ${words.join(" ")}`).toMatch(
        new RegExp(`(^|[\\s,])${flag.replace(/[-]/g, "\\-")}([\\s[=,]|$)`, "m"),
      );
    }
  });

  it.each(deploySection.map((c) => [`supabase ${c.argv.join(" ")}`, c] as const))(
    "%s: deploys to the project, not the local stack",
    (_, command) => {
      const target = /TARGET\n\s*(.+)/.exec(help(subcommand(command.argv)).stdout)?.[1] ?? "";
      if (/^Local by default/.test(target)) expect(command.argv.some((w) => w === "--remote" || w.startsWith("--remote="))).toBe(true);
      else expect(target).not.toMatch(/^Local only/);
    },
  );
});

describe("the README's db push", () => {
  const database = `test_deploy_push_${process.pid}`;
  let state: StackState;
  let url: string;

  beforeAll(async () => {
    const loaded = loadState();
    if (!loaded) throw new Error("the local stack is not running: `npm run stack -- up`");
    state = loaded;
    const admin = new pg.Client({ connectionString: databaseUrl(state) });
    await admin.connect();
    try {
      await admin.query(`drop database if exists ${database}`);
      await admin.query(`create database ${database}`);
    } finally {
      await admin.end();
    }
    url = databaseUrl(state, database);
  });
  afterAll(() => dropDatabase(state, database));

  it("pointed at an empty database with --remote=<url>, would push every migration there", () => {
    const push = deploySection.find((c) => subcommand(c.argv).join(" ") === "db push");
    if (!push) throw new Error("the deploy section has no `npx supabase db push`");
    const argv = push.argv.map((w) => (w === "--remote" ? `--remote=${url}` : w));
    const res = supabase([...argv, "--dry-run", "--output-format", "json", "--workdir", repoRoot]);
    expect(res.status, res.stderr).toBe(0);
    const report = JSON.parse(res.stdout.slice(0, res.stdout.lastIndexOf("}") + 1)) as {
      dryRun: boolean;
      migrations: string[];
      target: { kind: string; port: number };
    };
    expect(report.target).toMatchObject({ kind: "db-url", port: state.dbPort });
    expect(report.dryRun).toBe(true);
    expect(report.migrations).toEqual(
      readdirSync(path.join(repoRoot, "supabase/migrations"))
        .filter((f) => f.endsWith(".sql"))
        .sort(),
    );
  });
});
