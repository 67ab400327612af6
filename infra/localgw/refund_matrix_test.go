package main

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/cancel"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/ids"
	"github.com/pbs/benefits/shared/mail"
	"github.com/pbs/benefits/shared/store"
)

// The refund matrix: for every benefit kind, a package holding one line of
// that kind is cancelled with the line untouched and after each way of
// using it, as docs/domain.md ("Cancelling a package") decides: value
// handed out that cannot be taken back refuses the refund, anything that
// can be withdrawn is withdrawn by the cancel.

// matrixProducts is the demo product each kind's one-line package holds.
var matrixProducts = map[catalog.Kind]string{
	catalog.Software:      "office-suite-pro",
	catalog.CreditMonthly: "cloud-credit-monthly",
	catalog.CreditAnnual:  "cloud-credit-annual",
	catalog.License:       "office-cloud-e3",
	catalog.VisualStudio:  "vs-enterprise",
	catalog.Support:       "product-support",
	catalog.AdvisoryHours: "advisory-hours",
	catalog.GTMOffer:      "gtm-case-study",
}

// publishMatrix publishes one package per kind, "matrix-<kind>", with a
// single line of it, and "matrix-software-signed" (a signed software key).
func publishMatrix(t *testing.T, h *harness) {
	t.Helper()
	line := func(kind catalog.Kind, product string) map[string]any {
		l := map[string]any{"kind": string(kind), "product": product, "quantity": 2, "benefitType": "core"}
		if kind.IsCredit() {
			l["credit"] = map[string]any{"USD": 10000, "EUR": 9000, "JPY": 1500000, "GBP": 8000}
		}
		if kind == catalog.CreditAnnual || kind == catalog.GTMOffer || kind == catalog.Software || kind == catalog.License {
			l["quantity"] = 1
		}
		return l
	}
	var pkgs []map[string]any
	for _, k := range catalog.Kinds {
		product, ok := matrixProducts[k]
		if !ok {
			t.Fatalf("kind %s has no product in the refund matrix: decide what activating it means for a refund, and add its rows", k)
		}
		pkgs = append(pkgs, map[string]any{"id": "matrix-" + string(k), "plan": "gold", "name": "Matrix " + string(k),
			"benefits": []any{line(k, product)}})
	}
	pkgs = append(pkgs, map[string]any{"id": "matrix-software-signed", "plan": "gold", "name": "Matrix signed software",
		"benefits": []any{line(catalog.Software, "dev-tools-suite")}})
	h.publishPackages("refund-matrix", pkgs...)
}

// matrixCase is one bought package of one row.
type matrixCase struct {
	h                   *harness
	pid, admin, user    string
	purchase            map[string]any
	purchaseID, line    string
	contact, offerToken string
	key                 string // the key a row was shown
	start               time.Time
}

// newMatrixCase gives a fresh partner (draws and offers look at all of a
// partner's lines) one package, and a directory user.
func newMatrixCase(t *testing.T, h *harness, name, pkg string) *matrixCase {
	t.Helper()
	pid, _, admin := h.newPartner(name, "USD")
	c := &matrixCase{h: h, pid: pid, admin: admin, start: h.clock.Now()}
	c.user = h.addUser(admin, "someone@"+name+".example")
	c.purchase = h.buy(admin, pkg)
	c.purchaseID = c.purchase["id"].(string)
	c.line = c.purchase["benefits"].([]any)[0].(map[string]any)["id"].(string)
	return c
}

func (c *matrixCase) must(t *testing.T, r reply, status int) map[string]any {
	t.Helper()
	if r.Status != status {
		t.Fatalf("%d, want %d: %s", r.Status, status, r.Body)
	}
	if len(r.Body) == 0 {
		return nil
	}
	return r.json(t)
}

// pendOffer names a marketing contact and activates the offer: pending,
// with the link's token kept.
func (c *matrixCase) pendOffer(t *testing.T) {
	t.Helper()
	c.contact = unique("matrix-contact")
	c.must(t, c.h.putContact(c.admin, c.user, c.contact, "+14255550100", "en"), http.StatusOK)
	c.must(t, c.h.activateOffer(c.admin, c.line), http.StatusOK)
	mails := c.h.mailTo(c.contact)
	_, c.offerToken = linkIn(t, mails[len(mails)-1])
}

