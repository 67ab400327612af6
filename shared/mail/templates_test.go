package mail_test

import (
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/pbs/benefits/shared/mail"
)

// Every language of a template uses every key of its sample, so the
// languages agree on the data a caller must send.
func TestEveryLanguageNeedsEverySampleKey(t *testing.T) {
	set, err := mail.Templates()
	if err != nil {
		t.Fatal(err)
	}
	for name, langs := range set {
		data, ok := samples[name]
		if !ok {
			continue // reported by TestEveryTemplateHasEnglishAndRendersItsSample
		}
		for _, lang := range langs {
			for _, key := range slices.Sorted(maps.Keys(data)) {
				less := maps.Clone(data)
				delete(less, key)
				if _, err := mail.Render(mail.Message{Template: name, Language: lang, Data: less}); err == nil {
					t.Errorf("%s.%s renders without %q: the template does not use it", name, lang, key)
				}
			}
		}
	}
}

// Each HTML version names its language and loads nothing from elsewhere.
func TestHTMLIsSelfContained(t *testing.T) {
	set, err := mail.Templates()
	if err != nil {
		t.Fatal(err)
	}
	for name, langs := range set {
		data, ok := samples[name]
		if !ok {
			continue
		}
		for _, lang := range langs {
			r, err := mail.Render(mail.Message{Template: name, Language: lang, Data: data})
			if err != nil || r.HTML == "" {
				continue // no HTML version, or reported elsewhere
			}
			if !strings.Contains(r.HTML, `<html lang="`+lang+`">`) {
				t.Errorf("%s.%s html does not declare lang=%q", name, lang, lang)
			}
			for _, bad := range []string{"<script", "<img", "<link", "src=", "<style"} {
				if strings.Contains(r.HTML, bad) {
					t.Errorf("%s.%s html contains %q", name, lang, bad)
				}
			}
		}
	}
}

func render(t *testing.T, name, lang string, data map[string]string) mail.Rendered {
	t.Helper()
	r, err := mail.Render(mail.Message{Template: name, Language: lang, Data: data})
	if err != nil {
		t.Fatalf("%s.%s: %v", name, lang, err)
	}
	if r.Language != lang || r.Subject == "" || r.HTML == "" {
		t.Fatalf("%s.%s: language %q, subject %q, html %d bytes", name, lang, r.Language, r.Subject, len(r.HTML))
	}
	return r
}

func wantAll(t *testing.T, what, s string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(s, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, s)
		}
	}
}

var confirmURLLine = regexp.MustCompile(`(?m)^(https://\S+)$`)

func TestRenderGTMOfferConfirm(t *testing.T) {
	data := samples["gtm-offer-confirm"]
	url := data["confirmUrl"]
	for _, lang := range []string{"en", "ja"} {
		r := render(t, "gtm-offer-confirm", lang, data)
		wantAll(t, lang+" subject", r.Subject, "Marketplace listing boost")
		wantAll(t, lang+" text", r.Text, "Contoso <Ltd> & Co", "Marketplace listing boost", "ISV co-sell ready", "2026-12-16 09:00 UTC")
		if m := confirmURLLine.FindAllStringSubmatch(r.Text, -1); len(m) != 1 || m[0][1] != url {
			t.Errorf("%s text: confirm links on their own line = %q, want just %q", lang, m, url)
		}
		wantAll(t, lang+" html", r.HTML, `<a href="`+url+`">`, ">"+url+"<", "Contoso &lt;Ltd&gt; &amp; Co", "2026-12-16 09:00 UTC")
		if strings.Contains(r.HTML, "<Ltd>") {
			t.Errorf("%s html does not escape data", lang)
		}
	}
	// A URL the template did not expect is escaped, not trusted.
	odd := maps.Clone(data)
	odd["confirmUrl"] = `https://api.example.com/v1/gtm/confirm?token=a&b="><script>`
	r := render(t, "gtm-offer-confirm", "en", odd)
	if strings.Contains(r.HTML, "<script>") || strings.Contains(r.HTML, `b="`) ||
		!strings.Contains(r.HTML, `href="https://api.example.com/v1/gtm/confirm?token=a&amp;b=%22%3e%3cscript%3e"`) {
		t.Errorf("html does not escape the link:\n%s", r.HTML)
	}
	if r := render(t, "gtm-offer-confirm", "ja", data); !strings.Contains(r.Subject, "確認") {
		t.Errorf("ja subject = %q", r.Subject)
	}
}

func TestRenderGTMContactInstructions(t *testing.T) {
	data := samples["gtm-contact-instructions"]
	for _, lang := range []string{"en", "ja"} {
		r := render(t, "gtm-contact-instructions", lang, data)
		wantAll(t, lang+" subject", r.Subject, "Contoso <Ltd> & Co")
		wantAll(t, lang+" text", r.Text, "Contoso <Ltd> & Co", "14")
		wantAll(t, lang+" html", r.HTML, "Contoso &lt;Ltd&gt; &amp; Co")
	}
}

