package main

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/ids"
	"github.com/pbs/benefits/shared/licensekey"
)

// lineOf returns the id of the first line of a product in a purchase response.
func lineOf(t testing.TB, purchase map[string]any, product string) string {
	t.Helper()
	for _, b := range purchase["benefits"].([]any) {
		if m := b.(map[string]any); m["product"] == product {
			return m["id"].(string)
		}
	}
	t.Fatalf("no %s line", product)
	return ""
}

func (h *harness) importKeys(product string, keys ...string) {
	h.t.Helper()
	r := h.do(call{method: "POST", path: "/v1/admin/key-pools/" + product, token: h.operator(),
		body: strings.Join(keys, "\n"), headers: map[string]string{"Content-Type": "text/csv"}})
	if r.Status != http.StatusOK {
		h.t.Fatalf("import: %d %s", r.Status, r.Body)
	}
}

func TestGetKeyAllocatesOnceThenRepeatsWithOneRead(t *testing.T) {
	h := newHarness(t)
	h.importKeys("server-os-datacenter", "AAAAA-00001", "AAAAA-00002")
	pid, _, admin := h.newPartner("Contoso", "USD")
	gold := h.buy(admin, "gold-2026")
	id := lineOf(t, gold, "server-os-datacenter")

	first := h.do(call{method: "POST", path: "/v1/software/" + id + "/key", token: admin, headers: map[string]string{"Accept-Language": "ja-JP,ja;q=0.9"}})
	if first.Status != 200 || first.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("first: %d %v %s", first.Status, first.Header, first.Body)
	}
	k := first.json(t)
	if !strings.HasPrefix(k["key"].(string), "AAAAA-0000") || !strings.Contains(k["instructions"].(string), "セットアップ") || len(k) != 2 {
		t.Errorf("first response %v", k)
	}
	// Any allowed user gets the same key; a repeat is one read.
	mpn := h.token(pid, "someone", "mpn-partner-admin")
	h.calls.Reset()
	again := h.post("/v1/software/"+id+"/key", mpn, "").json(t)
	if c := h.calls.Reset(); c["GetItem"] != 1 || len(c) != 1 {
		t.Errorf("repeat get-key made %v round trips, want one GetItem", c)
	}
	if again["key"] != k["key"] || !strings.HasPrefix(again["instructions"].(string), "Enter the key") {
		t.Errorf("repeat %v", again)
	}
	// The dashboard shows the line activated.
	for _, b := range h.get("/v1/benefits", admin).json(t)["benefits"].([]any) {
		if m := b.(map[string]any); m["id"] == id && m["status"] != "activated" {
			t.Errorf("line status %v, want activated", m["status"])
		}
	}
	// The pool had two keys; one is left for the next line.
	other := h.buy(admin, "gold-2026")
	k2 := h.post("/v1/software/"+lineOf(t, other, "server-os-datacenter")+"/key", admin, "").json(t)["key"]
	if k2 == k["key"] || k2 == nil {
		t.Errorf("second line got %v", k2)
	}
	third := h.buy(admin, "gold-2026")
	h.post("/v1/software/"+lineOf(t, third, "server-os-datacenter")+"/key", admin, "").problem(t, 409, "key_pool_exhausted")
}

func TestGetKeyConcurrentFirstCallsAgree(t *testing.T) {
	h := newHarness(t)
	keys := make([]string, 30)
	for i := range keys {
		keys[i] = "CONC-" + string(rune('A'+i%26)) + string(rune('A'+i/26))
	}
	h.importKeys("office-suite-pro", keys...)
	_, _, admin := h.newPartner("Fabrikam", "USD")
	id := lineOf(t, h.buy(admin, "gold-2026"), "office-suite-pro")
	var wg sync.WaitGroup
	got := make([]string, 10)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := h.post("/v1/software/"+id+"/key", admin, "")
			if r.Status != 200 {
				t.Errorf("call %d: %d %s", i, r.Status, r.Body)
				return
			}
			got[i] = r.json(t)["key"].(string)
		}()
	}
	wg.Wait()
	for _, k := range got {
		if k != got[0] {
			t.Fatalf("concurrent first calls saw different keys: %v", got)
		}
	}
	// Every key is still known to the pool (store tests count the free ones).
	imp := h.do(call{method: "POST", path: "/v1/admin/key-pools/office-suite-pro", token: h.operator(),
		body: strings.Join(keys, "\n"), headers: map[string]string{"Content-Type": "text/csv"}}).json(t)
	if imp["imported"] != float64(0) || imp["duplicates"] != float64(30) {
		t.Errorf("re-import %v", imp)
	}
}

