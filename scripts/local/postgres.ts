// The local PostgreSQL 15 cluster: created under .local/pg, pg_cron preloaded.

import { execFileSync } from "node:child_process";
import { appendFileSync, chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pgDataDir, pgDir, pgSocketDir } from "./paths.ts";
import { isRoot, pgBinarySucceeds, runPgBinary } from "./system.ts";

/** initdb and postgres run as the postgres user when we are root: hand them what they touch. */
function giveToPostgres(file: string): void {
  if (!isRoot) return;
  const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
  const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
  chownSync(file, uid, gid);
}

function postgresOwned(dir: string): void {
  mkdirSync(dir, { recursive: true });
  giveToPostgres(dir);
}

export function clusterExists(): boolean {
  return existsSync(path.join(pgDataDir, "PG_VERSION"));
}

export function initCluster(port: number, superuserPassword: string): void {
  postgresOwned(pgDir);
  postgresOwned(pgSocketDir);
  const pwfile = path.join(pgDir, "pwfile");
  writeFileSync(pwfile, `${superuserPassword}\n`, { mode: 0o600 });
  giveToPostgres(pwfile);
  runPgBinary(
    "initdb",
    [
      "-D",
      pgDataDir,
      "-U",
      "postgres",
      "--auth-local=trust",
      "--auth-host=scram-sha-256",
      `--pwfile=${pwfile}`,
      "-E",
      "UTF8",
      "--locale=C.UTF-8",
    ],
    { quiet: true },
  );
  appendFileSync(
    path.join(pgDataDir, "postgresql.conf"),
    [
      "",
      "# Watermark local stack",
      `port = ${port}`,
      "listen_addresses = '127.0.0.1'",
      `unix_socket_directories = '${pgSocketDir}'`,
      "shared_preload_libraries = 'pg_cron'",
      "cron.database_name = 'postgres'",
      "cron.use_background_workers = on",
      "max_worker_processes = 16",
      "max_connections = 200",
      "timezone = 'UTC'",
      // A disposable development cluster: durability traded for speed.
      "fsync = off",
      "synchronous_commit = off",
      "full_page_writes = off",
      // Marks this cluster as the local stack; the bootstrap refuses to run elsewhere.
      "watermark.local_stack = on",
      "",
    ].join("\n"),
  );
}

export function clusterPort(): number {
  const conf = readFileSync(path.join(pgDataDir, "postgresql.conf"), "utf8");
  const matches = [...conf.matchAll(/^port = (\d+)/gm)];
  const last = matches.at(-1);
  if (!last) throw new Error("local cluster has no port in postgresql.conf; run `npm run stack -- reset`");
  return Number(last[1]);
}

export function clusterRunning(): boolean {
  if (!clusterExists()) return false;
  return pgBinarySucceeds("pg_ctl", ["-D", pgDataDir, "status"]);
}

export function startCluster(): void {
  if (clusterRunning()) return;
  runPgBinary("pg_ctl", ["-D", pgDataDir, "-l", path.join(pgDir, "postgres.log"), "-w", "-t", "60", "start"], { quiet: true });
}

export function stopCluster(): void {
  if (!clusterRunning()) return;
  runPgBinary("pg_ctl", ["-D", pgDataDir, "-m", "fast", "-w", "stop"], { quiet: true });
}
