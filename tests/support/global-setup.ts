// vitest globalSetup: the local stack (cluster, migrations, watermark_template, services) is up
// before any test file runs, so `npx vitest` works on a fresh machine. `npm test` has already
// brought it up and says so with WATERMARK_STACK_READY=1.
import { stackUp } from "../../scripts/local/stack-control.ts";

export default async function setup(): Promise<void> {
  if (process.env.WATERMARK_STACK_READY === "1") return;
  await stackUp((line) => console.error(`stack: ${line}`));
}