func TestSignedKeyVerifiesOfflineWithThePublishedKey(t *testing.T) {
	h := newHarness(t)
	_, _, admin := h.newPartner("Litware", "USD")
	p := h.buy(admin, "gold-2026")
	id := lineOf(t, p, "dev-tools-suite")
	key := h.post("/v1/software/"+id+"/key", admin, "").json(t)["key"].(string)
	if again := h.post("/v1/software/"+id+"/key", admin, "").json(t)["key"]; again != key {
		t.Errorf("signed key changed: %v", again)
	}
	if !strings.HasPrefix(key, "PBK2.") {
		t.Errorf("new keys are PBK2: %s", key)
	}
	pubResp := h.get("/v1/software/signing-key", "") // public: no token
	if pubResp.Status != 200 {
		t.Fatalf("signing key: %d %s", pubResp.Status, pubResp.Body)
	}
	var pub struct {
		Algorithm, Format, KeyID, PublicKey string
		Keys                                []struct {
			KeyID, PublicKey string
			Current          bool
		}
	}
	if err := json.Unmarshal(pubResp.Body, &pub); err != nil || pub.Algorithm != "Ed25519" || pub.Format != "PBK2" || pub.KeyID == "" {
		t.Fatalf("signing key document %s", pubResp.Body)
	}
	if len(pub.Keys) != 1 || pub.Keys[0].KeyID != pub.KeyID || pub.Keys[0].PublicKey != pub.PublicKey || !pub.Keys[0].Current {
		t.Errorf("keys of the dev seed: %s", pubResp.Body)
	}
	ring, err := licensekey.ParseKeyring(pubResp.Body)
	if err != nil {
		t.Fatal(err)
	}
	claims, err := ring.Verify(key, time.Now())
	if err != nil || claims.Benefit != id || claims.Product != "dev-tools-suite" || claims.Partner != h.partnerOf(admin) || claims.KeyID != pub.KeyID {
		t.Fatalf("verify: %+v %v", claims, err)
	}
	expires := p["benefits"].([]any)[0].(map[string]any)["expiresAt"].(string)[:10]
	if claims.Expires != expires {
		t.Errorf("key expires %s, benefit %s", claims.Expires, expires)
	}
	// A verifier that holds only the top-level publicKey, as before key ids, still verifies.
	pk, err := licensekey.ParsePublicKey(pub.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := licensekey.Verify(pk, key, time.Now()); err != nil {
		t.Errorf("single-key verify: %v", err)
	}
	tampered := strings.Replace(key, key[10:14], "AAAA", 1)
	if _, err := ring.Verify(tampered, time.Now()); err == nil {
		t.Error("a tampered key verified")
	}
}

// A PBK1 key stored on a line before key ids existed is handed out as it is,
// and verifies with the published key held as the keyring's legacy entry.
func TestSignedPBK1KeyOnALineStaysAndVerifies(t *testing.T) {
	h := newHarness(t)
	pid, adminID, admin := h.newPartner("Northwind", "USD")
	p := h.buy(admin, "gold-2026")
	id := lineOf(t, p, "dev-tools-suite")
	ctx := context.Background()
	line, err := h.svc.Store.Benefit(ctx, pid, id)
	if err != nil {
		t.Fatal(err)
	}
	// What the service signed before PBK2, with the same (dev) key.
	payload, _ := json.Marshal(map[string]any{"v": 1, "partner": pid, "product": line.Product, "benefit": id,
		"expires": line.ExpiresAt.UTC().Format(time.DateOnly)})
	signed := "PBK1." + base64.RawURLEncoding.EncodeToString(payload)
	old := signed + "." + base64.RawURLEncoding.EncodeToString(ed25519.Sign(h.svc.Signer.Key, []byte(signed)))
	now := h.clock.Now()
	if err := h.svc.Store.SetBenefitKey(ctx, line, old, now, audit.New(ids.New, pid, adminID, audit.SoftwareKeyIssued, id, now)); err != nil {
		t.Fatal(err)
	}
	if got := h.post("/v1/software/"+id+"/key", admin, "").json(t)["key"]; got != old {
		t.Fatalf("the stored PBK1 key was replaced: %v", got)
	}
	ring, err := licensekey.ParseKeyring(h.get("/v1/software/signing-key", "").Body)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ring.Verify(old, time.Now()); !errors.Is(err, licensekey.ErrUnknownKey) {
		t.Errorf("PBK1 without a legacy entry: %v", err)
	}
	// The dev seed's key signed the PBK1 keys, so it is the legacy entry.
	var doc struct{ PublicKey string }
	_ = json.Unmarshal(h.get("/v1/software/signing-key", "").Body, &doc)
	ring[licensekey.LegacyKeyID], _ = licensekey.ParsePublicKey(doc.PublicKey)
	if c, err := ring.Verify(old, time.Now()); err != nil || c.Version != 1 || c.Benefit != id {
		t.Errorf("PBK1 with the legacy entry: %+v %v", c, err)
	}
}

func TestGetKeyRolesKindsAndPartners(t *testing.T) {
	h := newHarness(t)
	h.importKeys("office-suite-pro", "ROLE-1", "ROLE-2")
	pid, _, admin := h.newPartner("Tailspin", "USD")
	_, _, stranger := h.newPartner("Stranger", "USD")
	p := h.buy(admin, "gold-2026")
	sw, lic := lineOf(t, p, "office-suite-pro"), lineOf(t, p, "office-cloud-e3")
	for _, role := range []string{"user-management-admin", "admin-agent", ""} {
		tok := h.token(pid, "u", role)
		if role == "" {
			tok = h.token(pid, "u")
		}
		h.post("/v1/software/"+sw+"/key", tok, "").problem(t, 403, "forbidden_role")
		h.get("/v1/software/"+sw+"/downloads", tok).problem(t, 403, "forbidden_role")
	}
	h.post("/v1/software/"+sw+"/key", stranger, "").problem(t, 404, "not_found")
	h.get("/v1/software/"+sw+"/downloads", stranger).problem(t, 404, "not_found")
	h.post("/v1/software/"+lic+"/key", admin, "").problem(t, 404, "not_found") // a licence line is not software
	h.post("/v1/software/ben_missing/key", admin, "").problem(t, 404, "not_found")
	// Past expiry no key is handed out.
	h.clock.Set(time.Now().AddDate(1, 1, 0))
	h.post("/v1/software/"+sw+"/key", admin, "").problem(t, 409, "benefit_expired")
	h.clock.Reset()
	if r := h.post("/v1/software/"+sw+"/key", admin, ""); r.Status != 200 {
		t.Errorf("after reset: %d %s", r.Status, r.Body)
	}
}

func TestDownloads(t *testing.T) {
	h := newHarness(t)
	_, _, admin := h.newPartner("Proseware", "USD")
	id := lineOf(t, h.buy(admin, "gold-2026"), "office-suite-pro")
	list := h.get("/v1/software/"+id+"/downloads", admin).json(t)
	if list["product"] != "office-suite-pro" || len(list["languages"].([]any)) != 4 || len(list["oses"].([]any)) != 2 || len(list["available"].([]any)) != 8 {
		t.Errorf("options %v", list)
	}
	d := h.get("/v1/software/"+id+"/downloads?language=ja&os=macos-arm64", admin).json(t)
	if !strings.HasPrefix(d["url"].(string), "https://") || len(d["sha256"].(string)) != 64 || d["language"] != "ja" {
		t.Errorf("download %v", d)
	}
	h.get("/v1/software/"+id+"/downloads?language=ja&os=linux-x64", admin).problem(t, 404, "download_not_available")
	h.get("/v1/software/"+id+"/downloads?language=ja", admin).problem(t, 400, "validation_failed")
	// Language is a BCP 47 tag matched to the closest language on offer.
	for tag, want := range map[string]string{"en-US": "en", "en-GB": "en", "ja-JP": "ja", "de-AT": "de"} {
		d := h.get("/v1/software/"+id+"/downloads?language="+tag+"&os=windows-x64", admin).json(t)
		if d["language"] != want || d["requestedLanguage"] != tag {
			t.Errorf("%s: %v, want %s", tag, d, want)
		}
	}
	h.get("/v1/software/"+id+"/downloads?language=pt-BR&os=windows-x64", admin).problem(t, 404, "download_not_available")
	h.get("/v1/software/"+id+"/downloads?language=%21%21&os=windows-x64", admin).problem(t, 400, "validation_failed")
}
