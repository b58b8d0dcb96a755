// Host facts and the Debian packages the local stack needs, installed when we are root.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

export const isRoot = process.getuid?.() === 0;

function pgBinDir(): string {
  const out = spawnSync("pg_config", ["--bindir"], { encoding: "utf8" });
  if (out.status !== 0) {
    throw new Error("pg_config not found: install the Debian package postgresql-15 (apt-get install -y postgresql-15)");
  }
  return out.stdout.trim();
}

function pgShareDir(): string {
  return execFileSync("pg_config", ["--sharedir"], { encoding: "utf8" }).trim();
}

function pgLibDir(): string {
  return execFileSync("pg_config", ["--pkglibdir"], { encoding: "utf8" }).trim();
}

/** Each Debian package with the file that proves it is installed. */
function requiredPackages(): Array<{ name: string; proof: string }> {
  return [
    { name: "postgresql-15-cron", proof: `${pgLibDir()}/pg_cron.so` },
    { name: "postgresql-15-pgtap", proof: `${pgShareDir()}/extension/pgtap.control` },
    { name: "libtap-parser-sourcehandler-pgtap-perl", proof: "/usr/bin/pg_prove" },
    { name: "postgresql-15-plpgsql-check", proof: `${pgLibDir()}/plpgsql_check.so` },
  ];
}

/** Installs what is missing (as root) or stops with the exact apt command to run. */
export function ensureDebianPackages(extra: Array<{ name: string; proof: string }> = []): void {
  const missing = [...requiredPackages(), ...extra].filter((p) => !existsSync(p.proof)).map((p) => p.name);
  if (missing.length === 0) return;
  const command = `apt-get update && apt-get install -y ${missing.join(" ")}`;
  if (!isRoot) {
    throw new Error(`missing Debian packages: ${missing.join(", ")}. Run as root: ${command}`);
  }
  console.error(`installing Debian packages: ${missing.join(", ")}`);
  for (const args of [
    ["update", "-qq"],
    ["install", "-y", "-qq", ...missing],
  ]) {
    const res = spawnSync("apt-get", args, {
      stdio: ["ignore", "ignore", "inherit"],
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
    if (res.status !== 0) throw new Error(`apt-get ${args.join(" ")} failed (exit ${res.status})`);
  }
}

/** Runs a PostgreSQL server binary, as the postgres user when we are root (initdb and pg_ctl refuse root). */
function spawnPgBinary(binary: string, args: string[], quiet: boolean) {
  const full = `${pgBinDir()}/${binary}`;
  const [cmd, argv] = isRoot ? ["runuser", ["-u", "postgres", "--", full, ...args]] : [full, args];
  return spawnSync(cmd, argv, { stdio: quiet ? ["ignore", "ignore", "pipe"] : "inherit", encoding: "utf8" });
}

export function pgBinarySucceeds(binary: string, args: string[]): boolean {
  return spawnPgBinary(binary, args, true).status === 0;
}

export function runPgBinary(binary: string, args: string[], opts: { quiet?: boolean } = {}): void {
  const res = spawnPgBinary(binary, args, opts.quiet ?? false);
  if (res.status !== 0) {
    throw new Error(`${binary} ${args.join(" ")} failed (exit ${res.status}): ${res.stderr ?? ""}`);
  }
}
