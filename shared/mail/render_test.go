package mail_test

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/pbs/benefits/shared/mail"
)

// samples holds data for every template, as its callers send it. A new
// template needs an entry here; the test below says so.
var samples = map[string]map[string]string{
	"purchase-receipt": {
		"partnerName": "Contoso <Ltd> & Co", "packageName": "Gold 2026", "plan": "gold",
		"purchaseId": "pur_0001", "price": "USD 1,000.00", "purchasedAt": "2026-11-24T09:00:00Z", "benefitCount": "5",
	},
	"gtm-offer-confirm": {
		"partnerName": "Contoso <Ltd> & Co", "offerName": "Marketplace listing boost", "offerType": "ISV co-sell ready",
		"confirmUrl": "https://api.example.com/v1/gtm/confirm?token=abc_DEF-123", "linkExpiresOn": "2026-12-16 09:00 UTC",
	},
	"gtm-contact-instructions": {
		"partnerName": "Contoso <Ltd> & Co",
	},
	"benefit-expiry-reminder": {
		"partnerName": "Contoso <Ltd> & Co", "days": "30", "expiresOn": "2027-12-02", "count": "2",
		"lines": "- Office Cloud E3 (license, 5), purchase pur_06h0001\n- Azure credit <monthly> (credit-monthly, 1), purchase pur_06h0002",
	},
	"purchase-cancelled": {
		"partnerName": "Contoso <Ltd> & Co", "packageName": "Gold 2026", "purchaseId": "pur_06h0001",
		"serviceRequestId": "sr_07k0001", "refund": "71,250 JPY", "reason": "Bought <Gold> by mistake & wanted Silver",
		"cancelledAt": "2026-12-02 09:00 UTC", "cancelledBy": "usr_0admin1",
	},
	"refund-resolved": {
		"partnerName": "Contoso <Ltd> & Co", "packageName": "Gold 2026", "purchaseId": "pur_06h0001",
		"serviceRequestId": "sr_07k0001", "refund": "1,250.00 USD", "outcome": "completed",
		"note": "Refunded to the card <ending 4242> & receipt sent",
	},
	"global-admin-requested": {
		"partnerName": "Contoso <Ltd> & Co", "requesterName": "Aiko <Tanaka>", "requesterEmail": "aiko@contoso.example",
		"reason": "I run the <Azure> team & assign credits", "requestId": "gar_07k0001", "expiresOn": "2027-01-03 14:05 UTC",
		"consoleUrl": "https://benefits.example/#users",
	},
	"global-admin-decided": {
		"partnerName": "Contoso <Ltd> & Co", "requesterName": "Aiko <Tanaka>", "outcome": "approved", "requestId": "gar_07k0001",
	},
}

func TestEveryTemplateHasEnglishAndRendersItsSample(t *testing.T) {
	set, err := mail.Templates()
	if err != nil {
		t.Fatal(err)
	}
	if len(set["purchase-receipt"]) < 2 {
		t.Errorf("purchase-receipt languages = %v, want at least en and ja", set["purchase-receipt"])
	}
	for name, langs := range set {
		if !slices.Contains(langs, mail.FallbackLanguage) {
			t.Errorf("template %s has no English version: %v", name, langs)
		}
		data, ok := samples[name]
		if !ok {
			t.Errorf("template %s: add sample data to samples in render_test.go", name)
			continue
		}
		for _, lang := range langs {
			r, err := mail.Render(mail.Message{Template: name, Language: lang, Data: data})
			if err != nil {
				t.Errorf("%s.%s: %v", name, lang, err)
				continue
			}
			if r.Language != lang {
				t.Errorf("%s.%s rendered as %s", name, lang, r.Language)
			}
			for part, s := range map[string]string{"subject": r.Subject, "text": r.Text, "html": r.HTML} {
				if strings.Contains(s, "<no value>") || strings.Contains(s, "{{") {
					t.Errorf("%s.%s %s is not fully filled: %q", name, lang, part, s)
				}
			}
			if r.Subject == "" || strings.TrimSpace(r.Text) == "" {
				t.Errorf("%s.%s: empty subject or text: %+v", name, lang, r)
			}
		}
	}
}

func TestRenderPurchaseReceipt(t *testing.T) {
	data := samples["purchase-receipt"]
	en, err := mail.Render(mail.Message{Template: "purchase-receipt", Language: "en", Data: data})
	if err != nil {
		t.Fatal(err)
	}
	if en.Subject != "Your purchase of Gold 2026" {
		t.Errorf("subject = %q", en.Subject)
	}
	for _, want := range []string{"Hello Contoso <Ltd> & Co,", "Gold 2026 (gold)", "USD 1,000.00", "pur_0001"} {
		if !strings.Contains(en.Text, want) {
			t.Errorf("text lacks %q:\n%s", want, en.Text)
		}
	}
	// The HTML version escapes data; the text version must not.
	if !strings.Contains(en.HTML, "Contoso &lt;Ltd&gt; &amp; Co") || strings.Contains(en.HTML, "<Ltd>") {
		t.Errorf("html does not escape data:\n%s", en.HTML)
	}
}

func TestLanguageFallback(t *testing.T) {
	tests := []struct {
		name, tag, want string
	}{
		{"exact", "ja", "ja"},
		{"region falls back to base", "ja-JP", "ja"},
		{"case and underscore", "JA_jp", "ja"},
		{"unknown language", "fr-CA", "en"},
		{"none given", "", "en"},
		{"english region", "en-GB", "en"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := mail.Render(mail.Message{Template: "purchase-receipt", Language: tt.tag, Data: samples["purchase-receipt"]})
			if err != nil {
				t.Fatal(err)
			}
			if r.Language != tt.want {
				t.Errorf("language %q rendered in %q, want %q", tt.tag, r.Language, tt.want)
			}
		})
	}
	ja, _ := mail.Render(mail.Message{Template: "purchase-receipt", Language: "ja-JP", Data: samples["purchase-receipt"]})
	if !strings.Contains(ja.Subject, "ご購入") || !strings.Contains(ja.Text, "Contoso <Ltd> & Co 様") {
		t.Errorf("Japanese receipt: %q\n%s", ja.Subject, ja.Text)
	}
}

func TestRenderErrors(t *testing.T) {
	if _, err := mail.Render(mail.Message{Template: "no-such-template", Data: map[string]string{}}); !errors.Is(err, mail.ErrUnknownTemplate) {
		t.Errorf("unknown template: %v", err)
	}
	// Missing data is an error, never "<no value>" in a customer's inbox.
	data := map[string]string{"packageName": "Gold"}
	if _, err := mail.Render(mail.Message{Template: "purchase-receipt", Data: data}); err == nil {
		t.Error("missing data rendered without error")
	}
	if _, err := mail.Render(mail.Message{Template: "purchase-receipt"}); err == nil {
		t.Error("nil data rendered without error")
	}
}

func TestSubjectIsOneLine(t *testing.T) {
	data := maps.Clone(samples["purchase-receipt"])
	data["packageName"] = "Gold\r\nBcc: victim@example.com"
	r, err := mail.Render(mail.Message{Template: "purchase-receipt", Data: data})
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(r.Subject, "\r\n") {
		t.Errorf("subject spans lines: %q", r.Subject)
	}
}
