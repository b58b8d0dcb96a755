// `npm run stack -- env` is meant for `eval "$(npm run -s stack -- env)"`: the settings must reach
// the programs the shell runs next (exported), and survive the shell's quoting whatever they hold.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../../scripts/local/paths.ts";
import { requireStackEnv } from "../../scripts/local/stack-control.ts";
import { exportLines } from "../../scripts/local/state.ts";

/** Runs `script` in bash from the repo root, without the caller's Supabase settings. */
function bash(script: string, ...args: string[]) {
  const env = { ...process.env };
  for (const name of Object.keys(env)) if (/^(SUPABASE_|WATERMARK_|DATABASE_URL$)/.test(name)) delete env[name];
  return spawnSync("bash", ["-c", script, "bash", ...args], { cwd: repoRoot, env, encoding: "utf8" });
}

describe("npm run stack -- env", () => {
  it("exports the settings to child processes after the README's eval", () => {
    const res = bash(`eval "$(npm run -s stack -- env)" && python3 -c 'import os; print(os.environ["SUPABASE_URL"])'`);
    expect(res.stderr).toBe("");
    expect(res.stdout.trim()).toBe(requireStackEnv().SUPABASE_URL);
  });

  it("quotes each value for the shell, quotes and spaces included", () => {
    const values = { A: 'it\'s $HOME `x` "y" \\ z', B: "" };
    const res = bash(`eval "$1" && node -e 'console.log(JSON.stringify([process.env.A, process.env.B]))'`, exportLines(values));
    expect(res.stderr).toBe("");
    expect(JSON.parse(res.stdout)).toEqual([values.A, values.B]);
  });
});