func (c *matrixCase) confirm() reply {
	return c.h.post("/v1/gtm/confirm", "", `{"token":"`+c.offerToken+`"}`)
}

func (c *matrixCase) readLicense(token string) reply {
	return c.h.get("/v1/licenses/"+c.line, token)
}

func (c *matrixCase) purchaseNow(t *testing.T) map[string]any {
	t.Helper()
	return c.must(t, c.h.get("/v1/purchases/"+c.purchaseID, c.admin), http.StatusOK)
}

type matrixRow struct {
	kind  catalog.Kind
	state string // what was done with the line before the cancel
	pkg   string // "" for matrix-<kind>
	use   func(t *testing.T, c *matrixCase)
	code  string // the cancel's 409 code; "" for 201 with the full refund
	then  func(t *testing.T, c *matrixCase)
}

// pkgID is the package the row buys: its own, else matrix-<kind>.
func (r matrixRow) pkgID() string {
	if r.pkg != "" {
		return r.pkg
	}
	return "matrix-" + string(r.kind)
}

func matrixRows() []matrixRow {
	revokedKey := func(t *testing.T, c *matrixCase) {
		c.h.post("/v1/software/"+c.line+"/key", c.admin, "").problem(t, http.StatusConflict, "benefit_revoked")
	}
	noLicenseKey := func(t *testing.T, c *matrixCase) {
		v := c.must(t, c.readLicense(c.admin), http.StatusOK)
		if _, has := v["key"]; has || v["status"] != "revoked" {
			t.Fatalf("licence view after the cancel %v", v)
		}
		c.h.redeem(c.admin, c.line, "matrix.example", "add-seats").problem(t, http.StatusConflict, "benefit_revoked")
	}
	keyStillShown := func(t *testing.T, c *matrixCase) {
		if v := c.must(t, c.readLicense(c.admin), http.StatusOK); v["key"] != c.key || v["status"] == "revoked" {
			t.Fatalf("licence view after the refused cancel %v, want key %s", v, c.key)
		}
	}
	creditReleased := func(t *testing.T, c *matrixCase) {
		// Revoked by the request; released by the job.
		if cr, err := c.h.svc.Store.Credit(context.Background(), c.pid, c.line); err != nil || !cr.Revoked {
			t.Fatalf("credit after the cancel: revoked %v, %v", cr.Revoked, err)
		}
		if sum := c.h.runJob("finish-cancellations"); sum["released"].(float64) < 1 { // and other rows' cancellations
			t.Fatalf("release job %v", sum)
		}
		cr, err := c.h.svc.Store.Credit(context.Background(), c.pid, c.line)
		if err != nil || !cr.Revoked || len(cr.Holders) != 0 || len(cr.Grants) != 0 {
			t.Fatalf("credit after the cancel: revoked %v, holders %v, grants %v, %v", cr.Revoked, cr.Holders, cr.Grants, err)
		}
		// The holder is free: it takes an annual credit of another package.
		other := newPackageLine(t, c, "matrix-credit-annual")
		c.must(t, c.h.assign(c.admin, other, c.user), http.StatusCreated)
	}
	assign := func(t *testing.T, c *matrixCase) { c.must(t, c.h.assign(c.admin, c.line, c.user), http.StatusCreated) }
	return []matrixRow{
		{kind: catalog.Software, state: "untouched", then: revokedKey},
		{kind: catalog.Software, state: "pool key taken", code: "software_benefit_activated",
			use: func(t *testing.T, c *matrixCase) {
				c.key = c.must(t, c.h.post("/v1/software/"+c.line+"/key", c.admin, ""), http.StatusOK)["key"].(string)
			}},
		{kind: catalog.Software, state: "signed key taken", pkg: "matrix-software-signed", code: "software_benefit_activated",
			use: func(t *testing.T, c *matrixCase) {
				c.must(t, c.h.post("/v1/software/"+c.line+"/key", c.admin, ""), http.StatusOK)
			}},

		{kind: catalog.License, state: "untouched", then: noLicenseKey},
		{kind: catalog.License, state: "read by a member (no key taken)", then: noLicenseKey,
			use: func(t *testing.T, c *matrixCase) {
				if v := c.must(t, c.readLicense(c.h.token(c.pid, c.user)), http.StatusOK); v["key"] != nil {
					t.Fatalf("a member saw the key: %v", v)
				}
			}},
		{kind: catalog.License, state: "key shown", code: "software_benefit_activated", then: keyStillShown,
			use: func(t *testing.T, c *matrixCase) {
				c.key, _ = c.must(t, c.readLicense(c.admin), http.StatusOK)["key"].(string)
				if c.key == "" {
					t.Fatal("no key shown")
				}
			}},
		{kind: catalog.License, state: "key redeemed", code: "software_benefit_activated",
			use: func(t *testing.T, c *matrixCase) {
				c.must(t, c.h.redeem(c.admin, c.line, "matrix.onmicrosoft.com", "add-seats"), http.StatusOK)
			},
			then: func(t *testing.T, c *matrixCase) {
				v := c.must(t, c.readLicense(c.admin), http.StatusOK)
				if v["status"] != "activated" || v["redemption"] == nil || v["key"] == nil {
					t.Fatalf("licence after the refused cancel %v", v)
				}
			}},

		{kind: catalog.CreditMonthly, state: "no holder", then: creditReleased},
		{kind: catalog.CreditMonthly, state: "assigned, not yet granted", use: assign, then: creditReleased},
		{kind: catalog.CreditMonthly, state: "granted on the 1st", code: "benefit_consumed",
			use: func(t *testing.T, c *matrixCase) {
				assign(t, c)
				y, m, _ := c.start.Date()
				c.h.clock.Set(time.Date(y, m+1, 1, 0, 5, 0, 0, time.UTC))
				if sum := c.h.runJob("monthly-credit-grant"); sum["granted"] == float64(0) {
					t.Fatalf("grant run %v", sum)
				}
			},
			then: func(t *testing.T, c *matrixCase) {
				cr, err := c.h.svc.Store.Credit(context.Background(), c.pid, c.line)
				if err != nil || cr.Revoked || len(cr.Holders) != 1 || len(cr.Grants) != 1 {
					t.Fatalf("credit after the refused cancel: %+v %v", cr, err)
				}
			}},

		{kind: catalog.CreditAnnual, state: "no holder", then: func(t *testing.T, c *matrixCase) {
			c.h.assign(c.admin, c.line, c.user).problem(t, http.StatusConflict, "benefit_revoked")
		}},
		{kind: catalog.CreditAnnual, state: "assigned (granted at once)", code: "benefit_consumed", use: assign},

		{kind: catalog.VisualStudio, state: "no seat", then: func(t *testing.T, c *matrixCase) {
			c.h.assignVS(c.admin, c.line, c.user, "").problem(t, http.StatusConflict, "benefit_revoked")
		}},
		{kind: catalog.VisualStudio, state: "seat assigned",
			use: func(t *testing.T, c *matrixCase) {
				c.must(t, c.h.assignVS(c.admin, c.line, c.user, ""), http.StatusCreated)
			},
			then: func(t *testing.T, c *matrixCase) {
				if holders := c.h.vsHolders(c.admin, c.line); len(holders) != 0 {
					t.Fatalf("subscriptions after the cancel: %v", holders)
				}
			}},

		{kind: catalog.Support, state: "untouched", then: func(t *testing.T, c *matrixCase) {
			if r := c.h.incident(c.admin, "azure-csp", "Storage", ""); r.Status != http.StatusConflict {
				t.Fatalf("an incident on a cancelled package: %d %s", r.Status, r.Body)
			}
		}},
		{kind: catalog.Support, state: "support activated, no incident",
			use: func(t *testing.T, c *matrixCase) {
				c.must(t, c.h.post("/v1/support/activate", c.admin, ""), http.StatusCreated)
			}},
		{kind: catalog.Support, state: "incident opened", code: "benefit_consumed",
			use: func(t *testing.T, c *matrixCase) {
				c.must(t, c.h.incident(c.admin, "azure-csp", "Storage", ""), http.StatusCreated)
			}},

		{kind: catalog.AdvisoryHours, state: "untouched", then: func(t *testing.T, c *matrixCase) {
			if r := c.h.advisory(c.admin, "After the cancel", 1); r.Status != http.StatusConflict {
				t.Fatalf("hours of a cancelled package: %d %s", r.Status, r.Body)
			}
		}},
		{kind: catalog.AdvisoryHours, state: "hours used", code: "benefit_consumed",
			use: func(t *testing.T, c *matrixCase) {
				c.must(t, c.h.advisory(c.admin, "Landing zone", 1), http.StatusCreated)
			}},

		{kind: catalog.GTMOffer, state: "untouched", then: func(t *testing.T, c *matrixCase) {
			c.h.activateOffer(c.admin, c.line).problem(t, http.StatusConflict, "benefit_revoked")
		}},
		{kind: catalog.GTMOffer, state: "pending confirmation", use: func(t *testing.T, c *matrixCase) { c.pendOffer(t) },
			then: func(t *testing.T, c *matrixCase) {
				c.confirm().problem(t, http.StatusGone, "token_invalid")
			}},
		{kind: catalog.GTMOffer, state: "confirmed", code: "benefit_consumed",
			use: func(t *testing.T, c *matrixCase) {
				c.pendOffer(t)
				c.must(t, c.confirm(), http.StatusOK)
			}},
	}
}

