// scripts/local/psql.ts: the one psql runner the stack, npm test and the benchmarks use.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { psql } from "../../scripts/local/psql.ts";
import { createTestStack, type TestStack } from "../support/test-stack.ts";

let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack("psql");
});
afterAll(async () => stack?.close());

describe("psql", () => {
  it("returns bare values with `values`", () => {
    expect(psql(stack.databaseUrl, { command: "select 40 + 2", values: true })).toBe("42");
  });

  it("runs a file with -v variables and stops at its first error", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "psql-test-"));
    const file = path.join(dir, "probe.sql");
    writeFileSync(file, "create table public.psql_probe (v text);\ninsert into public.psql_probe values (:'word');\n");
    psql(stack.databaseUrl, { file, vars: { word: "it's" } });
    expect(psql(stack.databaseUrl, { command: "select v from public.psql_probe", values: true })).toBe("it's");
    // The table exists now: the file fails on its first statement and inserts nothing.
    expect(() => psql(stack.databaseUrl, { file })).toThrow(/psql -f .*probe\.sql failed:\n.*already exists/);
    expect(psql(stack.databaseUrl, { command: "select count(*) from public.psql_probe", values: true })).toBe("1");
  });

  it("feeds `input` to \\copy … from stdin and returns \\copy … to stdout untrimmed", () => {
    psql(stack.databaseUrl, { command: "create table public.psql_copy (a int, b text)" });
    psql(stack.databaseUrl, { command: "\\copy public.psql_copy from stdin", input: "1\tone\n2\ttwo\n" });
    expect(psql(stack.databaseUrl, { command: "\\copy (select * from public.psql_copy order by a) to stdout" })).toBe("1\tone\n2\ttwo\n");
  });

  it("needs exactly one of command and file", () => {
    expect(() => psql(stack.databaseUrl, {})).toThrow("give exactly one of command or file");
  });
});
