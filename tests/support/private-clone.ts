// A copy of this working tree in a fresh `mktemp -d` folder (mode 700, like a clone in /root): the
// README's commands run there as a new user's would, with a stack of its own on its own ports.
import { spawnSync } from "node:child_process";
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { repoRoot } from "../../scripts/local/paths.ts";

export interface PrivateClone {
  dir: string;
  /** `npm run -s <script> -- <args>` in the clone; never throws, returns what it printed and its exit code. */
  npm(script: string, args?: string[], env?: Record<string, string | undefined>): { status: number | null; stdout: string; stderr: string };
  /** The environment its commands run with: the caller's, without Supabase, Sportmonks, Slack or Watermark settings. */
  env(): NodeJS.ProcessEnv;
  /** Stops its stack and deletes the clone and its cluster. */
  remove(): void;
}

/** The caller's environment without the settings that would point the clone's commands at another stack or API. */
function cleanEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^(SUPABASE_|SPORTMONKS_|WATERMARK_|SLACK_|DATABASE_URL$|VITEST|npm_)/.test(name)) env[name] = value;
  }
  for (const [name, value] of Object.entries(extra)) if (value !== undefined) env[name] = value;
  return env;
}

/** node_modules: the installed packages of this tree, with the workspace packages pointing at the clone's own. */
function linkNodeModules(dir: string): void {
  const source = path.join(repoRoot, "node_modules");
  const target = path.join(dir, "node_modules");
  mkdirSync(target);
  for (const entry of readdirSync(source)) {
    if (entry === "@watermark") continue;
    symlinkSync(path.join(source, entry), path.join(target, entry));
  }
  mkdirSync(path.join(target, "@watermark"));
  for (const pkg of readdirSync(path.join(source, "@watermark"))) {
    symlinkSync(path.join(dir, "packages", pkg), path.join(target, "@watermark", pkg));
  }
}

/** Top-level entries a clone does not get: the git database, installed packages, the stack's state. */
const SKIPPED = new Set([".git", "node_modules", ".local"]);

export function createPrivateClone(): PrivateClone {
  const dir = mkdtempSync(path.join(tmpdir(), "watermark-clone-"));
  chmodSync(dir, 0o700);
  // The working tree as it is (a download without .git too), without what installs and runs produce.
  cpSync(repoRoot, dir, {
    recursive: true,
    filter: (from) => !SKIPPED.has(path.relative(repoRoot, from).split(path.sep)[0] ?? ""),
  });
  linkNodeModules(dir);
  const npm: PrivateClone["npm"] = (script, args = [], env = {}) => {
    const res = spawnSync("npm", ["run", "-s", script, "--", ...args], { cwd: dir, env: cleanEnv(env), encoding: "utf8" });
    return { status: res.status, stdout: res.stdout, stderr: res.stderr };
  };
  return {
    dir,
    npm,
    env: () => cleanEnv({}),
    remove() {
      const status = npm("stack", ["status"]);
      npm("stack", ["down"]);
      const data = /^data: (.+)$/m.exec(status.stdout)?.[1];
      if (data?.includes("watermark")) rmSync(data, { recursive: true, force: true });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