// newPackageLine buys another package for the case's partner and returns its line.
func newPackageLine(t *testing.T, c *matrixCase, pkg string) string {
	t.Helper()
	return c.h.buy(c.admin, pkg)["benefits"].([]any)[0].(map[string]any)["id"].(string)
}

// TestRefundMatrixCoversEveryKind: every kind of the catalogue has a row
// with its line untouched and one with it used, so a new kind fails here
// until its refund rule is decided.
func TestRefundMatrixCoversEveryKind(t *testing.T) {
	untouched, used := map[catalog.Kind]bool{}, map[catalog.Kind]bool{}
	for _, r := range matrixRows() {
		if r.use == nil {
			untouched[r.kind] = true
		} else {
			used[r.kind] = true
		}
	}
	for _, k := range catalog.Kinds {
		if !untouched[k] || !used[k] {
			t.Errorf("kind %s: untouched row %v, used row %v; decide its refund rule and add the rows", k, untouched[k], used[k])
		}
		if _, ok := matrixProducts[k]; !ok {
			t.Errorf("kind %s has no product in matrixProducts", k)
		}
	}
}

func TestRefundMatrix(t *testing.T) {
	h := newMailHarness(t)
	start := time.Date(2026, 12, 20, 9, 0, 0, 0, time.UTC)
	h.clock.Set(start)
	h.importKeys("office-suite-pro", "MATRIX-SW-1", "MATRIX-SW-2", "MATRIX-SW-3")
	h.importKeys("office-cloud-e3", licenseKeys("matrix-e3", 10)...)
	publishMatrix(t, h)
	for i, row := range matrixRows() {
		t.Run(fmt.Sprintf("%s/%s", row.kind, row.state), func(t *testing.T) {
			h := h.with(t)
			h.clock.Set(start)
			c := newMatrixCase(t, h, fmt.Sprintf("Matrix%d%d", i, time.Now().UnixNano()%1e6), row.pkgID())
			if row.use != nil {
				row.use(t, c)
			}
			before := c.purchaseNow(t)
			r := h.cancel(c.admin, c.purchaseID)
			after := c.purchaseNow(t)
			if row.code != "" {
				p := r.problem(t, http.StatusConflict, row.code)
				if p["benefitId"] != c.line || p["kind"] != string(row.kind) {
					t.Errorf("problem names %v (%v), want %s (%s)", p["benefitId"], p["kind"], c.line, row.kind)
				}
				// Nothing was written: the purchase and its lines read as before.
				if !reflect.DeepEqual(before, after) {
					t.Fatalf("a refused cancel changed the purchase:\nbefore %v\nafter  %v", before, after)
				}
			} else {
				sr := c.must(t, r, http.StatusCreated)
				if !reflect.DeepEqual(sr["refund"], c.purchase["price"]) || sr["status"] != "pending" {
					t.Fatalf("service request %v, price %v", sr, c.purchase["price"])
				}
				if after["status"] != "cancelled" || after["cancellation"].(map[string]any)["serviceRequestId"] != sr["serviceRequestId"] {
					t.Fatalf("purchase after the cancel %v", after)
				}
				for _, b := range after["benefits"].([]any) {
					if b.(map[string]any)["status"] != "revoked" {
						t.Fatalf("line after the cancel %v", b)
					}
				}
			}
			if row.then != nil {
				row.then(t, c)
			}
		})
	}
}

