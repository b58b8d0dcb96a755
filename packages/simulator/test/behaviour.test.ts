import { describe, expect, it } from "vitest";
import { STATES, startSimulator } from "../src/index.ts";
import { api, FIXED_NOW, simulator } from "./support.ts";

const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;

describe("per-entity hourly rate limits", () => {
  it("sends 429 with Retry-After once an entity's budget is spent, leaves other entities alone, and resets after an hour", async () => {
    const sim = await simulator({ hourlyLimit: 3 });
    for (let i = 0; i < 3; i++) expect((await api(sim, "fixtures")).status).toBe(200);
    const limited = await api(sim, "fixtures");
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("3600");
    expect(limited.body.code).toBe(5005);
    expect(limited.body.rate_limit).toEqual({ resets_in_seconds: 3600, remaining: 0, requested_entity: "Fixture" });
    expect((await api(sim, "leagues")).body.rate_limit.remaining).toBe(2);

    sim.advanceTime(HOUR_MS);
    const reset = await api(sim, "fixtures");
    expect(reset.status).toBe(200);
    expect(reset.body.rate_limit.remaining).toBe(2);
    expect(sim.stats().rateLimited).toBe(1);
    expect(sim.stats().byEntity).toEqual({ Fixture: 4, League: 1 });
  });

  it("/__stats reports each entity's current window beside the running counters", async () => {
    const sim = await simulator({ hourlyLimit: 5 });
    await api(sim, "fixtures");
    sim.advanceTime(10 * MINUTE_MS);
    await api(sim, "fixtures");
    await api(sim, "leagues");
    const stats = await (await fetch(`${sim.url}/__stats`)).json();
    expect(stats.rateLimits).toEqual({
      Fixture: { used: 2, limit: 5, remaining: 3, resetsInSeconds: 3000 },
      League: { used: 1, limit: 5, remaining: 4, resetsInSeconds: 3600 },
    });
    // The Fixture window closes an hour after its first call; the counters still add up since start.
    sim.advanceTime(50 * MINUTE_MS);
    await api(sim, "fixtures");
    expect(sim.stats().rateLimits.Fixture).toEqual({ used: 1, limit: 5, remaining: 4, resetsInSeconds: 3600 });
    expect(sim.stats().byEntity.Fixture).toBe(3);
    // A reset clears the counters, not the budget.
    const reset = await (await fetch(`${sim.url}/__stats/reset`, { method: "POST" })).json();
    expect(reset.byEntity).toEqual({});
    expect(reset.rateLimits.Fixture.used).toBe(1);
    sim.advanceTime(HOUR_MS);
    expect(sim.stats().rateLimits).toEqual({});
  });

  it("reports resets_in_seconds in wall-clock seconds when time is scaled", async () => {
    const sim = await simulator({ timeScale: 3600 });
    const { body } = await api(sim, "leagues");
    expect(body.rate_limit.resets_in_seconds).toBeLessThanOrEqual(1);
  });
});

describe("fixtures change state over simulated time", () => {
  it("goes NS → 1st half → HT → 2nd half → FT, with events, scores and latest following", async () => {
    const sim = await simulator();
    const script = sim.dataset.fixtureList.find(
      (f) => f.kickoffMs > sim.now() && f.appearsAtMs <= sim.now() && !f.incident && f.events.some((e) => e.typeId === 14),
    );
    if (!script) throw new Error("dataset has no upcoming fixture with goals");
    const get = async () => (await api(sim, `fixtures/${script.id}?include=events;scores;lineups`)).body.data;

    expect(await get()).toMatchObject({ state_id: 1, result_info: null, events: [], scores: [] });
    sim.advanceTime(script.kickoffMs - sim.now() + 10 * MINUTE_MS);
    const firstHalf = await get();
    expect(firstHalf.state_id).toBe(2);
    expect(firstHalf.lineups).toHaveLength(36);
    expect(firstHalf.events.every((e: { minute: number }) => e.minute <= 11)).toBe(true);

    sim.advanceTime(script.kickoffMs + 45 * MINUTE_MS - sim.now());
    expect((await get()).state_id).toBe(3);
    const latest = await api(sim, "fixtures/latest");
    expect(latest.body.data.map((f: { id: number }) => f.id)).toContain(script.id);

    sim.advanceTime(30 * MINUTE_MS);
    expect((await get()).state_id).toBe(22);

    sim.advanceTime(HOUR_MS);
    const final = await get();
    expect(final.state_id).toBe(5);
    expect(final.result_info).not.toBeNull();
    expect(final.events.filter((e: { type_id: number }) => e.type_id === 14)).toHaveLength(
      script.events.filter((e) => e.typeId === 14).length,
    );
    sim.advanceTime(HOUR_MS);
    const quiet = await api(sim, "fixtures/latest");
    expect((quiet.body.data ?? []).map((f: { id: number }) => f.id)).not.toContain(script.id);
  });

  it("has finished, live and upcoming fixtures at the configured now, and only real state ids", async () => {
    const sim = await simulator();
    const states = new Set(sim.truth().fixtures.map((f) => f.state_id as number));
    for (const state of [1, 2, 3, 5, 22]) expect(states).toContain(state);
    const known = new Set<number>(STATES.map((s) => s.id));
    for (const state of states) expect(known).toContain(state);
  });
});

