// The README's commands from a clone no other user can enter (mode 700, like /root/watermark or a
// `mktemp -d` folder) — run as root, PostgreSQL runs as the postgres user, which cannot — and the
// stack that comes back after `down` and `up` as it was: the simulator `npm start` recorded runs
// again and the collect schedule succeeds; without usable settings the schedule is paused with the
// reason, which `stack status` shows, instead of failing every minute.
import { statSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPrivateClone, type PrivateClone } from "../support/private-clone.ts";

describe("a clone in a private directory (mode 700)", () => {
  let clone: PrivateClone;
  beforeAll(() => {
    clone = createPrivateClone();
  });
  afterAll(() => clone?.remove(), 120_000);

  it("brings the stack up, reports it, takes it down", () => {
    expect(statSync(clone.dir).mode & 0o777).toBe(0o700);
    const up = clone.npm("stack", ["up"]);
    expect(up.status, up.stderr).toBe(0);
    const status = clone.npm("stack", ["status"]);
    expect(status.status, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/^database: running/m);
    expect(status.stdout).toMatch(/^gateway: running/m);
    const down = clone.npm("stack", ["down"]);
    expect(down.status, down.stderr).toBe(0);
    expect(clone.npm("stack", ["status"]).stdout).toMatch(/^database: stopped/m);
  }, 300_000);
});
