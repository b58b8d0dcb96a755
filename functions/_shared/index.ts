// Helpers every Watermark edge function handler uses.
export * from "./background.ts";
export * from "./env.ts";
export * from "./http.ts";
export * from "./request.ts";
export * from "./trigger-auth.ts";
