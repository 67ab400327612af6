// Users: the partner's directory (guests allowed), which every assignment
// picks from; adding users is for global and user-management admins.

import { h } from "../dom.js";
import { fmtDate, t } from "../i18n.js";
import { field, form, roleChecks, roleNames, str, table, type Ctx } from "../ui.js";
import { canGrant } from "../permissions.js";
import type { User } from "../types.js";

export function users(ctx: Ctx): HTMLElement {
  const rows = ctx.data.users.map((u) => [u.displayName, u.email, roleNames(u.roles),
    u.guest ? t("users.guest") : t("users.member"), fmtDate(u.createdAt)]);
  return h("div", null,
    table(t("users.title"), [t("col.name"), t("col.email"), t("users.roles"), t("users.kind"), t("users.created")], rows, { "data-users": "" }),
    form(ctx, {
      name: "add-user", action: "add-users", submit: t("users.add"), legend: t("users.addTitle"),
      fields: [
        field(t("col.email"), h("input", { name: "email", type: "email", required: true, autocomplete: "off" })),
        field(t("col.name"), h("input", { name: "displayName", required: true, autocomplete: "off" })),
        roleChecks([], (r) => canGrant(r, ctx.session.roles)).el,
        h("label", { class: "check" }, h("input", { type: "checkbox", name: "guest", value: "true" }), " ", t("users.guestLabel")),
      ],
      run: async (fd) => {
        const u = await ctx.api.send<User>("POST", "/v1/users", {
          email: str(fd, "email"), displayName: str(fd, "displayName"), roles: fd.getAll("roles").map(String), guest: fd.get("guest") === "true",
        });
        return t("users.added", { name: u.displayName });
      },
    }));
}
