// Technical: product support (activate once; then everyone sees the Access
// and Contract IDs; open incidents) and advisory hours (any user asks).

import { h } from "../dom.js";
import { fmtDateTime, t, type Key } from "../i18n.js";
import { button, dl, field, form, later, section, select, str, table, type Ctx } from "../ui.js";
import type { Page } from "../types.js";

interface Support { activated: boolean; accessId?: string; contractId?: string; incidents: { quantity: number; used: number; remaining: number } }
interface Advisory { id: string; topic: string; hours: number; requestedBy: string; requestedAt: string }

const categories = ["cloud", "on-premises", "azure", "azure-csp", "dynamics"];

export function technical(ctx: Ctx): HTMLElement {
  const lines = ctx.data.dashboard.benefits;
  const hasBenefits = ctx.data.dashboard.purchases.some((p) => p.status === "active");
  if (!hasBenefits) return h("p", { class: "empty", "data-empty": "technical" }, t("tech.noBenefits"));
  const support = later(h("div"), ctx.api.get<Support>("/v1/support"), (s) => supportBody(ctx, s));
  const advisory = lines.some((b) => b.kind === "advisory-hours")
    ? later(h("div"), ctx.api.get<Page<Advisory> & { hours: { total: number; used: number; left: number } }>("/v1/advisory/requests?limit=20"),
      (a) => advisoryBody(ctx, a.hours, a.items))
    : h("p", { class: "empty" }, t("tech.noAdvisory"));
  return h("div", null, section(t("tech.support"), support), section(t("tech.advisory"), advisory));
}

function supportBody(ctx: Ctx, s: Support): HTMLElement[] {
  const out: HTMLElement[] = [];
  if (s.activated) {
    out.push(dl([[t("tech.accessId"), h("code", { "data-access-id": "" }, s.accessId ?? "")], [t("tech.contractId"), h("code", { "data-contract-id": "" }, s.contractId ?? "")]]),
      h("p", { class: "hint" }, t("tech.shareIds")));
  } else {
    out.push(h("p", null, t("tech.activateIntro")), button(ctx, {
      label: t("tech.activate"), action: "activate-offers", key: "support:activate", variant: "primary",
      run: async () => {
        await ctx.api.send("POST", "/v1/support/activate");
        return t("tech.activated");
      },
    }));
  }
  out.push(h("p", { "data-incidents": String(s.incidents.remaining) }, t("tech.incidentsLeft", { left: String(s.incidents.remaining), n: String(s.incidents.quantity) })));
  out.push(form(ctx, {
    name: "incident", action: "submit-requests", submit: t("tech.openIncident"), legend: t("tech.incident"),
    fields: [
      field(t("tech.category"), select("category", categories.map((c) => [c, t(`cat.${c}` as Key)]), { required: true }), t("tech.categoryHint")),
      field(t("col.product"), h("input", { name: "product", required: true, autocomplete: "off", list: "incident-products" }), t("tech.productHint")),
      h("datalist", { id: "incident-products" }, [...new Set(ctx.data.dashboard.benefits.filter((b) => b.kind === "software").map((b) => b.product))].map((p) => h("option", { value: p }))),
      field(t("tech.version"), h("input", { name: "productVersion", required: true, autocomplete: "off" }), t("tech.versionHint")),
    ],
    run: async (fd) => {
      const r = await ctx.api.send<{ id: string }>("POST", "/v1/support/incidents",
        { category: str(fd, "category"), product: str(fd, "product"), productVersion: str(fd, "productVersion") });
      return t("tech.incidentOpened", { id: r.id });
    },
  }));
  return out;
}

function advisoryBody(ctx: Ctx, hours: { total: number; used: number; left: number }, items: Advisory[]): HTMLElement[] {
  return [
    h("p", { "data-hours-left": String(hours.left) }, t("tech.hoursLeft", { left: String(hours.left), total: String(hours.total) })),
    form(ctx, {
      name: "advisory", action: "submit-requests", submit: t("tech.submitAdvisory"), legend: t("tech.advisoryForm"),
      fields: [
        field(t("tech.topic"), h("input", { name: "topic", required: true, maxlength: "200", autocomplete: "off" })),
        field(t("tech.hours"), h("input", { name: "hours", type: "number", min: "1", step: "1", required: true, inputmode: "numeric" })),
      ],
      run: async (fd) => {
        const r = await ctx.api.send<{ hoursLeft: number }>("POST", "/v1/advisory/requests", { topic: str(fd, "topic"), hours: Number(str(fd, "hours")) });
        return t("tech.advisorySent", { left: String(r.hoursLeft) });
      },
    }),
    items.length ? table(t("tech.requests"), [t("tech.topic"), t("tech.hours"), t("col.requested")], items.map((i) => [i.topic, String(i.hours), fmtDateTime(i.requestedAt)])) : h("p", { class: "empty" }, t("tech.noRequests")),
  ];
}
