// Visual Studio subscriptions: assign a seat to a directory user; a seat
// moves to someone else only 90 days after it was assigned.

import { h } from "../dom.js";
import { fmtDate, t } from "../i18n.js";
import { benefitTable, button, field, form, later, select, str, table, unusable, userOptions, type Ctx } from "../ui.js";
import type { Benefit } from "../types.js";

interface Assignment { userId: string; email: string; displayName: string; assignedAt: string; reassignableAt: string }

export function visualStudio(ctx: Ctx): HTMLElement {
  const lines = ctx.data.dashboard.benefits.filter((b) => b.kind === "visual-studio");
  return h("div", null, h("p", { class: "intro" }, t("vs.intro")), benefitTable(ctx, t("vs.title"), lines, (b) => details(ctx, b)));
}

function details(ctx: Ctx, b: Benefit): HTMLElement {
  return later(h("div", { class: "stack" }), ctx.api.get<{ items: Assignment[] }>(`/v1/visual-studio/${b.id}/assignments?limit=100`), (r) => body(ctx, b, r.items));
}

function body(ctx: Ctx, b: Benefit, seats: Assignment[]): HTMLElement[] {
  const blocked = unusable(b);
  const holders = seats.map((s) => s.userId);
  const rows = seats.map((s) => [s.displayName, s.email, fmtDate(s.assignedAt),
    h("span", { "data-reassignable": s.reassignableAt }, fmtDate(s.reassignableAt)),
    h("div", { class: "row-actions" },
      form(ctx, {
        name: `reassign:${b.id}:${s.userId}`, action: "assign-users", submit: t("vs.reassign"), blocked,
        fields: [field(t("vs.reassignTo"), select("userId", userOptions(ctx, holders), { required: true }))],
        run: async (fd) => {
          await ctx.api.send("POST", `/v1/visual-studio/${b.id}/assignments`, { userId: str(fd, "userId"), replacesUserId: s.userId });
          return t("vs.reassigned");
        },
      }),
      button(ctx, {
        label: t("cloud.remove"), action: "assign-users", key: `vs-remove:${b.id}:${s.userId}`, blocked, variant: "danger",
        run: async () => {
          await ctx.api.send("DELETE", `/v1/visual-studio/${b.id}/assignments/${encodeURIComponent(s.userId)}`);
          return t("cloud.removed", { user: s.displayName });
        },
      }))]);
  return [
    h("p", null, t("vs.rule", { used: String(seats.length), n: String(b.quantity) })),
    seats.length ? table(t("vs.seats"), [t("col.user"), t("col.email"), t("col.assigned"), t("vs.movableFrom"), ""], rows) : h("p", { class: "empty" }, t("cloud.noHolders")),
    form(ctx, {
      name: `assign-vs:${b.id}`, action: "assign-users", submit: t("vs.assign"), blocked,
      fields: [field(t("col.user"), select("userId", userOptions(ctx, holders), { required: true }), t("vs.assignHint"))],
      run: async (fd) => {
        await ctx.api.send("POST", `/v1/visual-studio/${b.id}/assignments`, { userId: str(fd, "userId") });
        return t("vs.assigned");
      },
    }),
  ];
}
