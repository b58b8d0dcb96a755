// vitest globalSetup: the local stack (cluster, migrations, watermark_template, services) is up
// before any test file runs, so `npm test` and `npx vitest` work on a fresh machine.
import { stackUp } from "../../scripts/local/stack-control.ts";

export default async function setup(): Promise<void> {
  await stackUp((line) => console.error(`stack: ${line}`));
}
