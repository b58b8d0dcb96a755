// The deployable entry: `npm run build:functions` bundles it and wires Deno.serve.
import { createCollectHandler } from "./handler.ts";

export default createCollectHandler();
