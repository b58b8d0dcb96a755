// Imported first by the entry, before any schema exists: zod reads the setting when a schema is built.
// Without it zod compiles a parser (new Function) for every object schema on its first parse; a
// function instance parses most schemas a few times per run, so compiling them costs more CPU
// (~20 ms per instance, measured with npm run bench -- backfill) than the interpreted parse saves.
import { z } from "zod";

z.config({ jitless: true });
