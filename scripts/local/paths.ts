// Where the local stack keeps its state: everything under .local/ (gitignored).

import path from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const localDir = path.join(repoRoot, ".local");
export const pgDir = path.join(localDir, "pg");
export const pgDataDir = path.join(pgDir, "data");
export const pgSocketDir = path.join(pgDir, "run");
export const logDir = path.join(localDir, "logs");
export const stateFile = path.join(localDir, "stack.json");
export const binDir = path.join(repoRoot, "node_modules", ".bin");
