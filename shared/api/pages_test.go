package api

import (
	"bytes"
	"html/template"
	"net/http"
	"strings"
	"testing"
)

// The pages as they were with html/template: renderPage must give the same
// bytes for any data, so the escaping stays html/template's.
const layoutTemplate = `<!doctype html>
<html lang="{{.Lang}}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><title>{{template "title" .}}</title><style>{{.Style}}</style></head>
<body>{{template "body" .}}</body>
</html>`

var pageTemplatesBefore = map[pageKind]string{
	pageConfirm: `{{define "title"}}{{.Text.Title}}{{end}}{{define "body"}}<h1>{{.Text.Title}}</h1>
<p>{{.Text.Intro}}</p>
<dl><dt>{{.Text.Partner}}</dt><dd>{{.Partner}}</dd><dt>{{.Text.Offer}}</dt><dd id="offer">{{.Offer}}</dd>
<dt>{{.Text.Type}}</dt><dd>{{.OfferType}}</dd><dt>{{.Text.Term}}</dt><dd>{{term .Text.TermValue .Months}}</dd></dl>
<form method="post" action="/v1/gtm/confirm"><input type="hidden" name="token" value="{{.Token}}">
<button id="confirm" type="submit">{{.Text.Button}}</button></form>
<p>{{.Text.LinkValid}} {{.LinkExpires}}.</p>{{end}}`,
	pageActive: `{{define "title"}}{{.Text.ActiveTitle}}{{end}}{{define "body"}}<h1 class="ok">{{.Text.ActiveTitle}}</h1>
<p id="status" data-status="active">{{.Offer}} ({{.OfferType}}), {{.Partner}}. {{.Text.ActiveUntil}}: <time>{{.Until}}</time></p>{{end}}`,
	pageInvalid: `{{define "title"}}{{.Text.InvalidTitle}}{{end}}{{define "body"}}<h1 class="bad">{{.Text.InvalidTitle}}</h1>
<p id="status" data-status="invalid">{{.Text.Invalid}}</p>{{end}}`,
}

func renderBefore(t *testing.T, kind pageKind, d pageData) string {
	t.Helper()
	funcs := template.FuncMap{"term": func(f string, n int) string { return strings.Replace(f, "%d", itoa(n), 1) }}
	tpl := template.Must(template.Must(template.New("layout").Funcs(funcs).Parse(layoutTemplate)).Parse(pageTemplatesBefore[kind]))
	// The data as the page had it: Style was template.CSS.
	data := struct {
		Partner, Offer, OfferType, Token string
		Months                           int
		LinkExpires, Until               string
		Lang                             string
		Style                            template.CSS
		Text                             pageText
	}{d.Partner, d.Offer, d.OfferType, d.Token, d.Months, d.LinkExpires, d.Until, d.Lang, template.CSS(d.Style), d.Text}
	var buf bytes.Buffer
	if err := tpl.ExecuteTemplate(&buf, "layout", data); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestPagesRenderAsHTMLTemplateDid(t *testing.T) {
	nasty := []string{"", "Contoso", `<script>alert("x")</script>`, `a & b's "c" + d`, "x\x00y", "é漢字\xff\xfe", "\uFFFD\ufdd0\uffff",
		`" onmouseover="x`, "</title><title>", "&amp; &#43;", "line\nbreak\ttab", "+-=<>"}
	for _, kind := range []pageKind{pageConfirm, pageActive, pageInvalid} {
		for _, lang := range []string{"en", "ja"} {
			for i, v := range nasty {
				d := pageData{Partner: v, Offer: nasty[(i+1)%len(nasty)], OfferType: nasty[(i+2)%len(nasty)], Token: v + "tok",
					Months: i, LinkExpires: nasty[(i+3)%len(nasty)], Until: v, Lang: lang, Style: pageStyle, Text: texts[lang]}
				if got, want := renderPage(kind, d), renderBefore(t, kind, d); got != want {
					t.Errorf("page %d, %s, %q:\n got %q\nwant %q", kind, lang, v, got, want)
				}
				// The words of the page may carry such characters too.
				d.Text = pageText{Title: v, Intro: v, Partner: v, Offer: v, Type: v, Term: v, TermValue: v + " %d", LinkValid: v,
					Button: v, ActiveTitle: v, ActiveUntil: v, InvalidTitle: v, Invalid: v}
				if got, want := renderPage(kind, d), renderBefore(t, kind, d); got != want {
					t.Errorf("page %d, %s, text %q:\n got %q\nwant %q", kind, lang, v, got, want)
				}
			}
		}
	}
}

func TestPagesRender(t *testing.T) {
	for _, kind := range []pageKind{pageConfirm, pageActive, pageInvalid} {
		for _, lang := range []string{"en", "ja"} {
			resp := htmlPage(http.StatusOK, kind, lang, pageData{Partner: "Contoso", Offer: "Gold", Months: 12})
			if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Body, "<!doctype html>") ||
				!strings.Contains(resp.Body, `lang="`+lang+`"`) || !strings.Contains(resp.Body, pageStyle) {
				t.Errorf("page %d in %s: %d %.80q", kind, lang, resp.StatusCode, resp.Body)
			}
		}
	}
}
