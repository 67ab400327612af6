// The benefits console: signs in, loads the dashboard and the directory, and
// draws one tab at a time. Everything it shows comes from the public HTTP API.

import { newClient, type Client } from "./api.js";
import { beginOIDC, completeOIDC, currentSession, loadConfig, signInLocal, signOut, type Config, type Session } from "./auth.js";
import { h, replace } from "./dom.js";
import { initLang, lang, setLang, t, type Key } from "./i18n.js";
import { can } from "./permissions.js";
import { field, newSlots, roleChecks, roleNames, type Ctx } from "./ui.js";
import type { Dashboard, Page, User } from "./types.js";
import { software } from "./tabs/software.js";
import { cloud } from "./tabs/cloud.js";
import { visualStudio } from "./tabs/visualstudio.js";
import { technical } from "./tabs/technical.js";
import { gtm } from "./tabs/gtm.js";
import { users } from "./tabs/users.js";
import { pkg } from "./tabs/pkg.js";

interface Tab { id: string; label: Key; render: (ctx: Ctx) => HTMLElement }

const tabs: Tab[] = [
  { id: "software", label: "tab.software", render: software },
  { id: "cloud", label: "tab.cloud", render: cloud },
  { id: "visual-studio", label: "tab.vs", render: visualStudio },
  { id: "technical", label: "tab.technical", render: technical },
  { id: "gtm", label: "tab.gtm", render: gtm },
  { id: "users", label: "tab.users", render: users },
  { id: "package", label: "tab.package", render: pkg },
];

const root = document.getElementById("app")!;

async function start(): Promise<void> {
  initLang();
  let cfg: Config;
  try {
    cfg = await loadConfig();
  } catch (err) {
    replace(root, h("p", { class: "msg error", role: "alert" }, `${t("boot.noConfig")} (${String(err)})`));
    return;
  }
  let session: Session | null = null;
  let problem = "";
  if (cfg.auth.mode === "oidc") {
    try {
      session = await completeOIDC(cfg);
    } catch (err) {
      problem = String(err instanceof Error ? err.message : err);
    }
  }
  session ??= currentSession();
  if (session) await console_(cfg, session);
  else signIn(cfg, problem);
}

function languagePicker(onChange: () => void): HTMLElement {
  const sel = h("select", { id: "lang", "data-lang-picker": "" },
    h("option", { value: "en", lang: "en", selected: lang() === "en" }, "English"),
    h("option", { value: "ja", lang: "ja", selected: lang() === "ja" }, "日本語"));
  sel.addEventListener("change", () => {
    setLang(sel.value === "ja" ? "ja" : "en");
    onChange();
  });
  return h("div", { class: "lang" }, h("label", { for: "lang" }, t("lang.label")), sel);
}

function signIn(cfg: Config, problem = ""): void {
  document.title = t("app.title");
  const body: HTMLElement[] = [];
  if (problem) body.push(h("p", { class: "msg error", role: "alert" }, problem));
  if (cfg.auth.mode === "oidc") {
    const go = h("button", { type: "button", class: "btn primary", "data-signin": "oidc" }, t("signin.oidc"));
    go.addEventListener("click", () => void beginOIDC(cfg));
    body.push(h("p", null, t("signin.oidcIntro")), go);
  } else {
    const demo = cfg.auth.demo ?? { partnerId: "", users: [] };
    const who = h("select", { id: "signin-user", name: "user" }, demo.users.map((u, i) => h("option", { value: String(i) }, `${u.name} (${roleNames(u.roles)})`)));
    const partner = h("input", { id: "signin-partner", name: "partnerId", value: demo.partnerId, required: true, autocomplete: "off" });
    const userId = h("input", { id: "signin-userid", name: "userId", value: demo.users[0]?.id ?? "", required: true, autocomplete: "off" });
    const roles = roleChecks(demo.users[0]?.roles);
    const boxes = roles.boxes;
    who.addEventListener("change", () => {
      const u = demo.users[Number(who.value)];
      if (!u) return;
      userId.value = u.id;
      boxes.forEach((b) => { b.checked = u.roles.includes(b.value); });
    });
    const msg = h("div", { "aria-live": "polite" });
    const f = h("form", { "data-form": "signin", novalidate: true },
      field(t("signin.user"), who), field(t("signin.partner"), partner), field(t("signin.userId"), userId),
      roles.el,
      h("button", { type: "submit", class: "btn primary" }, t("signin.submit")), msg);
    f.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      try {
        const s = await signInLocal(partner.value.trim(), userId.value.trim(), boxes.filter((b) => b.checked).map((b) => b.value));
        await console_(cfg, s);
      } catch (err) {
        replace(msg, h("p", { class: "msg error", role: "alert" }, String(err instanceof Error ? err.message : err)));
      }
    });
    body.push(h("p", null, t("signin.localIntro")), f);
  }
  replace(root, h("header", { class: "top" }, h("span", { class: "brand" }, t("app.title")), languagePicker(() => signIn(cfg, problem))),
    h("main", { id: "main", class: "signin" }, h("h1", null, t("signin.title")), body));
}

