// Package: the purchases with their cancellation (within 30 days of purchase,
// only while no benefit was activated), and the catalogue to buy from.

import { h } from "../dom.js";
import { fmtDate, t, type Key } from "../i18n.js";
import { button, dl, field, fmtMoney, form, later, section, status, str, table, type Ctx } from "../ui.js";
import type { CatalogPackage, Purchase, PurchaseDetail, ServiceRequest } from "../types.js";

const cancelWindowMs = 30 * 24 * 3600 * 1000;

export function pkg(ctx: Ctx): HTMLElement {
  const purchases = ctx.data.dashboard.purchases;
  const catalogue = later(h("div"), ctx.api.get<{ items: CatalogPackage[] }>("/v1/catalog/packages"), (c) => packages(ctx, c.items));
  return h("div", null,
    section(t("pkg.purchases"), purchases.length ? purchases.map((p) => purchase(ctx, p)) : h("p", { class: "empty" }, t("pkg.none"))),
    section(t("pkg.catalogue"), catalogue));
}

function purchase(ctx: Ctx, p: Purchase): HTMLElement {
  const until = new Date(Date.parse(p.purchasedAt) + cancelWindowMs).toISOString();
  const lines = ctx.data.dashboard.benefits.filter((b) => b.purchaseId === p.id);
  // What the dashboard shows of docs/domain.md's refund rule; a licence key
  // shown or a credit granted is not on it, and the server refuses those.
  const keyTaken = lines.some((b) => ((b.kind === "software" || b.kind === "license") && b.status === "activated") ||
    ((b.kind === "support" || b.kind === "advisory-hours") && b.used > 0) || (b.kind === "gtm-offer" && b.status === "active"));
  const box = h("article", { class: "card", "data-purchase": p.id },
    h("h3", null, `${t(`plan.${p.plan}` as Key)} · ${p.packageId}`),
    dl([[t("col.status"), status(p.status)], [t("pkg.purchased"), fmtDate(p.purchasedAt)], [t("pkg.cancelUntil"), fmtDate(until)], [t("pkg.lines"), String(lines.length)]]));
  if (p.status === "cancelled") {
    box.append(later(h("div"), ctx.api.get<PurchaseDetail>(`/v1/purchases/${p.id}`), (d) => (d.cancellation ? request(d.cancellation) : null)));
    return box;
  }
  box.append(h("p", { class: "hint" }, t("pkg.cancelRule")), form(ctx, {
    name: `cancel:${p.id}`, action: "cancel-package", submit: t("pkg.cancel"),
    blocked: keyTaken ? t("pkg.keyTaken") : undefined,
    fields: [field(t("pkg.reason"), h("textarea", { name: "reason", required: true, rows: "2", maxlength: "500" }))],
    run: async (fd) => request(await ctx.api.send<ServiceRequest>("POST", `/v1/purchases/${p.id}/cancel`, { reason: str(fd, "reason") })),
  }));
  return box;
}

function request(sr: ServiceRequest): HTMLElement {
  return h("div", { "data-service-request": sr.serviceRequestId }, dl([
    [t("pkg.serviceRequest"), h("code", null, sr.serviceRequestId)], [t("col.status"), t(`sr.${sr.status}` as Key)],
    [t("pkg.refund"), fmtMoney(sr.refund)], [t("pkg.reason"), sr.reason]]));
}

function packages(ctx: Ctx, items: CatalogPackage[]): HTMLElement {
  return h("div", { class: "cards" }, items.map((p) => h("article", { class: "card", "data-package": p.id },
    h("h3", null, p.name), dl([[t("col.plan"), t(`plan.${p.plan}` as Key)], [t("pkg.price"), fmtMoney(p.price)], [t("pkg.lines"), String(p.benefits.length)]]),
    h("details", null, h("summary", null, t("pkg.contents")),
      table(t("pkg.contents"), [t("col.product"), t("pkg.kind"), t("col.quantity"), t("col.type")],
        p.benefits.map((b) => [b.product, t(`kind.${b.kind}` as Key), String(b.quantity), t(`type.${b.benefitType}` as Key)]))),
    button(ctx, {
      label: t("pkg.buy"), action: "buy-package", key: `buy:${p.id}`,
      run: async () => {
        const d = await ctx.api.send<PurchaseDetail>("POST", "/v1/purchases", { packageId: p.id });
        return t("pkg.bought", { n: String(d.benefits.length) });
      },
    }))));
}
