// Shared pieces of every tab: the context a tab renders from, buttons and
// forms that know the caller's permissions, result slots that survive a
// re-render, tables and formatting.

import { ApiError, type Client } from "./api.js";
import type { Session } from "./auth.js";
import { h, replace, uid, type Child } from "./dom.js";
import { fmtDate, hasKey, lang, t, type Key } from "./i18n.js";
import { grantersOf, partnerRoles, rolesFor, type Action } from "./permissions.js";
import type { Benefit, Dashboard, Money, User } from "./types.js";

export interface Ctx {
  api: Client;
  session: Session;
  data: { dashboard: Dashboard; users: User[] };
  can(a: Action): boolean;
  // refresh reloads the dashboard and the directory and draws the tab again.
  refresh(): Promise<void>;
  // slot is a result area that keeps its content across re-renders.
  slot(key: string): HTMLElement;
  // clearNotes empties the slots that hold only a confirmation or a refusal,
  // so the page shows the outcome of the latest action, not of every one.
  clearNotes(): void;
  // open remembers which rows are expanded.
  open: Set<string>;
}

export function newSlots(): Pick<Ctx, "slot" | "clearNotes"> {
  const slots = new Map<string, HTMLElement>();
  return {
    slot: (key) => {
      let el = slots.get(key);
      if (!el) {
        el = h("div", { class: "result", "data-slot": key, "aria-live": "polite" });
        slots.set(key, el);
      }
      return el;
    },
    clearNotes: () => {
      for (const el of slots.values()) if (el.querySelector(":scope > [data-note]")) replace(el);
    },
  };
}

// outcome is what a slot shows after success: a sentence is a note (cleared
// by the next action), anything richer (a key, a link, a ledger) stays.
function outcome(out: Child | void): HTMLElement | null {
  if (!out) return null;
  return h("div", { class: "msg ok", "data-note": typeof out === "string" ? "" : null }, out);
}

// roleNames are roles as the page's language names them; none is a member.
export function roleNames(roles: string[], sep = ", "): string {
  return roles.length ? roles.map((r) => t(`role.${r}` as Key)).join(sep) : t("role.member");
}

// reason is why an action is greyed out for the caller (its roles, or
// blocked), with the id that ties it to the control; null when it is not.
function reason(ctx: Ctx, action: Action, blocked?: string): { text: string; id: string } | null {
  const text = !ctx.can(action) ? t("reason.roles", { roles: roleNames(rolesFor(action), t("list.or")) }) : blocked;
  return text ? { text, id: uid("why") } : null;
}

// act runs one action from control: busy while it runs, the previous notes
// cleared, its outcome or the server's refusal in slot, the tab redrawn
// after a success unless refresh is false.
async function act(ctx: Ctx, control: HTMLButtonElement, slot: HTMLElement, run: () => Promise<Child | void>, refresh?: boolean, done?: () => void): Promise<void> {
  control.disabled = true;
  control.setAttribute("aria-busy", "true");
  ctx.clearNotes();
  try {
    const out = await run();
    replace(slot, outcome(out));
    done?.();
    if (refresh !== false) await ctx.refresh();
  } catch (err) {
    showError(slot, err);
  } finally {
    control.disabled = false;
    control.removeAttribute("aria-busy");
  }
}

// errorText is a refused action's message in the page's language: the
// console's own wording per stable code where it has one, else the server's.
export function errorText(err: unknown): string {
  if (!(err instanceof ApiError)) return t("err.unexpected");
  const key = `err.${err.code}` as Key;
  const vars: Record<string, string> = {};
  for (const [k, v] of Object.entries(err.extra)) vars[k] = typeof v === "string" && /^\d{4}-\d\d-\d\dT/.test(v) ? fmtDate(v) : String(v);
  let text = hasKey(key) ? t(key, vars) : err.detail || err.code;
  if (err.fields.length) text += " " + err.fields.map((f) => `${f.field}: ${f.message}`).join("; ");
  return text;
}

function showError(slot: HTMLElement, err: unknown): void {
  const code = err instanceof ApiError ? err.code : "unexpected";
  replace(slot, h("p", { class: "msg error", role: "alert", "data-code": code, "data-note": "" }, errorText(err)));
}

export interface ButtonOpts {
  label: string;
  action: Action;
  key: string; // stable id of this button and its result slot
  run: () => Promise<Child | void>;
  blocked?: string; // a reason other than the role, e.g. a revoked benefit
  refresh?: boolean; // reload the tab after success (default true)
  variant?: "primary" | "danger";
}

