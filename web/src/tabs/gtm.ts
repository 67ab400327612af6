// Go-to-market: name the marketing contact first, then activate offers; the
// contact confirms each by email and the offer becomes active until its expiry.

import { h } from "../dom.js";
import { fmtDate, fmtDateTime, languageName, t } from "../i18n.js";
import { ApiError } from "../api.js";
import { benefitTable, button, dl, field, form, later, section, select, str, unusable, userOptions, type Ctx } from "../ui.js";
import type { Benefit } from "../types.js";

interface Contact { userId: string; displayName: string; email: string; phone: string; language: string; updatedAt: string }
interface Offer { benefitId: string; status: string; linkExpiresAt?: string; expiresAt?: string }

export function gtm(ctx: Ctx): HTMLElement {
  // No contact yet is a 404, which is the form with nothing filled in.
  const contact = later(h("div"), ctx.api.get<Contact>("/v1/gtm/marketing-contact").catch((err) => {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }), (c) => contactBody(ctx, c));
  const offers = ctx.data.dashboard.benefits.filter((b) => b.kind === "gtm-offer");
  return h("div", null,
    section(t("gtm.contact"), contact),
    section(t("gtm.offers"), h("p", { class: "intro" }, t("gtm.offersIntro")), benefitTable(ctx, t("gtm.offers"), offers, (b) => offerDetails(ctx, b))));
}

function contactBody(ctx: Ctx, c: Contact | null): HTMLElement[] {
  const current = c
    ? dl([[t("col.user"), c.displayName], [t("col.email"), c.email], [t("gtm.phone"), c.phone], [t("gtm.language"), languageName(c.language)], [t("gtm.updated"), fmtDateTime(c.updatedAt)]])
    : h("p", { class: "warning", "data-warning": "no-contact" }, t("gtm.noContact"));
  const users = userOptions(ctx);
  if (c) users.sort((a, b) => (a[0] === c.userId ? -1 : b[0] === c.userId ? 1 : 0));
  return [current, form(ctx, {
    name: "marketing-contact", action: "activate-offers", submit: c ? t("gtm.update") : t("gtm.assign"), legend: c ? t("gtm.change") : t("gtm.add"),
    fields: [
      field(t("col.user"), select("userId", users, { required: true })),
      field(t("gtm.email"), h("input", { name: "email", type: "email", required: true, autocomplete: "off", value: c?.email }), t("gtm.emailHint")),
      field(t("gtm.phone"), h("input", { name: "phone", type: "tel", required: true, placeholder: "+81312345678", autocomplete: "off", value: c?.phone }), t("gtm.phoneHint")),
      field(t("gtm.language"), languages(c?.language)),
    ],
    run: async (fd) => {
      await ctx.api.send("PUT", "/v1/gtm/marketing-contact", { userId: str(fd, "userId"), email: str(fd, "email"), phone: str(fd, "phone"), language: str(fd, "language") });
      return t("gtm.contactSaved");
    },
  })];
}

// languages offers the contact's language first, then the common ones.
function languages(current?: string): HTMLSelectElement {
  const codes = [...new Set([current, "en", "ja", "de", "fr", "es", "zh", "ko"].filter((x): x is string => !!x))];
  return select("language", codes.map((c) => [c, languageName(c)]), { required: true });
}

function offerDetails(ctx: Ctx, b: Benefit): HTMLElement {
  if (b.status === "active") return h("p", null, t("gtm.activeUntil", { date: fmtDate(b.expiresAt) }));
  return h("div", { class: "stack" },
    b.status === "pending" ? h("p", null, t("gtm.pendingNote")) : h("p", null, t("gtm.activateNote")),
    button(ctx, {
      label: b.status === "pending" ? t("gtm.resend") : t("gtm.activate"), action: "activate-offers", key: `offer:${b.id}`, blocked: unusable(b), variant: "primary",
      run: async () => {
        const o = await ctx.api.send<Offer>("POST", `/v1/gtm/offers/${b.id}/activate`);
        return o.status === "pending" ? t("gtm.sent", { date: o.linkExpiresAt ? fmtDate(o.linkExpiresAt) : "" }) : t("gtm.activeUntil", { date: fmtDate(o.expiresAt ?? b.expiresAt) });
      },
    }));
}
