// Software: get the product key (with its instructions), then pick language
// and OS for the download link.

import { h, replace } from "../dom.js";
import { t, tOr, languageName } from "../i18n.js";
import { benefitTable, button, dl, field, form, later, select, str, unusable, type Ctx } from "../ui.js";
import type { Benefit } from "../types.js";

interface Options { languages: string[]; oses: string[]; available: { language: string; os: string }[] }

export function software(ctx: Ctx): HTMLElement {
  const lines = ctx.data.dashboard.benefits.filter((b) => b.kind === "software");
  return h("div", null, h("p", { class: "intro" }, t("software.intro")), benefitTable(ctx, t("software.title"), lines, (b) => details(ctx, b)));
}

function details(ctx: Ctx, b: Benefit): HTMLElement {
  const blocked = unusable(b);
  const getKey = button(ctx, {
    label: b.status === "activated" ? t("software.showKey") : t("software.getKey"),
    action: "get-software", key: `key:${b.id}`, blocked, variant: "primary",
    run: async () => {
      const k = await ctx.api.send<{ key: string; instructions: string }>("POST", `/v1/software/${b.id}/key`);
      return dl([[t("software.key"), h("code", { class: "key", "data-key-value": "" }, k.key)], [t("software.instructions"), k.instructions]]);
    },
  });
  const downloads = h("div", { class: "downloads" });
  if (ctx.can("get-software") && !blocked) {
    later(downloads, ctx.api.get<Options>(`/v1/software/${b.id}/downloads`), (o) =>
      o.available.length ? downloadForm(ctx, b, o) : h("p", { class: "empty" }, t("software.noDownloads")));
  } else {
    replace(downloads, downloadForm(ctx, b, { languages: [], oses: [], available: [] }, blocked));
  }
  return h("div", { class: "detail-grid" }, h("div", null, h("h3", null, t("software.step1")), getKey), h("div", null, h("h3", null, t("software.step2")), downloads));
}

function downloadForm(ctx: Ctx, b: Benefit, o: Options, blocked?: string): HTMLElement {
  return form(ctx, {
    name: `download:${b.id}`, action: "get-software", submit: t("software.getLink"), blocked, refresh: false,
    fields: [
      field(t("software.language"), select("language", o.languages.map((l) => [l, languageName(l)]), { required: true })),
      field(t("software.os"), select("os", o.oses.map((x) => [x, tOr(`os.${x}`, x)]), { required: true })),
    ],
    run: async (fd) => {
      const q = new URLSearchParams({ language: str(fd, "language"), os: str(fd, "os") });
      const d = await ctx.api.get<{ url: string; sha256: string; language: string; requestedLanguage: string }>(`/v1/software/${b.id}/downloads?${q}`);
      return dl([
        [t("software.link"), h("a", { href: d.url, rel: "noopener noreferrer", "data-download": "" }, d.url.split("/").pop() ?? d.url)],
        [t("software.sha256"), h("code", { class: "hash" }, d.sha256)],
        d.language !== d.requestedLanguage ? [t("software.fallback"), languageName(d.language)] : null,
      ].filter((x): x is [string, HTMLElement | string] => x !== null));
    },
  });
}