// button is an action the caller's roles may or may not allow. A refused
// role gets a disabled button with the reason beside it; a refusal from the
// server shows its message in the slot.
export function button(ctx: Ctx, o: ButtonOpts): HTMLElement {
  const slot = ctx.slot(o.key);
  const why = reason(ctx, o.action, o.blocked);
  const b = h("button", {
    type: "button", class: `btn ${o.variant ?? ""}`, "data-key": o.key, "data-action": o.action,
    disabled: !!why, "aria-describedby": why?.id,
  }, o.label);
  b.addEventListener("click", () => void act(ctx, b, slot, o.run, o.refresh));
  return h("div", { class: "action" }, b, why ? h("span", { class: "reason", id: why.id }, why.text) : null, slot);
}

export interface FormOpts {
  name: string; // data-form, and the key of its result slot
  action: Action;
  submit: string;
  fields: Child[];
  run: (form: FormData) => Promise<Child | void>;
  blocked?: string;
  refresh?: boolean;
  legend?: string;
}

// form is a set of inputs with one submit button, under the same rules as
// button; inputs are disabled with it so a keyboard user never fills in a
// form that cannot be sent.
export function form(ctx: Ctx, o: FormOpts): HTMLElement {
  const slot = ctx.slot(o.name);
  const why = reason(ctx, o.action, o.blocked);
  const submit = h("button", { type: "submit", class: "btn primary", "data-key": `${o.name}:submit`, "aria-describedby": why?.id }, o.submit);
  const fs = h("fieldset", { disabled: !!why }, o.legend ? h("legend", null, o.legend) : null, o.fields, h("div", { class: "action" }, submit));
  const f = h("form", { "data-form": o.name, novalidate: true }, fs, why ? h("p", { class: "reason", id: why.id }, why.text) : null, slot);
  f.addEventListener("submit", (ev) => {
    ev.preventDefault();
    void act(ctx, submit, slot, () => o.run(new FormData(f)), o.refresh, () => f.reset());
  });
  return f;
}

// field is a labelled input.
export function field(label: string, input: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement, hint?: string): HTMLElement {
  const id = input.id || uid("f");
  input.id = id;
  let hintEl: HTMLElement | null = null;
  if (hint) {
    hintEl = h("span", { class: "hint", id: `${id}-hint` }, hint);
    input.setAttribute("aria-describedby", hintEl.id);
  }
  return h("div", { class: "field" }, h("label", { for: id }, label), input, hintEl);
}

// roleChecks is a checkbox per partner role, named roles, the given ones
// ticked; with grantable, a role the caller may not give is greyed out with
// the roles that may.
export function roleChecks(checked: string[] = [], grantable?: (role: string) => boolean): { el: HTMLElement; boxes: HTMLInputElement[] } {
  const boxes = partnerRoles.map((r) => h("input", { type: "checkbox", name: "roles", value: r, checked: checked.includes(r) }));
  const el = h("fieldset", { class: "checks" }, h("legend", null, t("users.roles")),
    partnerRoles.map((r, i) => {
      if (!grantable || grantable(r)) return h("label", { class: "check" }, boxes[i], " ", t(`role.${r}` as Key));
      const why = h("span", { class: "hint", id: uid("why") }, t("reason.grant", { roles: roleNames(grantersOf(r), t("list.or")) }));
      boxes[i].disabled = true;
      boxes[i].setAttribute("aria-describedby", why.id);
      return h("label", { class: "check" }, boxes[i], " ", t(`role.${r}` as Key), " ", why);
    }));
  return { el, boxes };
}

export function select(name: string, options: [string, string][], attrs: Record<string, string | boolean> = {}): HTMLSelectElement {
  return h("select", { name, ...attrs }, options.map(([v, l]) => h("option", { value: v }, l)));
}

// userOptions are the directory users as select options, without those in skip.
export function userOptions(ctx: Ctx, skip: string[] = []): [string, string][] {
  return ctx.data.users.filter((u) => !skip.includes(u.id)).map((u) => [u.id, `${u.displayName} <${u.email}>`]);
}

export function table(caption: string, head: string[], rows: Child[][], attrs: Record<string, string> = {}): HTMLElement {
  return h("table", attrs,
    h("caption", null, caption), thead(head),
    h("tbody", null, rows.map((r) => h("tr", null, r.map((c) => h("td", null, c))))));
}

