// The deployable entry: `npm run build:functions` bundles it and wires Deno.serve.
import "./zod-jitless.ts";
import { createCollectHandler } from "./handler.ts";

export default createCollectHandler();
