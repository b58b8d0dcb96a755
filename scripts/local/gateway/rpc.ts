// Resolves `/rpc/<fn>` to a function in `public` and calls it the way PostgREST does:
// named arguments cast through json_to_record, results shaped by the return type.
import type { PoolClient } from "pg";
import { pgrstError } from "./errors.ts";

export const API_SCHEMA = "public";

interface InputArg {
  name: string;
  type: string;
  hasDefault: boolean;
}

export interface RoutineInfo {
  name: string;
  signature: string;
  /** i immutable, s stable, v volatile */
  volatility: "i" | "s" | "v";
  returnsSet: boolean;
  returnsVoid: boolean;
  returnsComposite: boolean;
  args: InputArg[];
}

// Input args (IN, INOUT, VARIADIC) in order; the last pronargdefaults of them have defaults.
const routinesSql = `
  select p.proname as name,
         p.oid::regprocedure::text as signature,
         p.provolatile as volatility,
         p.proretset as returns_set,
         p.prorettype = 'void'::regtype as returns_void,
         (t.typtype = 'c' or (p.prorettype = 'record'::regtype and p.proargmodes && array['o', 't']::"char"[])) as returns_composite,
         p.pronargs as nargs,
         p.pronargdefaults as ndefaults,
         coalesce((
           select json_agg(json_build_object('name', a.name, 'type', format_type(a.type, null)) order by a.ord)
           from unnest(coalesce(p.proallargtypes, p.proargtypes::oid[]), coalesce(p.proargnames, '{}'::text[]),
                       coalesce(p.proargmodes, '{}'::"char"[])) with ordinality as a(type, name, mode, ord)
           where coalesce(a.mode, 'i') in ('i', 'b', 'v')
         ), '[]'::json) as args
  from pg_catalog.pg_proc p
  join pg_catalog.pg_namespace n on n.oid = p.pronamespace
  join pg_catalog.pg_type t on t.oid = p.prorettype
  where n.nspname = $1 and p.proname = $2 and p.prokind = 'f'`;

interface RoutineRow {
  name: string;
  signature: string;
  volatility: "i" | "s" | "v";
  returns_set: boolean;
  returns_void: boolean;
  returns_composite: boolean;
  nargs: number;
  ndefaults: number;
  args: Array<{ name: string | null; type: string }>;
}

function toRoutine(row: RoutineRow): RoutineInfo {
  return {
    name: row.name,
    signature: row.signature,
    volatility: row.volatility,
    returnsSet: row.returns_set,
    returnsVoid: row.returns_void,
    returnsComposite: row.returns_composite,
    args: row.args.map((a, i) => ({ name: a.name ?? "", type: a.type, hasDefault: i >= row.nargs - row.ndefaults })),
  };
}

/** PostgREST's overload choice: every given key is a parameter and every parameter without default is given. */
/**
 * PostgREST's schema cache, per gateway: routines by name, read from the catalog once.
 * A miss re-reads the catalog before failing, and a call that finds the function gone
 * (42883) forgets it, so functions created or replaced while the gateway runs are seen.
 */
export class RoutineCache {
  readonly #byName = new Map<string, RoutineInfo[]>();

  async resolve(client: PoolClient, fn: string, keys: string[]): Promise<RoutineInfo> {
    const cached = this.#byName.get(fn);
    if (cached) {
      try {
        return matchRoutine(cached, fn, keys);
      } catch {
        // Fall through: the catalog may have changed since it was cached.
      }
    }
    const { rows } = await client.query<RoutineRow>(routinesSql, [API_SCHEMA, fn]);
    const routines = rows.map(toRoutine);
    this.#byName.set(fn, routines);
    return matchRoutine(routines, fn, keys);
  }

  /**
   * PostgREST (9+) hands a function whose only parameter is an unnamed json or
   * jsonb the POST body as it came, whatever its keys: that function, if `fn` is one.
   */
  async singleJsonParam(client: PoolClient, fn: string): Promise<RoutineInfo | null> {
    let routines = this.#byName.get(fn);
    if (!routines) {
      const { rows } = await client.query<RoutineRow>(routinesSql, [API_SCHEMA, fn]);
      routines = rows.map(toRoutine);
      this.#byName.set(fn, routines);
    }
    return routines.find((r) => r.args.length === 1 && r.args[0]?.name === "" && ["json", "jsonb"].includes(r.args[0].type)) ?? null;
  }

  forget(fn: string): void {
    this.#byName.delete(fn);
  }
}

function matchRoutine(routines: RoutineInfo[], fn: string, keys: string[]): RoutineInfo {
  const matches = routines.filter(
    (r) => keys.every((k) => r.args.some((a) => a.name === k)) && r.args.every((a) => a.hasDefault || keys.includes(a.name)),
  );
  if (matches.length === 1) return matches[0] as RoutineInfo;
  const qualified = `${API_SCHEMA}.${fn}`;
  const sortedKeys = [...keys].sort();
  if (matches.length > 1) {
    throw pgrstError(
      300,
      "PGRST203",
      `Could not choose the best candidate function between: ${matches.map((m) => `${API_SCHEMA}.${m.signature}`).join(", ")}`,
      null,
      "Try renaming the parameters or the function itself in the database so function overloading can be resolved",
    );
  }
  const described = sortedKeys.length > 0 ? `(${sortedKeys.join(", ")})` : " without parameters";
  const searched = sortedKeys.length > 0 ? ` with parameters ${sortedKeys.join(", ")}` : " without parameters";
  const closest = routines[0];
  throw pgrstError(
    404,
    "PGRST202",
    `Could not find the function ${qualified}${described} in the schema cache`,
    `Searched for the function ${qualified}${searched} or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.`,
    closest ? `Perhaps you meant to call the function ${API_SCHEMA}.${closest.signature}` : null,
  );
}

const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * The statement calling the routine with the JSON object in $1 as named arguments. It yields one
 * row with one text column `body`: the response JSON exactly as PostgreSQL rendered it.
 */
export function callSql(routine: RoutineInfo, keys: string[], rawBody = false): string {
  const given = routine.args.filter((a) => keys.includes(a.name));
  const named = given.map((a) => `${ident(a.name)} := _args.${ident(a.name)}`).join(", ");
  // A single unnamed json/jsonb parameter takes the body itself ($1), as PostgREST passes it.
  const call = `${ident(API_SCHEMA)}.${ident(routine.name)}(${rawBody ? `$1::${routine.args[0]?.type}` : named})`;
  const from =
    !rawBody && given.length > 0
      ? `from json_to_record($1::json) as _args(${given.map((a) => `${ident(a.name)} ${a.type}`).join(", ")})`
      : "";
  const lateral = from !== "" ? ", lateral" : "from";
  if (routine.returnsVoid) return `select ${call} as body ${from}`;
  if (routine.returnsComposite) {
    const agg = routine.returnsSet ? `coalesce(json_agg(_t), '[]'::json)` : `json_agg(_t) -> 0`;
    return `select (${agg})::text as body ${from} ${lateral} ${call} as _t`;
  }
  if (routine.returnsSet) return `select coalesce(json_agg(_t.v), '[]'::json)::text as body ${from} ${lateral} ${call} as _t(v)`;
  return `select coalesce(to_json(${call}), 'null'::json)::text as body ${from}`;
}
