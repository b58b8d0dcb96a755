// The one way scripts run psql: against a URL, without ~/.psqlrc, stopping at the first error.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { repoRoot } from "./paths.ts";

export interface PsqlRun {
  /** -c: one command; psql's meta-commands (\copy …) work too. */
  command?: string;
  /** -f: a file of statements. */
  file?: string;
  /** -v name=value, read in the SQL as :'name'. */
  vars?: Record<string, string>;
  /** Sent to stdin, e.g. the rows of `\copy … from stdin`. */
  input?: string;
  /** Unaligned tuples only (-At): stdout is the bare values. */
  values?: boolean;
}

/** Runs psql once; returns its stdout (trimmed with `values`), or throws with psql's stderr. */
export function psql(url: string, run: PsqlRun): string {
  if ((run.command === undefined) === (run.file === undefined)) throw new Error("psql: give exactly one of command or file");
  const args = [url, "-X", "-q", "-v", "ON_ERROR_STOP=1", ...(run.values ? ["-At"] : [])];
  for (const [name, value] of Object.entries(run.vars ?? {})) args.push("-v", `${name}=${value}`);
  args.push(...(run.file !== undefined ? ["-f", run.file] : ["-c", run.command as string]));
  const res = spawnSync("psql", args, { input: run.input, encoding: "utf8", maxBuffer: 1 << 30 });
  if (res.error) throw new Error(`psql could not run: ${res.error.message}`, { cause: res.error });
  if (res.status !== 0) {
    const what = run.file !== undefined ? `-f ${path.relative(repoRoot, run.file)}` : `-c ${(run.command as string).slice(0, 60)}`;
    throw new Error(`psql ${what} failed:\n${res.stderr}`);
  }
  return run.values ? res.stdout.trim() : res.stdout;
}
