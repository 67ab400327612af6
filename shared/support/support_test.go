package support

import (
	"errors"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/catalog"
)

var now = time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)

func purchase(plan catalog.Plan, status benefit.PurchaseStatus) benefit.Purchase {
	return benefit.Purchase{ID: "pur_" + string(plan), Plan: plan, Status: status}
}

var (
	gold       = purchase(catalog.Gold, benefit.PurchaseActive)
	silver     = purchase(catalog.Silver, benefit.PurchaseActive)
	actionPack = purchase(catalog.ActionPack, benefit.PurchaseActive)
)

// supportLine is a live support line with qty incidents expiring days after now.
func supportLine(id string, qty, used, days int) benefit.Benefit {
	return benefit.Benefit{ID: id, Kind: catalog.Support, Status: benefit.Available, Quantity: qty, Used: used, ExpiresAt: now.AddDate(0, 0, days)}
}

func testCatalog() *catalog.Catalog {
	return &catalog.Catalog{Products: map[string]catalog.Product{
		"sql-server": {Name: "SQL Server", Kind: catalog.Software, Versions: []string{"2025", "2022", "2019"}},
		"office-web": {Name: "Office on the web", Kind: catalog.Software},
	}}
}

func TestEligible(t *testing.T) {
	tests := []struct {
		name      string
		purchases []benefit.Purchase
		ok        bool
	}{
		{"gold", []benefit.Purchase{gold}, true},
		{"silver", []benefit.Purchase{silver}, true},
		{"action pack", []benefit.Purchase{actionPack}, true},
		{"nothing", nil, false},
		{"cancelled gold", []benefit.Purchase{purchase(catalog.Gold, benefit.PurchaseCancelled)}, false},
		{"other plan", []benefit.Purchase{purchase("launch", benefit.PurchaseActive)}, false},
		{"cancelled and active", []benefit.Purchase{purchase(catalog.Gold, benefit.PurchaseCancelled), silver}, true},
	}
	for _, tc := range tests {
		err := Eligible(tc.purchases)
		if tc.ok && err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
		if !tc.ok && !errors.Is(err, ErrNoEligiblePlan) {
			t.Errorf("%s: got %v, want no_eligible_plan", tc.name, err)
		}
	}
}

func TestActivate(t *testing.T) {
	const c = `[2-9A-HJ-NP-Z]{4}` // no 0/O, 1/I
	accessRE := regexp.MustCompile(`^AID-` + c + `-` + c + `$`)
	contractRE := regexp.MustCompile(`^CTR-` + c + `-` + c + `-` + c + `$`)
	a := Activate("usr_1", now)
	if !accessRE.MatchString(a.AccessID) {
		t.Errorf("AccessID %q", a.AccessID)
	}
	if !contractRE.MatchString(a.ContractID) {
		t.Errorf("ContractID %q", a.ContractID)
	}
	if a.ActivatedBy != "usr_1" || !a.ActivatedAt.Equal(now) {
		t.Errorf("activation = %+v", a)
	}
	b := Activate("usr_1", now)
	if a.AccessID == b.AccessID || a.ContractID == b.ContractID {
		t.Errorf("two activations share ids: %+v %+v", a, b)
	}
	// Many codes together should never use a look-alike.
	lookAlike := regexp.MustCompile(`[01OI]`)
	for range 50 {
		if id := code(40); lookAlike.MatchString(id) {
			t.Fatalf("code %q uses a look-alike", id)
		}
	}
}

// appErr is err as an *apperr.Error, failing the test if it is not one.
func appErr(t *testing.T, err error) *apperr.Error {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok {
		t.Fatalf("not an apperr: %v", err)
	}
	return e
}

