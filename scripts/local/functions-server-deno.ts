// Runs under Deno (not Node): serves one deployable bundle on WATERMARK_FUNCTION_PORT. The bundle
// calls Deno.serve(handler) as on Supabase's edge runtime; locally that call is pointed at our port.
declare const Deno: {
  args: string[];
  env: { get(name: string): string | undefined };
  serve: (...args: unknown[]) => unknown;
};

const [bundle] = Deno.args;
const port = Number(Deno.env.get("WATERMARK_FUNCTION_PORT"));
if (!bundle || !Number.isInteger(port) || port <= 0) {
  throw new Error("usage: WATERMARK_FUNCTION_PORT=<port> deno run … functions-server-deno.ts <bundle path>");
}
const serve = Deno.serve.bind(Deno);
Deno.serve = (handler: unknown) => serve({ port, hostname: "127.0.0.1" }, handler);
await import(new URL(`file://${bundle}`).href);