// benefitTable lists benefit lines with the columns the portal shows, each
// row expandable into its actions.
export function benefitTable(ctx: Ctx, caption: string, lines: Benefit[], details: (b: Benefit) => Child, extra?: { head: string; cell: (b: Benefit) => Child }): HTMLElement {
  if (!lines.length) return h("p", { class: "empty" }, t("empty.none", { what: caption }));
  const head = [t("col.product"), t("col.plan"), t("col.quantity"), t("col.used"), t("col.type"), t("col.status"), t("col.expires")];
  if (extra) head.push(extra.head);
  head.push(t("col.details"));
  const body = h("tbody");
  for (const b of lines) {
    const detailsId = `details-${b.id}`;
    const isOpen = ctx.open.has(b.id);
    const toggle = h("button", {
      type: "button", class: "toggle", "aria-expanded": String(isOpen), "aria-controls": detailsId, "data-key": `toggle:${b.id}`,
      "aria-label": t("details.of", { product: nameOf(b) }),
    }, isOpen ? "▴" : "▾");
    const cells: Child[] = [h("th", { scope: "row" }, nameOf(b)), t(`plan.${b.plan}` as Key), String(b.quantity), String(b.used),
      t(`type.${b.benefitType}` as Key), status(b.status), fmtDate(b.expiresAt)];
    if (extra) cells.push(extra.cell(b));
    const row = h("tr", { "data-benefit": b.id, "data-kind": b.kind }, cells.map((c) => (c instanceof HTMLTableCellElement ? c : h("td", null, c))), h("td", null, toggle));
    const detailRow = h("tr", { class: "details", id: detailsId, hidden: !isOpen }, h("td", { colspan: String(head.length) }, isOpen ? details(b) : null));
    toggle.addEventListener("click", () => {
      const nowOpen = !ctx.open.has(b.id);
      if (nowOpen) ctx.open.add(b.id);
      else ctx.open.delete(b.id);
      toggle.setAttribute("aria-expanded", String(nowOpen));
      toggle.textContent = nowOpen ? "▴" : "▾";
      detailRow.hidden = !nowOpen;
      replace(detailRow.firstElementChild!, nowOpen ? details(b) : null);
    });
    body.append(row, detailRow);
  }
  return h("table", { class: "benefits" }, h("caption", { class: "sr-only" }, caption), thead(head), body);
}

function thead(cols: string[]): HTMLElement {
  return h("thead", null, h("tr", null, cols.map((c) => h("th", { scope: "col" }, c))));
}

export function status(s: string): HTMLElement {
  return h("span", { class: `status status-${s}`, "data-status": s }, t(`status.${s}` as Key));
}

// nameOf is a line's product name as bought, or one made from its id.
export function nameOf(b: Benefit): string {
  return b.productName || productName(b.product);
}

const acronyms = new Set(["os", "bi", "crm", "vs", "e3", "gtm"]);

// productName turns a catalogue product id into a readable name (lines
// bought before lines recorded their product's name).
export function productName(id: string): string {
  return id.split("-").map((w) => (acronyms.has(w) ? w.toUpperCase() : w[0]!.toUpperCase() + w.slice(1))).join(" ");
}

// usable is the reason a line cannot be acted on, or undefined.
export function unusable(b: Benefit): string | undefined {
  if (b.status === "revoked" || b.status === "expired") return t("reason.status", { status: t(`status.${b.status}` as Key) });
  return undefined;
}

export function fmtMoney(m: Money): string {
  const f = new Intl.NumberFormat(lang(), { style: "currency", currency: m.currency });
  const digits = f.resolvedOptions().maximumFractionDigits ?? 2;
  return f.format(m.amount / 10 ** digits);
}

export function dl(pairs: [string, Child][]): HTMLElement {
  return h("dl", { class: "pairs" }, pairs.map(([k, v]) => [h("dt", null, k), h("dd", null, v)]));
}

export function section(title: string, ...children: Child[]): HTMLElement {
  const id = uid("sec");
  return h("section", { "aria-labelledby": id }, h("h2", { id }, title), children);
}

// later fills el from a request: what render makes of its answer, or a
// notice when the request or the drawing fails (never a stuck "Loading").
export function later<T>(el: HTMLElement, req: Promise<T>, render: (v: T) => Child): HTMLElement {
  replace(el, h("p", { class: "loading" }, t("loading")));
  req.then((v) => replace(el, render(v))).catch((err) => {
    replace(el, h("p", { class: "msg error", role: "alert" }, errorText(err)));
  });
  return el;
}

export function str(fd: FormData, name: string): string {
  return String(fd.get(name) ?? "").trim();
}
