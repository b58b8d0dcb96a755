import { describe, expect, it } from "vitest";
import { describeError, ErrorCodes, fromApiError, isWatermarkError, toError, WatermarkError } from "../../src/errors/index.ts";

describe("WatermarkError from API error bodies", () => {
  it("keeps code, contract name, field, hint, details and status", () => {
    const body = { code: "WM001", message: "events[3].level: unknown level NOTICE; use one of DEBUG, INFO", details: null, hint: "fix it" };
    const err = fromApiError(body, 400);
    expect(err).toBeInstanceOf(WatermarkError);
    const w = err as WatermarkError;
    expect(w.code).toBe(ErrorCodes.invalid_parameter);
    expect(w.kind).toBe("invalid_parameter");
    expect(w.field).toBe("events[3].level");
    expect(w.hint).toBe("fix it");
    expect(w.details).toBeUndefined();
    expect(w.status).toBe(400);
    expect(w.cause).toBe(body);
    expect(isWatermarkError(w, "invalid_parameter")).toBe(true);
    expect(isWatermarkError(w, "conflict")).toBe(false);
  });

  it("maps every contract code to its name", () => {
    for (const [name, code] of Object.entries(ErrorCodes)) {
      expect((fromApiError({ code, message: "x" }) as WatermarkError).kind).toBe(name);
    }
  });

  it("has no field when the message does not start with one", () => {
    const w = fromApiError({ code: "42501", message: "permission denied: get_etl_logs needs viewer access" }) as WatermarkError;
    expect(w.kind).toBe("insufficient_privilege");
    expect(w.field).toBeUndefined();
    expect((fromApiError({ code: "WM001", message: "execution_id: must not be empty" }) as WatermarkError).field).toBe("execution_id");
  });

  it("keeps unknown codes without a contract name", () => {
    const w = fromApiError({ code: "PGRST202", message: "Could not find the function" }) as WatermarkError;
    expect(w.code).toBe("PGRST202");
    expect(w.kind).toBeUndefined();
  });

  it("turns code-less supabase-js errors (network) into Error with cause", () => {
    const body = { message: "TypeError: fetch failed", details: "connect ECONNREFUSED", hint: "", code: "" };
    const err = fromApiError(body);
    expect(err).not.toBeInstanceOf(WatermarkError);
    expect(err.message).toBe("TypeError: fetch failed (connect ECONNREFUSED)");
    expect(err.cause).toBe(body);
  });
});

describe("toError", () => {
  it("returns Errors unchanged and wraps anything else with cause", () => {
    const e = new Error("x");
    expect(toError(e)).toBe(e);
    const s = toError("boom");
    expect(s.message).toBe("boom");
    expect(s.cause).toBe("boom");
    expect(toError({ a: 1 }).message).toBe('{"a":1}');
  });

  it("describes API errors with code and hint", () => {
    expect(describeError(fromApiError({ code: "WM003", message: "execution_id: already finished", hint: "start a new one" }))).toBe(
      "WM003: execution_id: already finished (hint: start a new one)",
    );
    expect(describeError(new Error("plain"))).toBe("plain");
  });
});
