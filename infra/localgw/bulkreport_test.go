package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
)

// bulkRowsMax is the documented row limit of a bulk Visual Studio request
// (maxBulkRows in shared/api).
const bulkRowsMax = 50

// maxStoredReport bounds the idempotency item of the largest bulk report:
// the 64 KB every item a partner's request writes stays under, far below
// DynamoDB's 400 KB item limit, so its replay is never lost.
const maxStoredReport = 64 << 10

// TestBulkReportStoredSize sends the worst bulk Visual Studio requests with
// an Idempotency-Key, measures the item that stores the report for replay,
// and replays each: (1) the maximum rows, every row failing, with ids of
// the maximum length (random, so they do not compress); (2) the maximum
// rows, every row assigning a user whose email and display name are of the
// maximum length, of random characters that JSON escapes or spells in four
// bytes. It also checks the bounds that make these the worst cases: one
// row too many and one id character too many are 400.
func TestBulkReportStoredSize(t *testing.T) {
	h := newHarness(t)
	h.publishPackages("bulk-report-1", map[string]any{"id": "vs-bulk-2026", "plan": "gold", "name": "Visual Studio bulk",
		"benefits": []any{map[string]any{"kind": "visual-studio", "product": "vs-professional", "quantity": 2 * bulkRowsMax, "benefitType": "core"}}})
	_, _, admin := h.newPartner("BulkReport", "USD")
	vs := lineOf(t, h.buy(admin, "vs-bulk-2026"), "vs-professional")
	path := "/v1/visual-studio/" + vs + "/assignments:bulk"
	rng := rand.New(rand.NewPCG(24, 6))

	bulk := func(rows []map[string]string) string {
		raw, _ := json.Marshal(map[string]any{"assignments": rows})
		return string(raw)
	}
	// The bounds.
	rows := make([]map[string]string, bulkRowsMax+1)
	for i := range rows {
		rows[i] = map[string]string{"userId": "usr_x"}
	}
	h.post(path, admin, bulk(rows)).problem(t, http.StatusBadRequest, "validation_failed")
	r := h.post(path, admin, bulk([]map[string]string{{"userId": randomIDOf(rng, 129)}}))
	if r.problem(t, http.StatusBadRequest, "validation_failed"); fieldError(r, "assignments[0].userId")["code"] != "too_long" {
		t.Errorf("an id of 129 characters: %s, want too_long naming assignments[0].userId", r.Body)
	}

	// (1) Every row fails: no such user, no such seat to replace.
	failing := make([]map[string]string, bulkRowsMax)
	for i := range failing {
		failing[i] = map[string]string{"userId": randomIDOf(rng, 128), "replacesUserId": randomIDOf(rng, 128)}
	}
	size, raw := storedReport(t, h, admin, path, bulk(failing), "bulk-failing", func(report map[string]any) {
		if s := report["summary"].(map[string]any); s["failed"] != float64(bulkRowsMax) {
			t.Errorf("failing rows: summary %v", s)
		}
	})
	t.Logf("%d failing rows: report %d bytes, stored item %d bytes", bulkRowsMax, raw, size)

	// (2) Every row assigns a user with the longest email and name.
	assigning := make([]map[string]string, bulkRowsMax)
	for i := range assigning {
		body, _ := json.Marshal(map[string]any{"email": worstEmail(rng, 254), "displayName": worstName(rng, 256)})
		r := h.post("/v1/users", admin, string(body))
		if r.Status != http.StatusCreated {
			t.Fatalf("user %d: %d %s", i, r.Status, r.Body)
		}
		assigning[i] = map[string]string{"userId": r.json(t)["id"].(string)}
	}
	size, raw = storedReport(t, h, admin, path, bulk(assigning), "bulk-assigning", func(report map[string]any) {
		if s := report["summary"].(map[string]any); s["assigned"] != float64(bulkRowsMax) {
			t.Errorf("assigning rows: summary %v", s)
		}
	})
	t.Logf("%d assigned rows with the longest emails and names: report %d bytes, stored item %d bytes", bulkRowsMax, raw, size)
}

// storedReport sends a bulk request with an Idempotency-Key, checks the
// report, replays it, and returns the size of the idempotency item that
// stores it and the report's own size.
func storedReport(t *testing.T, h *harness, token, path, body, key string, check func(map[string]any)) (item, report int) {
	t.Helper()
	before := map[string]bool{}
	for _, it := range scanItems(t, h) {
		before[it.key] = true
	}
	c := call{method: "POST", path: path, token: token, body: body, headers: map[string]string{"Idempotency-Key": key}}
	first := h.do(c)
	if first.Status != http.StatusOK {
		t.Fatalf("%s: %d %.500s", key, first.Status, first.Body)
	}
	check(first.json(t))
	replay := h.do(c)
	if replay.Status != http.StatusOK || replay.Header.Get("Idempotent-Replayed") != "true" || string(replay.Body) != string(first.Body) {
		t.Errorf("%s: replay %d (Idempotent-Replayed %q), same body %v; want the stored report",
			key, replay.Status, replay.Header.Get("Idempotent-Replayed"), string(replay.Body) == string(first.Body))
	}
	for _, it := range scanItems(t, h) {
		if it.typ == "idempotency" && !before[it.key] {
			item = it.size
		}
	}
	if item == 0 {
		t.Fatalf("%s: no idempotency item stored", key)
	}
	if item > maxStoredReport {
		t.Errorf("%s: the stored report is an item of %d bytes, over %d", key, item, maxStoredReport)
	}
	return item, len(first.Body)
}

// randomID is n random characters of an id's alphabet.
func randomIDOf(rng *rand.Rand, n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[rng.IntN(len(alphabet))]
	}
	return string(b)
}

// worstEmail is an address of n characters: a 64-character local part of
// random atext, '&' among it (JSON escapes it in six bytes), and random
// labels up to .example.
func worstEmail(rng *rand.Rand, n int) string {
	const atext = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&&&&'*+-/=?^_`{|}~"
	const ldh = "abcdefghijklmnopqrstuvwxyz0123456789"
	local := make([]byte, 64)
	for i := range local {
		local[i] = atext[rng.IntN(len(atext))]
	}
	var domain strings.Builder
	rest := n - len(local) - 1 - len(".example")
	for domain.Len() < rest {
		if domain.Len() > 0 {
			domain.WriteByte('.')
		}
		k := min(63, rest-domain.Len())
		if rest-domain.Len()-k == 1 { // leave no label of one dot
			k--
		}
		for range k {
			domain.WriteByte(ldh[rng.IntN(len(ldh))])
		}
	}
	return string(local) + "@" + domain.String() + ".example"
}

// worstName is n random characters that cost the most bytes in JSON: four-
// byte pictographs, line separators (escaped in six bytes) and <>&, framed by
// letters so that trimming keeps all n.
func worstName(rng *rand.Rand, n int) string {
	var b strings.Builder
	b.WriteByte('N')
	for range n - 2 {
		switch rng.IntN(4) {
		case 0:
			b.WriteRune('\u2028')
		case 1:
			b.WriteByte("<>&"[rng.IntN(3)])
		default:
			b.WriteRune(rune(0x1F300 + rng.IntN(0x1FAFF-0x1F300)))
		}
	}
	b.WriteByte('N')
	if got := len([]rune(b.String())); got != n {
		panic(fmt.Sprintf("worstName: %d runes", got))
	}
	return b.String()
}