// A licence line whose purchase was cancelled before this rule (its key
// shown, then revoked) never shows its key again.
func TestRevokedLicenceHidesItsKey(t *testing.T) {
	h := newHarness(t)
	h.importKeys("office-cloud-e3", licenseKeys("legacy-e3", 2)...)
	publishMatrix(t, h)
	c := newMatrixCase(t, h, "Legacy", "matrix-license")
	if v := c.must(t, c.readLicense(c.admin), http.StatusOK); v["key"] == nil {
		t.Fatalf("no key %v", v)
	}
	// The cancel as it was committed before: without fencing the licence line.
	ctx := context.Background()
	st := h.svc.Store
	p, o, err := st.Purchase(ctx, c.pid, c.purchaseID)
	if err != nil {
		t.Fatal(err)
	}
	o.Lines = nil
	if err := c.commitCancel(p, o); err != nil {
		t.Fatal(err)
	}
	if err := st.FinishCancellation(ctx, c.pid, c.purchaseID, h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if b, err := st.Benefit(ctx, c.pid, c.line); err != nil || b.Status != benefit.Revoked || b.Key == "" {
		t.Fatalf("setup: line %+v %v", b, err)
	}
	v := c.must(t, c.readLicense(c.admin), http.StatusOK)
	if _, has := v["key"]; has || v["status"] != "revoked" {
		t.Fatalf("a revoked licence shows %v", v)
	}
	c.h.redeem(c.admin, c.line, "legacy.example", "add-seats").problem(t, http.StatusConflict, "benefit_revoked")
}

// commitCancel commits a cancellation decided on p and o, as read earlier.
func (c *matrixCase) commitCancel(p benefit.Purchase, o store.Overview) error {
	now := c.h.clock.Now()
	sr := cancel.ServiceRequest{ID: ids.New("sr"), PartnerID: c.pid, PurchaseID: p.ID, PackageName: p.PackageName, Status: cancel.Pending,
		Refund: p.Price, RequestedBy: "usr_matrix", RequestedAt: now}
	return c.h.svc.Store.CancelPurchase(context.Background(), store.Cancellation{Purchase: p, Overview: o, Request: sr, At: now,
		Mail:  mail.Message{ID: ids.New("msg"), To: []string{"a@matrix.example"}, Template: "purchase-cancelled", Language: "en", CreatedAt: now, Data: map[string]string{}},
		Event: audit.New(ids.New, c.pid, "usr_matrix", audit.PurchaseCancelled, "", now)})
}

// Every refused row, with the line used between the cancel's read and its
// commit: the commit's fence refuses it, whatever the read said.
func TestRefundMatrixFencesStaleReads(t *testing.T) {
	h := newMailHarness(t)
	start := time.Date(2026, 12, 20, 9, 0, 0, 0, time.UTC)
	h.importKeys("office-suite-pro", "STALE-SW-1", "STALE-SW-2")
	h.importKeys("office-cloud-e3", licenseKeys("stale-e3", 4)...)
	publishMatrix(t, h)
	for i, row := range matrixRows() {
		if row.code == "" {
			continue
		}
		t.Run(fmt.Sprintf("%s/%s", row.kind, row.state), func(t *testing.T) {
			h := h.with(t)
			h.clock.Set(start)
			c := newMatrixCase(t, h, fmt.Sprintf("Stale%d%d", i, time.Now().UnixNano()%1e6), row.pkgID())
			p, o, err := h.svc.Store.Purchase(context.Background(), c.pid, c.purchaseID)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := cancel.Decide(p, o.Lines, o.Credits, "", "usr_matrix", "sr_x", h.clock.Now()); err != nil {
				t.Fatalf("the read allows the cancel: %v", err)
			}
			row.use(t, c)
			before := c.purchaseNow(t)
			err = c.commitCancel(p, o)
			if e, ok := apperr.As(err); !ok || e.Code != row.code || e.Extra["benefitId"] != c.line {
				t.Fatalf("commit on the stale read: %v, want %s naming %s", err, row.code, c.line)
			}
			if after := c.purchaseNow(t); !reflect.DeepEqual(before, after) {
				t.Fatalf("a refused commit changed the purchase:\nbefore %v\nafter  %v", before, after)
			}
		})
	}
}

// raceRounds is how many packages each race is run on.
const raceRounds = 10

// raceResult is what one round's racing requests answered.
type raceResult struct {
	cancels []reply
	uses    []reply
}

// race runs cancels and uses of one package at once (the uses staggered
// by 0-8 ms so that both orders and the photo finish occur).
func race(round, cancels, uses int, cancelFn, useFn func() reply) raceResult {
	res := raceResult{cancels: make([]reply, cancels), uses: make([]reply, uses)}
	var wg sync.WaitGroup
	for i := range cancels {
		wg.Go(func() { res.cancels[i] = cancelFn() })
	}
	for i := range uses {
		wg.Go(func() {
			time.Sleep(time.Duration((round+i)%5) * 2 * time.Millisecond)
			res.uses[i] = useFn()
		})
	}
	wg.Wait()
	return res
}

func countStatus(rs []reply, status int) int {
	n := 0
	for _, r := range rs {
		if r.Status == status {
			n++
		}
	}
	return n
}

// Racing cancels and uses of one package: never both a refund and a use.
func TestRefundMatrixRaces(t *testing.T) {
	h := newMailHarness(t)
	start := time.Date(2026, 12, 20, 9, 0, 0, 0, time.UTC)
	h.clock.Set(start)
	h.importKeys("office-cloud-e3", licenseKeys("race-e3", raceRounds)...)
	publishMatrix(t, h)

	t.Run("first licence key read", func(t *testing.T) {
		h := h.with(t)
		wins := map[string]int{}
		for i := range raceRounds {
			c := newMatrixCase(t, h, fmt.Sprintf("RaceLic%d%d", i, time.Now().UnixNano()%1e6), "matrix-license")
			res := race(i, 2, 3, func() reply { return h.cancel(c.admin, c.purchaseID) }, func() reply { return c.readLicense(c.admin) })
			var keys []string
			for _, r := range res.uses {
				if r.Status == http.StatusOK {
					if k, _ := r.json(t)["key"].(string); k != "" {
						keys = append(keys, k)
					}
				} else if r.Status != http.StatusConflict {
					t.Fatalf("round %d: licence read %d %s", i, r.Status, r.Body)
				}
			}
			refunds := countStatus(res.cancels, http.StatusCreated)
			after := c.purchaseNow(t)
			switch {
			case refunds > 0 && len(keys) > 0:
				t.Fatalf("round %d: refunded and a key shown (%v)", i, keys)
			case refunds > 1:
				t.Fatalf("round %d: %d refunds", i, refunds)
			case refunds == 1:
				if after["status"] != "cancelled" {
					t.Fatalf("round %d: refund, purchase %v", i, after["status"])
				}
				noKey := c.must(t, c.readLicense(c.admin), http.StatusOK)
				if _, has := noKey["key"]; has {
					t.Fatalf("round %d: refunded, then the key is shown", i)
				}
				wins["cancel"]++
			case len(keys) > 0:
				if slices.ContainsFunc(keys, func(k string) bool { return k != keys[0] }) {
					t.Fatalf("round %d: different keys %v", i, keys)
				}
				for _, r := range res.cancels {
					r.problem(t, http.StatusConflict, "software_benefit_activated")
				}
				if after["status"] != "active" {
					t.Fatalf("round %d: key shown, purchase %v", i, after["status"])
				}
				wins["key"]++
			default:
				t.Fatalf("round %d: neither won: cancels %d/%d, reads %d/%d/%d", i, res.cancels[0].Status, res.cancels[1].Status,
					res.uses[0].Status, res.uses[1].Status, res.uses[2].Status)
			}
		}
		t.Logf("%d rounds: cancel won %d, key read won %d", raceRounds, wins["cancel"], wins["key"])
	})

	t.Run("support incident", func(t *testing.T) {
		h := h.with(t)
		wins := map[string]int{}
		for i := range raceRounds {
			c := newMatrixCase(t, h, fmt.Sprintf("RaceInc%d%d", i, time.Now().UnixNano()%1e6), "matrix-support")
			res := race(i, 2, 2, func() reply { return h.cancel(c.admin, c.purchaseID) },
				func() reply { return h.incident(c.admin, "azure-csp", "Storage", "") })
			refunds, opened := countStatus(res.cancels, http.StatusCreated), countStatus(res.uses, http.StatusCreated)
			after := c.purchaseNow(t)
			used := after["benefits"].([]any)[0].(map[string]any)["used"]
			switch {
			case refunds > 0 && opened > 0:
				t.Fatalf("round %d: refunded and %d incidents opened", i, opened)
			case refunds > 1:
				t.Fatalf("round %d: %d refunds", i, refunds)
			case refunds == 1:
				if after["status"] != "cancelled" || used != float64(0) {
					t.Fatalf("round %d: refund, purchase %v, used %v", i, after["status"], used)
				}
				wins["cancel"]++
			case opened > 0:
				for _, r := range res.cancels {
					r.problem(t, http.StatusConflict, "benefit_consumed")
				}
				if after["status"] != "active" || used != float64(opened) {
					t.Fatalf("round %d: %d opened, purchase %v, used %v", i, opened, after["status"], used)
				}
				wins["incident"]++
			default:
				t.Fatalf("round %d: neither won: cancels %d/%d, incidents %d/%d", i, res.cancels[0].Status, res.cancels[1].Status,
					res.uses[0].Status, res.uses[1].Status)
			}
		}
		t.Logf("%d rounds: cancel won %d, incident won %d", raceRounds, wins["cancel"], wins["incident"])
	})

	t.Run("offer confirmation", func(t *testing.T) {
		h := h.with(t)
		wins := map[string]int{}
		for i := range raceRounds {
			c := newMatrixCase(t, h, fmt.Sprintf("RaceGTM%d%d", i, time.Now().UnixNano()%1e6), "matrix-gtm-offer")
			c.pendOffer(t)
			res := race(i, 2, 1, func() reply { return h.cancel(c.admin, c.purchaseID) }, c.confirm)
			refunds, confirmed := countStatus(res.cancels, http.StatusCreated), countStatus(res.uses, http.StatusOK)
			after := c.purchaseNow(t)
			status := after["benefits"].([]any)[0].(map[string]any)["status"]
			switch {
			case refunds > 0 && confirmed > 0:
				t.Fatalf("round %d: refunded and the offer confirmed", i)
			case refunds > 1:
				t.Fatalf("round %d: %d refunds", i, refunds)
			case refunds == 1:
				if after["status"] != "cancelled" || status != "revoked" {
					t.Fatalf("round %d: refund, purchase %v, offer %v", i, after["status"], status)
				}
				wins["cancel"]++
			case confirmed == 1:
				for _, r := range res.cancels {
					r.problem(t, http.StatusConflict, "benefit_consumed")
				}
				if after["status"] != "active" || status != "active" {
					t.Fatalf("round %d: confirmed, purchase %v, offer %v", i, after["status"], status)
				}
				wins["confirm"]++
			default:
				t.Fatalf("round %d: neither won: cancels %d/%d, confirm %d %s", i, res.cancels[0].Status, res.cancels[1].Status,
					res.uses[0].Status, res.uses[0].Body)
			}
		}
		t.Logf("%d rounds: cancel won %d, confirmation won %d", raceRounds, wins["cancel"], wins["confirm"])
	})
}
