// `npm run alerts -- create|edit <rule> --flag …` → the arguments of
// create_alert_rule / update_alert_rule. Durations and numbers are checked here
// (the error names the flag and the accepted forms); the rest (kinds, ranges,
// channel names) is checked by the RPC, whose field names map back to flags.
import { remediations } from "../../packages/core/src/alerts/index.ts";
import { parseNumber, parseWholeNumber, take, takeAll, takeSwitch } from "./args.ts";
import { DURATION_FORMS, type DurationRange, parseDuration } from "./duration.ts";

const FOR_RANGE: DurationRange = { min: 0, max: 7 * 86400 };
const REPEAT_RANGE: DurationRange = { min: 60, max: 30 * 86400 };
const WINDOW_RANGE: DurationRange = { min: 60, max: 30 * 86400 };

export const ruleFlagsUsage = `rule flags:
  --kind KIND             create only: error_rate, run_duration, success_rate, consecutive_failures, stuck_run,
                          missed_schedule, data_freshness, zero_rows, volume_anomaly, invocation_failed, delivery_failing,
                          data_completeness (per league and season; --league, --season instead of --pipeline)
  --threshold N           the value the kind's comparison fires at (npm run alerts -- list shows it)
  --pipeline NAME|all     one pipeline (invocation_failed: one function), or all of them
  --league ID|all         data_completeness: one league, or all of them
  --season ID|all         data_completeness: one season, or all of them
  --severity LEVEL        info, warning or critical
  --window DUR|default    the kind's window: 1m to 30d
  --for DUR               how long a breach lasts before it fires: 0s to 7d
  --repeat DUR|never      how often a firing alert is notified again: 1m to 30d, or never
  --channel NAME|default  the channel (set_alert_channel) its notifications go to
  --description TEXT
  --param KEY=N           min_samples, samples or interval_seconds (repeatable; KEY= removes it)
  --remediation WHAT|none what the rule does when it fires, besides notifying: requeue_failed_chunks
                          (the collector's failed chunks and fixtures are collected again, audited), or none (default)
  --enable | --disable    (create: --disabled)
durations: ${DURATION_FORMS}`;

/** create/update_alert_rule's fields → the flags that set them. */
export const ruleFlagOfField: Record<string, string> = {
  kind: "--kind",
  threshold: "--threshold",
  pipeline: "--pipeline",
  severity: "--severity",
  window_seconds: "--window",
  for_seconds: "--for",
  repeat_seconds: "--repeat",
  channel: "--channel",
  description: "--description",
  params: "--param",
  "params.league_id": "--league",
  "params.season_id": "--season",
  remediation: "--remediation",
  rule_id: "<rule>",
};

export interface RuleChanges {
  /** Fields for create_alert_rule / update_alert_rule's changes. */
  fields: Record<string, unknown>;
  /** --param KEY=N (null: remove KEY). */
  params: Record<string, number | null>;
  enabled: boolean | undefined;
}

function parseParam(text: string): [string, number | null] {
  const match = /^([a-z_]+)=(.*)$/.exec(text);
  if (!match) throw new Error(`--param: "${text}" must be KEY=N, e.g. min_samples=5 or interval_seconds=600`);
  const [, key, value] = match as unknown as [string, string, string];
  return [key, value === "" ? null : parseNumber(value, `--param ${key}`)];
}

/** Consumes the rule flags from args. */
export function takeRuleFlags(args: string[], mode: "create" | "edit"): RuleChanges {
  const fields: Record<string, unknown> = {};
  const kind = take(args, "--kind");
  if (kind !== undefined) {
    if (mode === "edit") throw new Error("--kind: a rule's kind cannot change; create a new rule with `npm run alerts -- create`");
    fields.kind = kind;
  }
  const threshold = take(args, "--threshold");
  if (threshold !== undefined) fields.threshold = parseNumber(threshold, "--threshold");
  const pipeline = take(args, "--pipeline");
  if (pipeline !== undefined) fields.pipeline = pipeline === "all" ? null : pipeline;
  const severity = take(args, "--severity");
  if (severity !== undefined) {
    if (!["info", "warning", "critical"].includes(severity)) {
      throw new Error(`--severity: "${severity}" is not a severity; use info, warning or critical`);
    }
    fields.severity = severity;
  }
  const window = take(args, "--window");
  if (window !== undefined) fields.window_seconds = window === "default" ? null : parseDuration(window, WINDOW_RANGE, "--window");
  const forDuration = take(args, "--for");
  if (forDuration !== undefined) fields.for_seconds = parseDuration(forDuration, FOR_RANGE, "--for");
  const repeat = take(args, "--repeat");
  if (repeat !== undefined) fields.repeat_seconds = repeat === "never" ? null : parseDuration(repeat, REPEAT_RANGE, "--repeat");
  const channel = take(args, "--channel");
  if (channel !== undefined) fields.channel = channel === "default" ? null : channel;
  const description = take(args, "--description");
  if (description !== undefined) fields.description = description;
  const remediation = take(args, "--remediation");
  if (remediation !== undefined) {
    if (remediation !== "none" && !(remediations as readonly string[]).includes(remediation)) {
      throw new Error(`--remediation: "${remediation}" is not a remediation; use ${remediations.join(", ")} or none`);
    }
    fields.remediation = remediation === "none" ? null : remediation;
  }
  const params: Record<string, number | null> = Object.fromEntries(takeAll(args, "--param").map(parseParam));
  // data_completeness's scope: params the RPC checks (a positive id, only for that kind).
  for (const [flag, key] of [
    ["--league", "league_id"],
    ["--season", "season_id"],
  ] as const) {
    const value = take(args, flag);
    if (value !== undefined) params[key] = value === "all" ? null : parseWholeNumber(value, flag);
  }
  const enable = takeSwitch(args, mode === "create" ? "--enabled" : "--enable");
  const disable = takeSwitch(args, mode === "create" ? "--disabled" : "--disable");
  if (enable && disable) throw new Error("--enable and --disable: give one of them");
  return { fields, params, enabled: enable ? true : disable ? false : undefined };
}

/** Merges --param changes into a rule's params. */
export function mergeParams(current: Record<string, number>, changes: Record<string, number | null>): Record<string, number> {
  const merged = { ...current };
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  return merged;
}
