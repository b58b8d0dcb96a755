// HS256 JWTs for the local stack's API keys (the same shape Supabase issues).
import { createHmac } from "node:crypto";

const b64url = (data: string | Buffer) => Buffer.from(data).toString("base64url");

export function signJwt(payload: Record<string, unknown>, secret: string): string {
  const header = b64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  const body = b64url(JSON.stringify(payload));
  const signature = createHmac("sha256", secret).update(`${header}.${body}`).digest("base64url");
  return `${header}.${body}.${signature}`;
}

/** Long-lived keys like Supabase's local defaults: iat now, exp in ten years. */
export function apiKey(role: "anon" | "service_role", secret: string): string {
  const iat = Math.floor(Date.now() / 1000);
  return signJwt({ iss: "supabase-local", role, iat, exp: iat + 10 * 365 * 24 * 3600 }, secret);
}

/** A signed-in dashboard user with Watermark rights carried in app_metadata (only the service role can set it). */
export function userJwt(secret: string, sub: string, watermarkRole: "viewer" | "operator" | null): string {
  const iat = Math.floor(Date.now() / 1000);
  const app_metadata = watermarkRole ? { watermark_role: watermarkRole } : {};
  return signJwt(
    { iss: "supabase-local", role: "authenticated", aud: "authenticated", sub, app_metadata, iat, exp: iat + 365 * 24 * 3600 },
    secret,
  );
}
