// Where the local stack keeps its state: under .local/ (gitignored). The PostgreSQL cluster's
// own files may live elsewhere (scripts/local/postgres.ts: clusterDir).

import path from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const localDir = path.join(repoRoot, ".local");
export const logDir = path.join(localDir, "logs");
export const stateFile = path.join(localDir, "stack.json");
export const binDir = path.join(repoRoot, "node_modules", ".bin");
