package main

import (
	"fmt"
	"maps"
	"net/http"
	"testing"
)

// TestGTMAndSeatRoundTrips pins the DynamoDB calls, by operation, of each
// go-to-market and seat write (and the confirmation page), on a partner
// with one package and on one with many lines and users: every write is at
// most 3 round trips, the same on both.
func TestGTMAndSeatRoundTrips(t *testing.T) {
	h := newHarness(t)
	type want = map[string]int
	for _, size := range []struct {
		name         string
		packs, users int
	}{{"small", 1, 6}, {"large", 12, 40}} {
		t.Run(size.name, func(t *testing.T) {
			_, _, admin := h.newPartner("Cost"+size.name, "USD")
			gold := h.buy(admin, "gold-2026")
			var pack map[string]any
			for range size.packs {
				pack = h.buy(admin, "action-pack-2026")
			}
			users := h.users(admin, size.name+".cost.example", size.users)
			offer := lineOfKind(t, gold, "gtm-offer", "")
			cost := func(what string, c call, status int, calls want) reply {
				t.Helper()
				h.calls.Reset()
				r := h.do(c)
				got := h.calls.Reset()
				if r.Status != status {
					t.Fatalf("%s: status %d, want %d: %s", what, r.Status, status, r.Body)
				}
				if !maps.Equal(got, calls) {
					t.Errorf("%s: calls %v, want %v", what, got, calls)
				}
				return r
			}
			contact := func(email string) call {
				return call{method: "PUT", path: "/v1/gtm/marketing-contact", token: admin,
					body: fmt.Sprintf(`{"userId":%q,"email":%q,"phone":"+14255550100","language":"en"}`, users[0], email)}
			}
			cost("new contact", contact("first@"+size.name+".cost.example"), http.StatusOK, want{"BatchGetItem": 1, "TransactWriteItems": 1})
			cost("same contact again", contact("first@"+size.name+".cost.example"), http.StatusOK, want{"BatchGetItem": 1})
			cost("changed contact", contact("second@"+size.name+".cost.example"), http.StatusOK, want{"BatchGetItem": 1, "TransactWriteItems": 1})
			cost("first activation", call{method: "POST", path: "/v1/gtm/offers/" + offer + "/activate", token: admin}, http.StatusOK,
				want{"BatchGetItem": 1, "TransactWriteItems": 1})
			tokens := (&routeFixture{h: h}).drainTokens()
			if len(tokens) != 1 {
				t.Fatalf("%d confirmation tokens, want 1", len(tokens))
			}
			cost("confirmation page", call{method: "GET", path: "/v1/gtm/confirm?token=" + tokens[0]}, http.StatusOK,
				want{"GetItem": 1, "BatchGetItem": 1})
			cost("confirmation", call{method: "POST", path: "/v1/gtm/confirm", body: `{"token":"` + tokens[0] + `"}`}, http.StatusOK,
				want{"GetItem": 1, "BatchGetItem": 1, "TransactWriteItems": 1})

			vs := lineOf(t, pack, "vs-professional")
			cost("one seat", call{method: "POST", path: "/v1/visual-studio/" + vs + "/assignments", token: admin, body: `{"userId":"` + users[1] + `"}`},
				http.StatusCreated, want{"GetItem": 1, "Query": 1, "TransactWriteItems": 1})
			bulk := `{"assignments":[{"userId":"` + users[2] + `"},{"userId":"` + users[3] + `"}]}`
			r := cost("two seats in bulk", call{method: "POST", path: "/v1/visual-studio/" + vs + "/assignments:bulk", token: admin, body: bulk},
				http.StatusOK, want{"BatchGetItem": 1, "Query": 1, "TransactWriteItems": 1})
			if s := r.json(t)["summary"].(map[string]any); s["assigned"] != 2.0 {
				t.Fatalf("bulk summary %v", s)
			}

			monthly := creditLine(t, pack, "credit-monthly", 0)
			cost("credit seat", call{method: "POST", path: "/v1/credits/" + monthly + "/users", token: admin, body: `{"userId":"` + users[1] + `"}`},
				http.StatusCreated, want{"GetItem": 1, "Query": 1, "TransactWriteItems": 1})
			annual := creditLine(t, gold, "credit-annual", 0)
			if r := h.assign(admin, annual, users[4]); r.Status != http.StatusCreated {
				t.Fatalf("assign annual: %d %s", r.Status, r.Body)
			}
			cost("credit transfer", call{method: "POST", path: "/v1/credits/" + annual + "/transfer", token: admin, body: `{"toUserId":"` + users[5] + `"}`},
				http.StatusOK, want{"GetItem": 1, "Query": 1, "TransactWriteItems": 1})
		})
	}
}
