// Azure & cloud: usage-based credits (assign, remove, transfer, ledger) and
// licence-based subscriptions (read the instructions, redeem the key once).

import { h } from "../dom.js";
import { fmtDate, t } from "../i18n.js";
import { benefitTable, button, dl, field, fmtMoney, form, later, section, select, str, table, unusable, userOptions, type Ctx } from "../ui.js";
import type { Benefit, Money, Redemption } from "../types.js";

export function cloud(ctx: Ctx): HTMLElement {
  const all = ctx.data.dashboard.benefits;
  const credits = all.filter((b) => b.kind === "credit-monthly" || b.kind === "credit-annual");
  const licences = all.filter((b) => b.kind === "license");
  return h("div", null,
    section(t("cloud.usage"), h("p", { class: "intro" }, t("cloud.usageIntro")),
      benefitTable(ctx, t("cloud.usage"), credits, (b) => creditDetails(ctx, b), {
        head: t("col.balance"), cell: (b) => (b.balance ? fmtMoney(b.balance) : "–"),
      })),
    section(t("cloud.license"), h("p", { class: "intro" }, t("cloud.licenseIntro")),
      benefitTable(ctx, t("cloud.license"), licences, (b) => licenceDetails(ctx, b))));
}

function creditDetails(ctx: Ctx, b: Benefit): HTMLElement {
  const blocked = unusable(b);
  const annual = b.kind === "credit-annual";
  const holders = b.holders ?? [];
  const rows = holders.map((u) => [u.displayName, u.email, fmtDate(u.assignedAt),
    annual ? t("cloud.notRemovable") : button(ctx, {
      label: t("cloud.remove"), action: "assign-users", key: `remove:${b.id}:${u.userId}`, blocked, variant: "danger",
      run: async () => {
        await ctx.api.send("DELETE", `/v1/credits/${b.id}/users/${encodeURIComponent(u.userId)}`);
        return t("cloud.removed", { user: u.displayName });
      },
    })]);
  const parts: HTMLElement[] = [
    h("p", null, annual ? t("cloud.annualRule") : t("cloud.monthlyRule", { n: String(b.quantity) })),
    holders.length ? table(t("cloud.holders"), [t("col.user"), t("col.email"), t("col.assigned"), ""], rows) : h("p", { class: "empty" }, t("cloud.noHolders")),
  ];
  const taken = holders.map((u) => u.userId);
  if (!annual || holders.length === 0) {
    parts.push(form(ctx, {
      name: `assign-credit:${b.id}`, action: "assign-users", submit: t("cloud.assign"), blocked,
      fields: [field(t("col.user"), select("userId", userOptions(ctx, taken), { required: true }))],
      run: async (fd) => {
        await ctx.api.send("POST", `/v1/credits/${b.id}/users`, { userId: str(fd, "userId") });
        return t("cloud.assigned");
      },
    }));
  } else {
    parts.push(form(ctx, {
      name: `transfer:${b.id}`, action: "assign-users", submit: t("cloud.transfer"), blocked,
      fields: [field(t("cloud.transferTo"), select("toUserId", userOptions(ctx, taken), { required: true }), t("cloud.transferHint"))],
      run: async (fd) => {
        await ctx.api.send("POST", `/v1/credits/${b.id}/transfer`, { toUserId: str(fd, "toUserId") });
        return t("cloud.transferred");
      },
    }));
  }
  parts.push(button(ctx, {
    label: t("cloud.showLedger"), action: "view-benefits", key: `ledger:${b.id}`, refresh: false,
    run: async () => {
      const l = await ctx.api.get<{ currency: string; balance: number; grants: { period: string; amount: number; grantedAt: string }[] }>(`/v1/credits/${b.id}/ledger`);
      const m = (amount: number): Money => ({ amount, currency: l.currency });
      return h("div", null, dl([[t("col.balance"), fmtMoney(m(l.balance))]]),
        l.grants.length ? table(t("cloud.ledger"), [t("col.period"), t("col.amount"), t("col.granted")],
          l.grants.map((g) => [g.period, fmtMoney(m(g.amount)), fmtDate(g.grantedAt)]), { "data-ledger": b.id }) : h("p", { class: "empty" }, t("cloud.noGrants")));
    },
  }));
  return h("div", { class: "stack" }, parts);
}

interface Licence { productName: string; instructions: string; portalUrl?: string; key?: string; redemption: Redemption | null }

function licenceDetails(ctx: Ctx, b: Benefit): HTMLElement {
  return later(h("div", { class: "licence" }), ctx.api.get<Licence>(`/v1/licenses/${b.id}`), (l) => licenceBody(ctx, b, l));
}

function licenceBody(ctx: Ctx, b: Benefit, l: Licence): HTMLElement {
  const pairs: [string, HTMLElement | string][] = [[t("cloud.instructions"), l.instructions]];
  if (l.portalUrl) pairs.push([t("cloud.portal"), h("a", { href: l.portalUrl, rel: "noopener noreferrer" }, l.portalUrl)]);
  if (l.key) pairs.push([t("software.key"), h("code", { class: "key" }, l.key)]);
  if (l.redemption) return h("div", null, dl(pairs), redeemed(l.redemption));
  const warn = h("p", { class: "warning", role: "note", "data-warning": "term" }, t("cloud.addSeatsWarning"));
  const modes = h("fieldset", { class: "radios" }, h("legend", null, t("cloud.mode")),
    radio("mode", "extend-term", t("cloud.extendTerm"), true, warn), radio("mode", "add-seats", t("cloud.addSeats"), false, warn));
  warn.hidden = true;
  return h("div", null, dl(pairs), h("p", { class: "warning" }, t("cloud.once")), form(ctx, {
    name: `redeem:${b.id}`, action: "get-software", submit: t("cloud.redeem"), blocked: unusable(b),
    fields: [field(t("cloud.tenant"), h("input", { name: "tenantId", required: true, autocomplete: "off" }), t("cloud.tenantHint")), modes, warn],
    run: async (fd) => {
      const r = await ctx.api.send<Redemption>("POST", `/v1/licenses/${b.id}/redeem`, { tenantId: str(fd, "tenantId"), mode: str(fd, "mode") });
      return redeemed(r);
    },
  }));
}

function radio(name: string, value: string, label: string, checked: boolean, warn: HTMLElement): HTMLElement {
  const input = h("input", { type: "radio", name, value, checked });
  input.addEventListener("change", () => { warn.hidden = value !== "add-seats"; });
  return h("label", { class: "radio" }, input, " ", label);
}

function redeemed(r: Redemption): HTMLElement {
  return h("div", { "data-redeemed": "" }, dl([
    [t("cloud.tenant"), r.tenantId], [t("cloud.mode"), r.mode === "add-seats" ? t("cloud.addSeats") : t("cloud.extendTerm")],
    [t("cloud.seats"), String(r.seats)], [t("cloud.endDate"), fmtDate(r.endDate)],
  ]), r.termUnder12Months ? h("p", { class: "warning", role: "note", "data-warning": "under12" }, t("cloud.under12")) : null);
}
