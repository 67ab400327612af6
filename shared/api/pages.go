package api

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
	"time"

	"github.com/pbs/benefits/shared/httpapi"
)

// The confirmation pages a marketing contact opens from an email: small,
// server-rendered, no script and no external asset. The only inline style
// is allowed by its hash in the Content-Security-Policy, so nothing else on
// the page can run or load.
//
// They are written out by renderPage rather than html/template, for the size
// of the activate-gtm binary: executing any text/template makes the linker
// keep every exported method of every type that reaches an interface (the
// templates call methods by name), about 4 MB here. renderPage escapes every
// value the way html/template did in these contexts (esc), and
// pages_test.go renders the former html/template pages beside it and
// requires the same bytes.

const pageStyle = `body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#1b1b1b}` +
	`h1{font-size:1.4rem}dt{font-weight:600}dd{margin:0 0 .6rem}button{font-size:1rem;padding:.6rem 1.4rem}` +
	`.ok{color:#0a6b2d}.bad{color:#a4262c}`

var pageCSP = "default-src 'none'; style-src 'sha256-" + styleHash() + "'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

func styleHash() string {
	sum := sha256.Sum256([]byte(pageStyle))
	return base64.StdEncoding.EncodeToString(sum[:])
}

type pageKind int

const (
	pageConfirm pageKind = iota
	pageActive
	pageInvalid
)

// pageData fills a page; Text holds the words of its language.
type pageData struct {
	Partner, Offer, OfferType, Token string
	Months                           int
	LinkExpires, Until               string
	Lang                             string
	Style                            string // trusted CSS, written as is
	Text                             pageText
}

type pageText struct {
	Title, Intro, Partner, Offer, Type, Term, TermValue, LinkValid, Button string
	ActiveTitle, ActiveUntil                                               string
	InvalidTitle, Invalid                                                  string
}

var texts = map[string]pageText{
	"en": {Title: "Confirm the go-to-market offer", Intro: "Your partner organisation asked to activate this offer. Confirm it to make it active.",
		Partner: "Partner", Offer: "Offer", Type: "Type", Term: "Active for", TermValue: "%d months from confirmation",
		LinkValid: "This link works once, until", Button: "Confirm",
		ActiveTitle: "The offer is active", ActiveUntil: "Active until",
		InvalidTitle: "This link no longer works",
		Invalid:      "The confirmation link has already been used or has expired. If the offer still needs confirming, ask your partner admin to activate it again."},
	"ja": {Title: "Go-to-market オファーの確認", Intro: "パートナー組織からこのオファーの有効化が依頼されました。確定すると有効になります。",
		Partner: "パートナー", Offer: "オファー", Type: "種類", Term: "有効期間", TermValue: "確定から %d か月",
		LinkValid: "このリンクは 1 回限り、次の日時まで有効です", Button: "確定",
		ActiveTitle: "オファーが有効になりました", ActiveUntil: "有効期限",
		InvalidTitle: "このリンクは無効です",
		Invalid:      "確認リンクはすでに使用されたか、有効期限が切れています。確定が必要な場合は、パートナー管理者に再度有効化を依頼してください。"},
}

// renderPage is the layout with the page's own title and body. Every value
// but Style goes through esc: the page text, the RCDATA of <title> and the
// double-quoted attribute values alike.
func renderPage(kind pageKind, d pageData) string {
	title, body := pageParts(kind, d)
	return `<!doctype html>
<html lang="` + esc(d.Lang) + `">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><title>` + title + `</title><style>` + d.Style + `</style></head>
<body>` + body + `</body>
</html>`
}

// pageParts are a page's title and body, escaped.
func pageParts(kind pageKind, d pageData) (title, body string) {
	t := d.Text
	switch kind {
	case pageConfirm:
		return esc(t.Title), `<h1>` + esc(t.Title) + `</h1>
<p>` + esc(t.Intro) + `</p>
<dl><dt>` + esc(t.Partner) + `</dt><dd>` + esc(d.Partner) + `</dd><dt>` + esc(t.Offer) + `</dt><dd id="offer">` + esc(d.Offer) + `</dd>
<dt>` + esc(t.Type) + `</dt><dd>` + esc(d.OfferType) + `</dd><dt>` + esc(t.Term) + `</dt><dd>` + esc(term(t.TermValue, d.Months)) + `</dd></dl>
<form method="post" action="/v1/gtm/confirm"><input type="hidden" name="token" value="` + esc(d.Token) + `">
<button id="confirm" type="submit">` + esc(t.Button) + `</button></form>
<p>` + esc(t.LinkValid) + ` ` + esc(d.LinkExpires) + `.</p>`
	case pageActive:
		return esc(t.ActiveTitle), `<h1 class="ok">` + esc(t.ActiveTitle) + `</h1>
<p id="status" data-status="active">` + esc(d.Offer) + ` (` + esc(d.OfferType) + `), ` + esc(d.Partner) + `. ` +
			esc(t.ActiveUntil) + `: <time>` + esc(d.Until) + `</time></p>`
	default: // pageInvalid
		return esc(t.InvalidTitle), `<h1 class="bad">` + esc(t.InvalidTitle) + `</h1>
<p id="status" data-status="invalid">` + esc(t.Invalid) + `</p>`
	}
}

// term fills a TermValue ("%d months from confirmation") with the months.
func term(f string, n int) string { return strings.Replace(f, "%d", itoa(n), 1) }

// escaper is html/template's escaping of a string in text, RCDATA and
// quoted attribute values: NUL becomes U+FFFD and " & ' + < > references.
// The bytes it replaces are ASCII, so byte-wise is rune-wise.
var escaper = strings.NewReplacer("\x00", "\uFFFD", `"`, "&#34;", "&", "&amp;", "'", "&#39;", "+", "&#43;", "<", "&lt;", ">", "&gt;")

func esc(s string) string { return escaper.Replace(s) }

// pageLang is en or ja: the contact's language, else the browser's.
func pageLang(lang string) string {
	if strings.HasPrefix(strings.ToLower(lang), "ja") {
		return "ja"
	}
	return "en"
}

// htmlPage renders one page with the headers every page carries.
func htmlPage(status int, kind pageKind, lang string, d pageData) httpapi.Response {
	d.Lang = pageLang(lang)
	d.Text, d.Style = texts[d.Lang], pageStyle
	return httpapi.Response{StatusCode: status, Body: renderPage(kind, d), Headers: map[string]string{
		"Content-Type":            "text/html; charset=utf-8",
		"Content-Security-Policy": pageCSP,
		"Cache-Control":           "no-store",
		"Referrer-Policy":         "no-referrer",
		"X-Content-Type-Options":  "nosniff",
		"X-Frame-Options":         "DENY",
	}}
}

// invalidPage says in words that a link is used or expired (410 Gone), in
// the link's language when it is known, else the browser's.
func invalidPage(r *httpapi.Request, lang string) httpapi.Response {
	if lang == "" {
		lang = language(r)
	}
	return htmlPage(http.StatusGone, pageInvalid, lang, pageData{})
}

func date(t time.Time, lang string) string {
	if pageLang(lang) == "ja" {
		return t.UTC().Format("2006年1月2日")
	}
	return t.UTC().Format("2 January 2006")
}

func dateTime(t time.Time, lang string) string {
	if pageLang(lang) == "ja" {
		return t.UTC().Format("2006年1月2日 15:04 UTC")
	}
	return t.UTC().Format("2 January 2006, 15:04 UTC")
}
