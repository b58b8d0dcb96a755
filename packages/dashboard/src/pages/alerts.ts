// Alerts: firing and pending alerts with their history and notifications, the rules, and
// mute/unmute for operators (a viewer sees the buttons disabled, and why).
import { RpcError, rpc } from "../api.ts";
import { badge, byId, type Column, el, formatNumber, renderTable, time } from "../render.ts";
import type { AlertHistoryRow, AlertNotificationRow, AlertRow, AlertRuleRow } from "../types.ts";
import { type Page, type PageContext, section, settleAll, table } from "./page.ts";

const MUTE_SECONDS = 3600;

export const alertColumns: Column<AlertRow>[] = [
  { title: "state", value: (r) => badge(r.state) },
  { title: "severity", value: (r) => badge(r.severity) },
  { title: "rule", value: (r) => r.rule_id },
  { title: "scope", value: (r) => r.scope_key },
  { title: "what happened", value: (r) => r.summary, wrap: true },
  { title: "value / threshold", value: (r) => `${formatNumber(r.value, 2) ?? "—"} / ${formatNumber(r.threshold, 2)}`, numeric: true },
  { title: "since", value: (r) => time(r.firing_since ?? r.pending_since) },
  { title: "muted", value: (r) => (r.muted ? "yes" : "") },
];

export function alertsPage(ctx: PageContext): Page {
  const root = el("div", undefined, "page");
  const note = el("p", undefined, "muted");
  note.id = "mute-note";
  const actionError = el("p", undefined, "error");
  actionError.id = "mute-error";
  actionError.hidden = true;
  root.append(
    section("Firing and pending alerts, with their history", table("alerts"), table("alert-history")),
    section("Notifications", table("notifications")),
    section("Rules", note, actionError, table("rules")),
  );
  const canOperate = ctx.role === "operator";
  note.textContent = canOperate
    ? `You are an operator: mute silences a rule's notifications for ${MUTE_SECONDS / 3600} h.`
    : `Mute and unmute need operator access; this page reads as a ${ctx.role === "viewer" ? "viewer" : "user without Watermark rights"}, so the buttons are disabled.`;

  async function refresh(): Promise<void> {
    await settleAll([drawAlerts(), drawNotifications(), drawRules()]);
  }

  async function drawAlerts(): Promise<void> {
    const alerts = await rpc<AlertRow[]>(ctx.config, "list_alerts", { state: "active" });
    const history = await Promise.all(
      alerts.map((a) => rpc<AlertHistoryRow[]>(ctx.config, "get_alert_history", { fingerprint: a.fingerprint, max_rows: 10 })),
    );
    if (!ctx.isCurrent()) return;
    renderTable(byId<HTMLTableElement>("alerts"), alertColumns, alerts, { empty: "no alert is pending or firing" });
    renderTable(
      byId<HTMLTableElement>("alert-history"),
      [
        { title: "alert", value: (r) => r.fingerprint },
        { title: "transition", value: (r) => `${r.from_state ?? "—"} → ${r.to_state}` },
        { title: "value", value: (r) => formatNumber(r.value, 2), numeric: true },
        { title: "at", value: (r) => time(r.at) },
      ],
      history.flat(),
      { empty: "no history for the active alerts" },
    );
  }

  async function drawNotifications(): Promise<void> {
    const rows = await rpc<AlertNotificationRow[]>(ctx.config, "list_alert_notifications", { max_rows: 30 });
    if (!ctx.isCurrent()) return;
    renderTable(
      byId<HTMLTableElement>("notifications"),
      [
        { title: "id", value: (r) => r.notification_id, numeric: true },
        { title: "kind", value: (r) => r.kind },
        { title: "scope", value: (r) => r.scope_key },
        { title: "channel", value: (r) => r.channel },
        // pending/sending with attempts made = retrying
        { title: "status", value: (r) => badge(r.status === "pending" && r.attempts > 0 ? "retrying" : r.status) },
        { title: "attempts", value: (r) => `${r.attempts} / ${r.max_attempts}`, numeric: true },
        { title: "created", value: (r) => time(r.created_at) },
        { title: "delivered / next try", value: (r) => time(r.delivered_at ?? r.next_attempt_at) },
        {
          title: "last error",
          value: (r) => r.last_error && `${r.last_status_code ? `HTTP ${r.last_status_code}: ` : ""}${r.last_error}`,
          wrap: true,
        },
      ],
      rows,
      { empty: "no notification sent yet" },
    );
  }

  async function drawRules(): Promise<void> {
    const rules = await rpc<AlertRuleRow[]>(ctx.config, "list_alert_rules");
    if (!ctx.isCurrent()) return;
    const t = byId<HTMLTableElement>("rules");
    renderTable(
      t,
      [
        { title: "rule", value: (r) => r.rule_id },
        { title: "condition", value: (r) => `${r.kind} ${r.comparison} ${formatNumber(r.threshold, 2)}${r.unit ? ` ${r.unit}` : ""}` },
        { title: "pipeline", value: (r) => r.pipeline ?? "all" },
        { title: "severity", value: (r) => badge(r.severity) },
        { title: "enabled", value: (r) => (r.enabled ? "yes" : "no") },
        { title: "muted until", value: (r) => (r.muted ? time(r.muted_until) : "") },
        { title: "description", value: (r) => r.description, wrap: true },
        { title: "", value: () => "" },
      ],
      rules,
      { empty: "no rules" },
    );
    // The last column holds the action button (renderTable writes text only).
    t.tBodies[0]?.querySelectorAll("tr").forEach((tr, i) => {
      const rule = rules[i];
      const cell = tr.lastElementChild;
      if (!rule || !cell) return;
      const button = el("button", rule.muted ? "Unmute" : "Mute");
      button.type = "button";
      button.dataset.rule = rule.rule_id;
      button.disabled = !canOperate;
      button.title = canOperate ? "" : "needs operator access";
      button.addEventListener("click", () => void toggleMute(rule));
      cell.replaceChildren(button);
    });
  }

  async function toggleMute(rule: AlertRuleRow): Promise<void> {
    actionError.hidden = true;
    try {
      if (rule.muted) await rpc(ctx.config, "unmute_alert_rule", { rule_id: rule.rule_id });
      else await rpc(ctx.config, "mute_alert_rule", { rule_id: rule.rule_id, duration_seconds: MUTE_SECONDS });
    } catch (err) {
      actionError.hidden = false;
      actionError.textContent = err instanceof RpcError || err instanceof Error ? err.message : String(err);
    }
    await drawRules();
  }

  return { root, refresh };
}