async function allUsers(api: Client): Promise<User[]> {
  const out: User[] = [];
  let cursor = "";
  for (let i = 0; i < 20; i++) {
    const p = await api.get<Page<User>>(`/v1/users?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    out.push(...p.items);
    if (!p.nextCursor) break;
    cursor = p.nextCursor;
  }
  return out;
}

async function console_(cfg: Config, session: Session): Promise<void> {
  const api = newClient({
    base: cfg.apiBase, token: () => session.token, language: lang,
    onUnauthorized: () => { sessionStorage.clear(); signIn(cfg, t("signin.expired")); },
  });
  const ctx: Ctx = {
    api, session, data: { dashboard: { purchases: [], benefits: [] }, users: [] },
    can: (a) => can(a, session.roles), open: new Set(), ...newSlots(),
    refresh: async () => {
      await load();
      draw();
    },
  };
  async function load(): Promise<void> {
    const [d, u] = await Promise.all([api.get<Dashboard>("/v1/benefits"), allUsers(api)]);
    ctx.data = { dashboard: d, users: u };
  }
  try {
    await load();
  } catch (err) {
    replace(root, h("p", { class: "msg error", role: "alert" }, `${t("boot.loadFailed")} ${String(err instanceof Error ? err.message : err)}`));
    return;
  }
  const current = (): Tab => tabs.find((x) => `#${x.id}` === location.hash) ?? tabs[0]!;
  let tabButtons: HTMLButtonElement[] = [];
  let panel: HTMLElement = h("div");

  function shell(): void {
    const me = ctx.data.users.find((u) => u.id === session.userId);
    const out = h("button", { type: "button", class: "btn", "data-signout": "" }, t("signout"));
    out.addEventListener("click", () => signOut(cfg));
    tabButtons = tabs.map((x) => h("button", { type: "button", role: "tab", id: `tab-${x.id}`, "aria-controls": "panel", "data-tab": x.id }, t(x.label)));
    const list = h("div", { role: "tablist", "aria-label": t("tabs.label") }, tabButtons);
    list.addEventListener("keydown", (ev) => {
      const i = tabButtons.indexOf(document.activeElement as HTMLButtonElement);
      if (i < 0) return;
      const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabButtons.length - 1 }[ev.key];
      if (next === undefined) return;
      ev.preventDefault();
      const j = (next + tabButtons.length) % tabButtons.length;
      select(tabs[j]!, true);
    });
    tabButtons.forEach((b, i) => b.addEventListener("click", () => select(tabs[i]!, false)));
    panel = h("section", { id: "panel", role: "tabpanel", tabindex: "0" });
    replace(root,
      h("a", { class: "skip", href: "#panel" }, t("skip")),
      h("header", { class: "top" },
        h("span", { class: "brand" }, t("app.title")),
        h("span", { class: "who", "data-who": session.userId }, `${me?.displayName ?? session.userId} · ${roleNames(session.roles)} · ${session.partnerId}`),
        languagePicker(() => { ctx.clearNotes(); shell(); draw(); }), out),
      h("nav", null, list),
      h("main", { id: "main" }, panel));
  }

  function select(tab: Tab, focus: boolean): void {
    if (location.hash !== `#${tab.id}`) history.replaceState(null, "", `#${tab.id}`);
    draw();
    if (focus) document.getElementById(`tab-${tab.id}`)?.focus();
  }

  function draw(): void {
    const tab = current();
    const active = document.activeElement as HTMLElement | null;
    const key = active?.dataset.key;
    tabButtons.forEach((b, i) => {
      const on = tabs[i] === tab;
      b.setAttribute("aria-selected", String(on));
      b.tabIndex = on ? 0 : -1;
    });
    panel.setAttribute("aria-labelledby", `tab-${tab.id}`);
    panel.dataset.panel = tab.id;
    document.title = `${t(tab.label)} · ${t("app.title")}`;
    replace(panel, h("h1", null, t(tab.label)), tab.render(ctx));
    if (key) (panel.querySelector(`[data-key="${CSS.escape(key)}"]`) as HTMLElement | null)?.focus();
  }

  window.onhashchange = () => draw();
  shell();
  draw();
}

void start();
