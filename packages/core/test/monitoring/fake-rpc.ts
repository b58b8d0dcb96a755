// An in-memory stand-in for the monitoring RPCs, to unit-test the SDK's
// buffering and lifecycle logic (the real database is covered in tests/monitoring).
import { WatermarkError } from "../../src/errors/index.ts";
import { monitoringRpcs, rpcClientFromTransport } from "../../src/rpc/index.ts";

export interface FakeRpc {
  client: ReturnType<typeof rpcClientFromTransport<typeof monitoringRpcs>>;
  calls: { name: string; args: Record<string, unknown> }[];
  events: Record<string, unknown>[];
  metrics: Record<string, unknown>[];
  status: Map<string, string>;
  /** Errors thrown by the next calls of an RPC, in order. */
  failNext(name: string, ...errors: unknown[]): void;
  /** Pending sends of `name` wait for this promise. */
  gate?: Promise<void>;
  inFlight: number;
  maxInFlight: number;
}

export function fakeRpc(): FakeRpc {
  const failures = new Map<string, unknown[]>();
  const fake: FakeRpc = {
    calls: [],
    events: [],
    metrics: [],
    status: new Map(),
    inFlight: 0,
    maxInFlight: 0,
    failNext: (name, ...errors) => failures.set(name, [...(failures.get(name) ?? []), ...errors]),
    client: rpcClientFromTransport(monitoringRpcs, async (name, args) => {
      fake.calls.push({ name, args });
      fake.inFlight++;
      fake.maxInFlight = Math.max(fake.maxInFlight, fake.inFlight);
      try {
        if (fake.gate) await fake.gate;
        const failure = failures.get(name)?.shift();
        if (failure) throw failure;
        return respond(fake, name, args);
      } finally {
        fake.inFlight--;
      }
    }),
  };
  return fake;
}

function respond(fake: FakeRpc, name: string, args: Record<string, unknown>): unknown {
  const id = args.execution_id as string;
  switch (name) {
    case "start_etl_execution": {
      const newId = (args.execution_id as string | undefined) ?? `etl_test_${fake.status.size + 1}`;
      fake.status.set(newId, "RUNNING");
      return newId;
    }
    case "heartbeat_etl_execution":
      if (fake.status.get(id) !== "RUNNING") throw new WatermarkError({ code: "WM003", message: `execution_id: ${id} is not RUNNING` });
      return new Date().toISOString();
    case "finish_etl_execution":
      if (fake.status.get(id) !== "RUNNING")
        throw new WatermarkError({ code: "WM003", message: `execution_id: ${id} is already finished` });
      fake.status.set(id, args.status as string);
      return { execution_id: id, status: args.status, started_at: new Date().toISOString(), error_message: args.error_message ?? null };
    case "log_etl_events":
      fake.events.push(...(args.events as Record<string, unknown>[]));
      return (args.events as unknown[]).length;
    case "record_etl_metrics":
      fake.metrics.push(...(args.metrics as Record<string, unknown>[]));
      return (args.metrics as unknown[]).length;
    default:
      throw new Error(`fake RPC does not implement ${name}`);
  }
}