describe("faults", () => {
  it("injects 5xx, spurious 429, slow, timeout and truncated responses on demand, then answers normally", async () => {
    const sim = await simulator({ hourlyLimit: 100 });
    sim.setFaults({ slowMs: 20, timeoutMs: 20 });

    sim.setFaults({ next: [{ kind: "server_error", count: 1 }] });
    const failed = await fetch(`${sim.baseUrl}/leagues`, { headers: { authorization: sim.apiKey } });
    expect([500, 502, 503]).toContain(failed.status);

    sim.setFaults({ next: [{ kind: "rate_limit", count: 1 }] });
    const spurious = await api(sim, "leagues");
    expect(spurious.status).toBe(429);
    expect(spurious.headers.get("retry-after")).toBe("1");
    expect(spurious.body.rate_limit.remaining).toBe(100);

    sim.setFaults({ next: [{ kind: "slow", count: 1 }] });
    expect((await api(sim, "leagues")).body.data).toHaveLength(5);

    sim.setFaults({ next: [{ kind: "timeout", count: 1 }] });
    await expect(fetch(`${sim.baseUrl}/leagues`, { headers: { authorization: sim.apiKey } })).rejects.toThrow();

    sim.setFaults({ next: [{ kind: "truncated", count: 1 }] });
    const truncated = await fetch(`${sim.baseUrl}/leagues`, { headers: { authorization: sim.apiKey } });
    expect(truncated.status).toBe(200);
    await expect(truncated.json()).rejects.toThrow();

    expect((await api(sim, "leagues")).status).toBe(200);
    expect(sim.stats().faults).toEqual({ server_error: 1, rate_limit: 1, slow: 1, timeout: 1, truncated: 1 });
    // Only the served responses (slow, truncated, the last one) were billed.
    expect(sim.stats().byEntity).toEqual({ League: 3 });
  });

  it("accepts fault settings over HTTP and names the bad field", async () => {
    const sim = await simulator();
    const bad = await fetch(`${sim.url}/__faults`, { method: "POST", body: JSON.stringify({ serverError: 2 }) });
    expect(bad.status).toBe(400);
    expect((await bad.json()).message).toMatch(/^faults\.serverError:/);
    const ok = await fetch(`${sim.url}/__faults`, { method: "POST", body: JSON.stringify({ serverError: 0.5 }) });
    expect((await ok.json()).probabilities.server_error).toBe(0.5);
  });
});

describe("determinism", () => {
  it("builds the same data from the same seed and different data from another", async () => {
    const a = await simulator({ seed: 9 });
    const b = await simulator({ seed: 9 });
    const c = await simulator({ seed: 10 });
    expect(a.truth()).toEqual(b.truth());
    expect(a.truth().fixtures).not.toEqual(c.truth().fixtures);
  });

  it("draws the same fault sequence from the same seed", async () => {
    const statuses = async () => {
      const sim = await startSimulator({ seed: 5, now: FIXED_NOW, timeScale: 0, faults: { serverError: 0.3, rateLimit: 0.2 } });
      const seen: number[] = [];
      for (let i = 0; i < 30; i++) {
        seen.push((await fetch(`${sim.baseUrl}/leagues`, { headers: { authorization: sim.apiKey } })).status);
      }
      await sim.close();
      return seen;
    };
    const first = await statuses();
    expect(await statuses()).toEqual(first);
    expect(new Set(first).size).toBeGreaterThan(1);
  });

  it("serves the ground truth over HTTP", async () => {
    const sim = await simulator();
    const response = await fetch(`${sim.url}/__truth/fixtures`);
    const body = await response.json();
    expect(body.data).toEqual(sim.truth().fixtures);
    // 4 leagues × 2 seasons × 90, plus the cup's 2 seasons × 61 (48 group, 8 + 4 knockout legs, 1 final).
    expect(body.data).toHaveLength(842);
  });
});
