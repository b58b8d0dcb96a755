// The local PostgreSQL 15 cluster, pg_cron preloaded. Where it lives: see clusterDir.

import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { appendFileSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { localDir, repoRoot } from "./paths.ts";
import { isRoot, pgBinarySucceeds, runPgBinary } from "./system.ts";

/** The postgres user's uid, gid and home, from the system's user database. */
function postgresUser(): { uid: number; gid: number; home: string } {
  let entry: string;
  try {
    entry = execFileSync("getent", ["passwd", "postgres"], { encoding: "utf8" }).trim();
  } catch {
    throw new Error("there is no postgres user: install the Debian package postgresql-15 (apt-get install -y postgresql-15)");
  }
  const [, , uid, gid, , home] = entry.split(":");
  if (!home) throw new Error(`unexpected passwd entry for postgres: ${entry}`);
  return { uid: Number(uid), gid: Number(gid), home };
}

let cachedDir: string | undefined;

/**
 * The cluster's directory (data, socket, server log). Run as root, initdb and postgres run as the
 * postgres user, who may not be able to enter the clone (one in /root or in a `mktemp -d` folder is
 * mode 700): the cluster then lives in the postgres user's home, one folder per clone, keyed by the
 * clone's path, and no permission of the user's directories changes. Otherwise in .local/pg.
 */
export function clusterDir(): string {
  cachedDir ??= isRoot ? path.join(postgresUser().home, "watermark", clusterKey()) : path.join(localDir, "pg");
  return cachedDir;
}

/** One folder name per clone: its name, for people, and a hash of its path, for uniqueness. */
function clusterKey(): string {
  const name = path.basename(repoRoot).replace(/[^A-Za-z0-9_.-]+/g, "_");
  return `${name}-${createHash("sha256").update(repoRoot).digest("hex").slice(0, 12)}`;
}

const dataDir = () => path.join(clusterDir(), "data");
const socketDir = () => path.join(clusterDir(), "run");

/** A directory initdb and postgres may write: owned by the postgres user when we are root. */
function postgresOwned(directory: string): void {
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  if (!isRoot) return;
  const { uid, gid } = postgresUser();
  chownSync(directory, uid, gid);
}

export function clusterExists(): boolean {
  return existsSync(path.join(dataDir(), "PG_VERSION"));
}

/** Creates the cluster in a fresh clusterDir (what a failed earlier attempt left is removed). */
export function initCluster(port: number, superuserPassword: string): void {
  removeCluster();
  if (isRoot) postgresOwned(path.dirname(clusterDir()));
  postgresOwned(clusterDir());
  postgresOwned(socketDir());
  const pwfile = path.join(clusterDir(), "pwfile");
  writeFileSync(pwfile, `${superuserPassword}\n`, { mode: 0o600 });
  try {
    if (isRoot) chownSync(pwfile, postgresUser().uid, postgresUser().gid);
    runPgBinary(
      "initdb",
      [
        "-D",
        dataDir(),
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
  } finally {
    rmSync(pwfile, { force: true });
  }
  appendFileSync(
    path.join(dataDir(), "postgresql.conf"),
    [
      "",
      "# Watermark local stack",
      `port = ${port}`,
      "listen_addresses = '127.0.0.1'",
      `unix_socket_directories = '${socketDir()}'`,
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
  const conf = readFileSync(path.join(dataDir(), "postgresql.conf"), "utf8");
  const matches = [...conf.matchAll(/^port = (\d+)/gm)];
  const last = matches.at(-1);
  if (!last) throw new Error("local cluster has no port in postgresql.conf; run `npm run stack -- reset`");
  return Number(last[1]);
}

const running = (data: string) => existsSync(path.join(data, "PG_VERSION")) && pgBinarySucceeds("pg_ctl", ["-D", data, "status"]);

export function clusterRunning(): boolean {
  return running(dataDir());
}

export function startCluster(): void {
  if (clusterRunning()) return;
  runPgBinary("pg_ctl", ["-D", dataDir(), "-l", path.join(clusterDir(), "postgres.log"), "-w", "-t", "60", "start"], { quiet: true });
}

export function stopCluster(): void {
  // A cluster an older version created under .local/pg while clusterDir is elsewhere now: stopped too.
  for (const data of new Set([dataDir(), path.join(localDir, "pg", "data")])) {
    if (running(data)) runPgBinary("pg_ctl", ["-D", data, "-m", "fast", "-w", "stop"], { quiet: true });
  }
}

/** Deletes the cluster's files (stop it first). */
export function removeCluster(): void {
  rmSync(clusterDir(), { recursive: true, force: true });
}
