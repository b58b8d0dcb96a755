// HS256 JWT verification with PostgREST's outcomes (PGRST301 invalid/expired, 401).
import { createHmac, timingSafeEqual } from "node:crypto";
import { GatewayError } from "./errors.ts";

export type JwtClaims = Record<string, unknown>;

function invalid(message: string): GatewayError {
  return new GatewayError(
    401,
    { code: "PGRST301", message, details: null, hint: null },
    { "WWW-Authenticate": `Bearer error="invalid_token", error_description="${message}"` },
  );
}

function decodeJson(part: string, what: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
    if (value && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // falls through to the error below
  }
  throw invalid(`JWT ${what} is not a JSON object`);
}

export function verifyJwt(token: string, secret: string, nowSeconds = Math.floor(Date.now() / 1000)): JwtClaims {
  const parts = token.split(".");
  if (parts.length !== 3) throw invalid(`Expected 3 parts in JWT; got ${parts.length}`);
  const [header, payload, signature] = parts as [string, string, string];
  if (decodeJson(header, "header").alg !== "HS256") throw invalid("JWSError JWSInvalidSignature");
  const expected = createHmac("sha256", secret).update(`${header}.${payload}`).digest();
  const given = Buffer.from(signature, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid("JWSError JWSInvalidSignature");
  const claims = decodeJson(payload, "payload");
  if (typeof claims.exp === "number" && claims.exp <= nowSeconds) throw invalid("JWT expired");
  if (typeof claims.nbf === "number" && claims.nbf > nowSeconds) throw invalid("JWT not yet valid");
  return claims;
}

/**
 * The bearer token of a request: `Authorization: Bearer …`, else the `apikey` header
 * (Supabase's API gateway forwards the apikey as the bearer when no Authorization is sent).
 */
export function bearerToken(headers: Record<string, string | string[] | undefined>): string | undefined {
  const auth = headers.authorization;
  if (typeof auth === "string" && auth.trim() !== "") {
    const match = /^bearer\s+(.+)$/i.exec(auth.trim());
    if (!match) throw invalid("Authorization header must be: Bearer <jwt>");
    return match[1];
  }
  const apikey = headers.apikey;
  return typeof apikey === "string" && apikey !== "" ? apikey : undefined;
}
