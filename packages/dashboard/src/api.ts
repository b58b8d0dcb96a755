// Reads Watermark's viewer RPCs over the Data API, as any PostgREST client would.

export interface DashboardConfig {
  supabaseUrl: string;
  /** The key sent as `apikey` (the project's anon key). */
  apiKey: string;
  /** A viewer's (or an operator's) access token (JWT); the dashboard never holds the service key. */
  accessToken: string;
  /** The newest migration in the repository the server runs from, for the pre-flight check. */
  expectedMigration?: { version: string; name: string } | null;
}

export type Role = "operator" | "viewer" | "none";

/**
 * The role the token claims, only to explain disabled buttons: the database decides what a
 * token may do (watermark.require_access), never this.
 */
export function tokenRole(accessToken: string): Role {
  try {
    const payload = accessToken.split(".")[1] ?? "";
    const json = JSON.parse(atob(payload.replaceAll("-", "+").replaceAll("_", "/"))) as {
      app_metadata?: { watermark_role?: string };
    };
    const role = json.app_metadata?.watermark_role;
    return role === "operator" || role === "viewer" ? role : "none";
  } catch {
    return "none";
  }
}

export class RpcError extends Error {
  constructor(
    readonly rpc: string,
    readonly status: number,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = "RpcError";
  }
}

export async function rpc<T>(config: DashboardConfig, name: string, args: Record<string, unknown> = {}): Promise<T> {
  const res = await fetch(`${config.supabaseUrl}/rest/v1/rpc/${name}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", apikey: config.apiKey, Authorization: `Bearer ${config.accessToken}` },
    body: JSON.stringify(args),
  });
  if (res.status === 204) return undefined as T;
  const body: unknown = await res.json().catch(() => undefined);
  if (!res.ok) {
    const err = (body ?? {}) as { code?: string; message?: string };
    throw new RpcError(name, res.status, err.code, `${name}: ${err.message ?? `HTTP ${res.status}`}`);
  }
  return body as T;
}
