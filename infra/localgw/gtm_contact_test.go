package main

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestGTMReplacedContact: a link sent to a contact who has since been
// replaced (another address) stops working, and activating the offer again
// sends a new link to the new contact at once, not 14 days later. A change
// that keeps the address keeps the link.
func TestGTMReplacedContact(t *testing.T) {
	h := newMailHarness(t)
	start := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	h.clock.Set(start)
	_, _, admin := h.newPartner("Replaced", "USD")
	offer := lineOf(t, h.buy(admin, "gold-2026"), "gtm-case-study")
	userID := h.addUser(admin, unique("replaced-user"))
	old, fresh := unique("old-contact"), unique("new-contact")
	if r := h.putContact(admin, userID, old, "+81312345678", "en"); r.Status != http.StatusOK {
		t.Fatalf("contact: %d %s", r.Status, r.Body)
	}
	if r := h.activateOffer(admin, offer); r.Status != http.StatusOK || r.json(t)["status"] != "pending" {
		t.Fatalf("activate: %d %s", r.Status, r.Body)
	}
	mails := h.mailTo(old)
	oldLink, oldToken := linkIn(t, mails[len(mails)-1])

	// Same address, another phone: the link still belongs to the contact.
	h.clock.Set(start.Add(time.Hour))
	if r := h.putContact(admin, userID, old, "+81312345679", "en"); r.Status != http.StatusOK {
		t.Fatalf("new phone: %d %s", r.Status, r.Body)
	}
	if page := h.get(strings.TrimPrefix(oldLink, h.url), ""); page.Status != http.StatusOK {
		t.Fatalf("the link after a phone change: %d", page.Status)
	}

	// Another address: the old link stops working.
	h.clock.Set(start.Add(2 * time.Hour))
	if r := h.putContact(admin, userID, fresh, "+81312345678", "en"); r.Status != http.StatusOK {
		t.Fatalf("replace contact: %d %s", r.Status, r.Body)
	}
	if page := h.get(strings.TrimPrefix(oldLink, h.url), ""); page.Status != http.StatusGone {
		t.Errorf("the old contact's link page: %d, want 410", page.Status)
	}
	if r := h.post("/v1/gtm/confirm", "", `{"token":"`+oldToken+`"}`); r.Status != http.StatusGone {
		t.Errorf("the old contact's link confirmed: %d %s", r.Status, r.Body)
	}

	// Activating again sends the new contact a link now.
	r := h.activateOffer(admin, offer)
	if r.Status != http.StatusOK || r.json(t)["status"] != "pending" || !near(r.json(t)["linkExpiresAt"], start.Add(2*time.Hour+14*24*time.Hour)) {
		t.Fatalf("activate for the new contact: %d %s", r.Status, r.Body)
	}
	var links []string
	for _, m := range h.mailTo(fresh) {
		if got := confirmLink.FindStringSubmatch(m.Text); got != nil {
			links = append(links, got[1])
		}
	}
	if len(links) != 1 {
		t.Fatalf("%d links sent to the new contact, want 1", len(links))
	}
	// Repeating it while that link works sends nothing more.
	h.activateOffer(admin, offer)
	if n := len(h.mailTo(fresh)); n != 2 {
		t.Fatalf("%d mails to the new contact, want the instructions and one link", n)
	}
	h.post("/v1/gtm/confirm", "", `{"token":"`+oldToken+`"}`).problem(t, http.StatusGone, "token_invalid")
	if r := h.post("/v1/gtm/confirm", "", `{"token":"`+links[0]+`"}`); r.Status != http.StatusOK || r.json(t)["status"] != "active" {
		t.Fatalf("the new contact confirms: %d %s", r.Status, r.Body)
	}
}

// TestGTMInstructionsCarryNoCallerText: the instructions go to an address
// nobody has confirmed, so they carry no free text a caller wrote (the
// user's display name), only the operator's partner name.
func TestGTMInstructionsCarryNoCallerText(t *testing.T) {
	h := newMailHarness(t)
	_, _, admin := h.newPartner("Plain", "USD")
	const spam = "Cheap watches at spam.example"
	r := h.post("/v1/users", admin, `{"email":"`+unique("plain-user")+`","displayName":"`+spam+`"}`)
	if r.Status != http.StatusCreated {
		t.Fatalf("user: %d %s", r.Status, r.Body)
	}
	for _, lang := range []string{"en", "ja"} {
		contact := unique("plain-" + lang)
		if r := h.putContact(admin, r.json(t)["id"].(string), contact, "+81312345678", lang); r.Status != http.StatusOK {
			t.Fatalf("contact: %d %s", r.Status, r.Body)
		}
		mails := h.mailTo(contact)
		if len(mails) != 1 {
			t.Fatalf("%s: %d mails", lang, len(mails))
		}
		if m := mails[0]; strings.Contains(m.Subject+m.Text+m.HTML, "spam.example") || !strings.Contains(m.Text, "Plain") {
			t.Errorf("%s instructions:\n%s\n%s\n%s", lang, m.Subject, m.Text, m.HTML)
		}
	}
}