func TestRenderBenefitExpiryReminder(t *testing.T) {
	data := samples["benefit-expiry-reminder"]
	list := data["lines"]
	for _, lang := range []string{"en", "ja"} {
		r := render(t, "benefit-expiry-reminder", lang, data)
		wantAll(t, lang+" subject", r.Subject, "2", "30")
		wantAll(t, lang+" text", r.Text, "Contoso <Ltd> & Co", "2027-12-02", "30", "\n"+list+"\n")
		wantAll(t, lang+" html", r.HTML, "<pre>- Office Cloud E3 (license, 5), purchase pur_06h0001\n- Azure credit &lt;monthly&gt;", "2027-12-02")
	}
	en := render(t, "benefit-expiry-reminder", "en", data)
	if en.Subject != "2 benefits expire in 30 days" {
		t.Errorf("en subject = %q", en.Subject)
	}
	one := maps.Clone(data)
	one["count"], one["days"], one["lines"] = "1", "7", "- Office Cloud E3 (license, 5), purchase pur_06h0001"
	if r := render(t, "benefit-expiry-reminder", "en", one); r.Subject != "1 benefit expires in 7 days" {
		t.Errorf("en subject for one = %q", r.Subject)
	}
	if r := render(t, "benefit-expiry-reminder", "ja", one); r.Subject != "【有効期限のお知らせ】1 件の特典が 7 日後に有効期限を迎えます" {
		t.Errorf("ja subject for one = %q", r.Subject)
	}
}

func TestRenderPurchaseCancelled(t *testing.T) {
	data := samples["purchase-cancelled"]
	for _, lang := range []string{"en", "ja"} {
		r := render(t, "purchase-cancelled", lang, data)
		wantAll(t, lang+" subject", r.Subject, "Gold 2026")
		wantAll(t, lang+" text", r.Text, "Contoso <Ltd> & Co", "Gold 2026", "pur_06h0001", "sr_07k0001", "71,250 JPY",
			"2026-12-02 09:00 UTC", "usr_0admin1", "\n\nBought <Gold> by mistake & wanted Silver\n\n")
		wantAll(t, lang+" html", r.HTML, "Contoso &lt;Ltd&gt; &amp; Co", "sr_07k0001", "71,250 JPY", "usr_0admin1",
			">Bought &lt;Gold&gt; by mistake &amp; wanted Silver</blockquote>")
		if strings.Contains(r.HTML, "<Gold>") || strings.Contains(r.HTML, "<Ltd>") {
			t.Errorf("%s html does not escape data:\n%s", lang, r.HTML)
		}
	}
	if r := render(t, "purchase-cancelled", "en", data); r.Subject != "Your purchase of Gold 2026 was cancelled" {
		t.Errorf("en subject = %q", r.Subject)
	}
	if r := render(t, "purchase-cancelled", "ja", data); !strings.Contains(r.Subject, "取消") {
		t.Errorf("ja subject = %q", r.Subject)
	}
}

func TestRenderRefundResolved(t *testing.T) {
	completed := samples["refund-resolved"]
	rejected := maps.Clone(completed)
	rejected["outcome"] = "rejected"
	contact := map[string]string{"en": "contact the partner program", "ja": "お問い合わせください"}
	noteLabel := map[string]string{"en": "Note", "ja": "コメント"}
	for _, lang := range []string{"en", "ja"} {
		done := render(t, "refund-resolved", lang, completed)
		no := render(t, "refund-resolved", lang, rejected)
		if done.Subject == no.Subject {
			t.Errorf("%s subject is %q whether completed or rejected", lang, done.Subject)
		}
		for outcome, r := range map[string]mail.Rendered{"completed": done, "rejected": no} {
			what := lang + " " + outcome
			wantAll(t, what+" subject", r.Subject, "Gold 2026")
			wantAll(t, what+" text", r.Text, "Contoso <Ltd> & Co", "Gold 2026", "pur_06h0001", "sr_07k0001", "1,250.00 USD",
				noteLabel[lang], "\n\nRefunded to the card <ending 4242> & receipt sent\n\n")
			wantAll(t, what+" html", r.HTML, "Contoso &lt;Ltd&gt; &amp; Co", "1,250.00 USD", "sr_07k0001",
				">Refunded to the card &lt;ending 4242&gt; &amp; receipt sent</blockquote>")
			if strings.Contains(r.HTML, "<ending 4242>") {
				t.Errorf("%s html does not escape the note:\n%s", what, r.HTML)
			}
		}
		if strings.Contains(done.Text, contact[lang]) || !strings.Contains(no.Text, contact[lang]) || !strings.Contains(no.HTML, contact[lang]) {
			t.Errorf("%s: only the rejection asks to contact the program:\ncompleted:\n%s\nrejected:\n%s", lang, done.Text, no.Text)
		}

		// An empty note leaves out its label and any blank gap.
		for outcome, data := range map[string]map[string]string{"completed": completed, "rejected": rejected} {
			quiet := maps.Clone(data)
			quiet["note"] = ""
			r := render(t, "refund-resolved", lang, quiet)
			what := lang + " " + outcome + " without a note"
			if strings.Contains(r.Text, noteLabel[lang]) || strings.Contains(r.Text, "\n\n\n") {
				t.Errorf("%s text:\n%s", what, r.Text)
			}
			if strings.Contains(r.HTML, noteLabel[lang]) || strings.Contains(r.HTML, "<blockquote") {
				t.Errorf("%s html:\n%s", what, r.HTML)
			}
			wantAll(t, what+" text", r.Text, "sr_07k0001", "1,250.00 USD")
			// Empty is allowed; absent is still an error.
			delete(quiet, "note")
			if _, err := mail.Render(mail.Message{Template: "refund-resolved", Language: lang, Data: quiet}); err == nil {
				t.Errorf("%s renders with no note key at all", what)
			}
		}
	}
	en := render(t, "refund-resolved", "en", completed)
	if en.Subject != "Your refund for Gold 2026 has been issued" {
		t.Errorf("en subject = %q", en.Subject)
	}
	if r := render(t, "refund-resolved", "ja", rejected); !strings.Contains(r.Subject, "お受けできません") {
		t.Errorf("ja rejected subject = %q", r.Subject)
	}
}