func TestCheckIncidentErrors(t *testing.T) {
	lines := []benefit.Benefit{supportLine("sup", 5, 0, 100)}
	onPrem := func(product, version string) Incident {
		return Incident{Category: OnPremises, Product: product, ProductVersion: version}
	}
	tests := []struct {
		name      string
		in        Incident
		purchases []benefit.Purchase
		lines     []benefit.Benefit
		activated bool
		code      string
		field     string // for validation_failed
	}{
		{"unknown category", Incident{Category: "windows", Product: "x"}, []benefit.Purchase{gold}, lines, true, "validation_failed", "category"},
		{"empty category", Incident{Product: "x"}, []benefit.Purchase{gold}, lines, true, "validation_failed", "category"},
		{"empty product", Incident{Category: Cloud}, []benefit.Purchase{gold}, lines, true, "validation_failed", "product"},
		{"blank product", Incident{Category: Azure, Product: "  "}, []benefit.Purchase{gold}, lines, true, "validation_failed", "product"},
		{"product over 100 bytes", Incident{Category: Azure, Product: strings.Repeat("x", 101)}, []benefit.Purchase{gold}, lines, true, "validation_failed", "product"},
		{"no eligible purchase", Incident{Category: AzureCSP, Product: "x"}, nil, lines, true, "no_eligible_plan", ""},
		{"cloud with action pack only", Incident{Category: Cloud, Product: "x"}, []benefit.Purchase{actionPack}, lines, true, "plan_not_eligible", ""},
		{"cloud with cancelled gold", Incident{Category: Cloud, Product: "x"},
			[]benefit.Purchase{actionPack, purchase(catalog.Gold, benefit.PurchaseCancelled)}, lines, true, "plan_not_eligible", ""},
		{"on-premises product not in catalogue", onPrem("nope", "1"), []benefit.Purchase{gold}, lines, true, "validation_failed", "product"},
		{"on-premises product without versions", onPrem("office-web", "1"), []benefit.Purchase{gold}, lines, true, "validation_failed", "product"},
		{"on-premises missing version", onPrem("sql-server", " "), []benefit.Purchase{gold}, lines, true, "validation_failed", "productVersion"},
		{"on-premises third version", onPrem("sql-server", "2019"), []benefit.Purchase{gold}, lines, true, "version_not_supported", ""},
		{"on-premises unknown version", onPrem("sql-server", "2030"), []benefit.Purchase{gold}, lines, true, "version_not_supported", ""},
		{"on-premises not activated", onPrem("sql-server", "2025"), []benefit.Purchase{gold}, lines, false, "support_not_activated", ""},
		{"azure not activated", Incident{Category: Azure, Product: "vm"}, []benefit.Purchase{gold}, lines, false, "support_not_activated", ""},
		{"dynamics not activated", Incident{Category: Dynamics, Product: "crm"}, []benefit.Purchase{gold}, lines, false, "support_not_activated", ""},
		{"no support lines", Incident{Category: Azure, Product: "vm"}, []benefit.Purchase{gold}, nil, true, "no_incidents_left", ""},
		{"support lines used up, revoked, expired or of another kind", Incident{Category: Azure, Product: "vm"}, []benefit.Purchase{gold},
			[]benefit.Benefit{
				supportLine("used", 2, 2, 10),
				func() benefit.Benefit { b := supportLine("revoked", 2, 0, 10); b.Status = benefit.Revoked; return b }(),
				supportLine("past", 2, 0, -1),
				func() benefit.Benefit { b := supportLine("hours", 2, 0, 10); b.Kind = catalog.AdvisoryHours; return b }(),
			}, true, "no_incidents_left", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := CheckIncident(tc.in, tc.purchases, tc.lines, tc.activated, testCatalog(), now)
			if err == nil {
				t.Fatalf("no error, want %s", tc.code)
			}
			e := appErr(t, err)
			if e.Code != tc.code {
				t.Fatalf("code = %s, want %s (%v)", e.Code, tc.code, err)
			}
			if tc.field != "" && (len(e.Fields) != 1 || e.Fields[0].Field != tc.field) {
				t.Errorf("fields = %+v, want %s", e.Fields, tc.field)
			}
		})
	}
}

func TestCheckIncidentVersionNotSupportedListsSupportedVersions(t *testing.T) {
	in := Incident{Category: OnPremises, Product: "sql-server", ProductVersion: "2019"}
	_, err := CheckIncident(in, []benefit.Purchase{gold}, []benefit.Benefit{supportLine("s", 1, 0, 10)}, true, testCatalog(), now)
	e := appErr(t, err)
	if got := e.Extra["supportedVersions"]; !reflect.DeepEqual(got, []string{"2025", "2022"}) {
		t.Errorf("supportedVersions = %#v, want [2025 2022]", got)
	}
	if ErrVersionNotSupp.Extra != nil {
		t.Errorf("the sentinel was changed: %v", ErrVersionNotSupp.Extra)
	}
}

func TestCheckIncidentAccepts(t *testing.T) {
	lines := []benefit.Benefit{supportLine("late", 5, 0, 300), supportLine("early", 5, 4, 20), supportLine("gone", 5, 5, 10)}
	tests := []struct {
		name      string
		in        Incident
		purchases []benefit.Purchase
		activated bool
	}{
		{"cloud with gold", Incident{Category: Cloud, Product: "m365"}, []benefit.Purchase{gold}, false},
		{"cloud with silver", Incident{Category: Cloud, Product: "m365"}, []benefit.Purchase{actionPack, silver}, false},
		{"azure-csp without activation", Incident{Category: AzureCSP, Product: "vm"}, []benefit.Purchase{actionPack}, false},
		{"azure activated", Incident{Category: Azure, Product: "vm"}, []benefit.Purchase{actionPack}, true},
		{"dynamics activated", Incident{Category: Dynamics, Product: "crm"}, []benefit.Purchase{actionPack}, true},
		{"on-premises current version", Incident{Category: OnPremises, Product: "sql-server", ProductVersion: "2025"}, []benefit.Purchase{actionPack}, true},
		{"on-premises previous version", Incident{Category: OnPremises, Product: "sql-server", ProductVersion: "2022"}, []benefit.Purchase{actionPack}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := CheckIncident(tc.in, tc.purchases, lines, tc.activated, testCatalog(), now)
			if err != nil {
				t.Fatal(err)
			}
			if b.ID != "early" {
				t.Errorf("counted against %s, want the line that expires first with incidents left (early)", b.ID)
			}
		})
	}
}

func TestNeedsActivation(t *testing.T) {
	want := map[Category]bool{Cloud: false, OnPremises: true, Azure: true, AzureCSP: false, Dynamics: true}
	for c, w := range want {
		if NeedsActivation(c) != w {
			t.Errorf("NeedsActivation(%s) = %v", c, !w)
		}
	}
}
