package support_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/store/storetest"
	"github.com/pbs/benefits/shared/support"
)

// The support rules of docs/domain.md, through the use cases, on the
// in-memory fake (whose semantics the support contract checks against
// DynamoDB Local). docs/domain.md links each rule to its test here.

var ctx = context.Background()

func setup(t *testing.T) (support.Desk, *storetest.Fake, storetest.SupportFixture) {
	t.Helper()
	s := storetest.New()
	return storetest.Desk(s), s, storetest.SeedSupport(t, s)
}

func incident(c support.Category, product, version string) support.Incident {
	return support.Incident{Category: c, Product: product, ProductVersion: version}
}

func open(t *testing.T, uc support.Desk, fx storetest.SupportFixture, partnerID, actorID string, in support.Incident) support.Incident {
	t.Helper()
	got, err := uc.OpenIncident(ctx, partnerID, actorID, in, fx.Catalog, fx.At)
	if err != nil {
		t.Fatalf("open %+v: %v", in, err)
	}
	return got
}

func activate(t *testing.T, uc support.Desk, partnerID, actorID string, fx storetest.SupportFixture) {
	t.Helper()
	if _, _, err := uc.Activate(ctx, partnerID, actorID, fx.At); err != nil {
		t.Fatal(err)
	}
}

func TestActivationNeedsAGoldSilverOrActionPackPurchase(t *testing.T) {
	uc, _, fx := setup(t)
	_, _, err := uc.Activate(ctx, fx.Empty, fx.EmptyAdmin, fx.At)
	storetest.WantCode(t, err, "no_eligible_plan")
	if sum, created, err := uc.Activate(ctx, fx.Other, fx.OtherAdmin, fx.At); err != nil || !created || sum.Activation == nil {
		t.Fatalf("action pack: created=%v %v", created, err)
	}
}

func TestSupportIsActivatedOnceAndEveryUserSeesTheIDs(t *testing.T) {
	uc, _, fx := setup(t)
	first, created, err := uc.Activate(ctx, fx.Partner, fx.Admin, fx.At)
	if err != nil || !created {
		t.Fatalf("first: created=%v %v", created, err)
	}
	a := first.Activation
	if !strings.HasPrefix(a.AccessID, "AID-") || !strings.HasPrefix(a.ContractID, "CTR-") || a.ActivatedBy != fx.Admin || !a.ActivatedAt.Equal(fx.At) {
		t.Fatalf("contract: %+v", a)
	}
	again, created, err := uc.Activate(ctx, fx.Partner, "usr_other_admin", fx.At.Add(1))
	if err != nil || created || *again.Activation != *a {
		t.Fatalf("again: created=%v %+v %v", created, again.Activation, err)
	}
	if got, err := uc.Get(ctx, fx.Partner, fx.At); err != nil || got.Activation == nil || *got.Activation != *a {
		t.Fatalf("get: %+v %v", got, err)
	}
	if got, _ := uc.Get(ctx, fx.Other, fx.At); got.Activation != nil {
		t.Fatalf("another partner sees %+v", got.Activation)
	}
}

func TestIncidentCategoryAndProductAreChecked(t *testing.T) {
	uc, s, fx := setup(t)
	activate(t, uc, fx.Partner, fx.Admin, fx)
	for _, tc := range []struct {
		in    support.Incident
		field string
	}{
		{incident("phone", "Portal", ""), "category"},
		{incident("", "Portal", ""), "category"},
		{incident(support.Cloud, " ", ""), "product"},
		{incident(support.Cloud, strings.Repeat("p", support.MaxProduct+1), ""), "product"},
		{incident(support.OnPremises, "no-such-product", fx.Versions[0]), "product"},
		{incident(support.OnPremises, fx.Product, ""), "productVersion"},
	} {
		_, err := uc.OpenIncident(ctx, fx.Partner, fx.Admin, tc.in, fx.Catalog, fx.At)
		ae := storetest.WantCode(t, err, "validation_failed")
		if !slices.ContainsFunc(ae.Fields, func(f apperr.FieldError) bool { return f.Field == tc.field }) {
			t.Errorf("%+v: fields %+v, want %s", tc.in, ae.Fields, tc.field)
		}
	}
	if got, _ := uc.Get(ctx, fx.Partner, fx.At); got.Used != 0 {
		t.Fatalf("%d incidents used by refused requests", got.Used)
	}
	if es, _, _ := s.Audit(ctx, fx.Partner, "", 10, ""); len(es) != 1 {
		t.Fatalf("%d events, want the activation only", len(es))
	}
}

func TestCloudIncidentsAreGoldAndSilverOnly(t *testing.T) {
	uc, _, fx := setup(t)
	_, err := uc.OpenIncident(ctx, fx.Other, fx.OtherAdmin, incident(support.Cloud, "Portal", ""), fx.Catalog, fx.At)
	storetest.WantCode(t, err, "plan_not_eligible")
	open(t, uc, fx, fx.Partner, fx.Admin, incident(support.Cloud, "Portal", "")) // silver, not activated
}

func TestOnPremisesIncidentsTakeTheCurrentOrPreviousVersionOnly(t *testing.T) {
	uc, _, fx := setup(t)
	activate(t, uc, fx.Partner, fx.Admin, fx)
	open(t, uc, fx, fx.Partner, fx.Admin, incident(support.OnPremises, fx.Product, fx.Versions[0]))
	open(t, uc, fx, fx.Partner, fx.Admin, incident(support.OnPremises, fx.Product, fx.Versions[1]))
	_, err := uc.OpenIncident(ctx, fx.Partner, fx.Admin, incident(support.OnPremises, fx.Product, fx.Versions[2]), fx.Catalog, fx.At)
	ae := storetest.WantCode(t, err, "version_not_supported")
	if got, _ := ae.Extra["supportedVersions"].([]string); !slices.Equal(got, fx.Versions[:2]) {
		t.Fatalf("supportedVersions %v, want %v", ae.Extra["supportedVersions"], fx.Versions[:2])
	}
}

func TestOnPremisesAzureAndDynamicsIncidentsNeedSupportActivated(t *testing.T) {
	uc, _, fx := setup(t)
	for _, in := range []support.Incident{incident(support.OnPremises, fx.Product, fx.Versions[0]),
		incident(support.Azure, "Subscription", ""), incident(support.Dynamics, "Sales", "")} {
		_, err := uc.OpenIncident(ctx, fx.Partner, fx.Admin, in, fx.Catalog, fx.At)
		storetest.WantCode(t, err, "support_not_activated")
	}
	// Cloud and Azure through a CSP need no activation.
	open(t, uc, fx, fx.Partner, fx.Admin, incident(support.Cloud, "Portal", ""))
	open(t, uc, fx, fx.Partner, fx.Admin, incident(support.AzureCSP, "Tenant", ""))
	activate(t, uc, fx.Partner, fx.Admin, fx)
	open(t, uc, fx, fx.Partner, fx.Admin, incident(support.Dynamics, "Sales", ""))
}

func TestIncidentsNeedAnEligiblePlan(t *testing.T) {
	uc, _, fx := setup(t)
	_, err := uc.OpenIncident(ctx, fx.Empty, fx.EmptyAdmin, incident(support.AzureCSP, "Tenant", ""), fx.Catalog, fx.At)
	storetest.WantCode(t, err, "no_eligible_plan")
}

func TestEachIncidentUsesOneOfTheQuantity(t *testing.T) {
	uc, _, fx := setup(t)
	for i := range 5 { // the action pack's 5
		open(t, uc, fx, fx.Other, fx.OtherAdmin, incident(support.AzureCSP, "Tenant", ""))
		if got, _ := uc.Get(ctx, fx.Other, fx.At); got.Quantity != 5 || got.Used != i+1 || got.Remaining() != 4-i {
			t.Fatalf("after %d: %+v", i+1, got)
		}
	}
	_, err := uc.OpenIncident(ctx, fx.Other, fx.OtherAdmin, incident(support.AzureCSP, "Tenant", ""), fx.Catalog, fx.At)
	storetest.WantCode(t, err, "no_incidents_left")
}

func TestIncidentsAreCountedOnTheLineThatExpiresFirst(t *testing.T) {
	uc, _, fx := setup(t)
	for range 10 {
		if in := open(t, uc, fx, fx.Partner, fx.Admin, incident(support.AzureCSP, "Tenant", "")); in.BenefitID != fx.SilverSupport {
			t.Fatalf("counted on %s, want the silver line %s", in.BenefitID, fx.SilverSupport)
		}
	}
	if in := open(t, uc, fx, fx.Partner, fx.Admin, incident(support.AzureCSP, "Tenant", "")); in.BenefitID != fx.PackSupport {
		t.Fatalf("counted on %s, want the pack line %s", in.BenefitID, fx.PackSupport)
	}
}

func TestRevokedAndExpiredLinesGiveNoIncidents(t *testing.T) {
	uc, s, fx := setup(t)
	if err := s.RevokeLine(ctx, fx.Other, fx.OtherSupport, fx.At); err != nil {
		t.Fatal(err)
	}
	_, err := uc.OpenIncident(ctx, fx.Other, fx.OtherAdmin, incident(support.AzureCSP, "Tenant", ""), fx.Catalog, fx.At)
	storetest.WantCode(t, err, "no_incidents_left")
	// Past the silver line's expiry only the pack's line counts.
	later := fx.SilverExpires.AddDate(0, 0, 1)
	if got, _ := uc.Get(ctx, fx.Partner, later); got.Quantity != 5 {
		t.Fatalf("after the silver line expired: %+v", got)
	}
	if in, err := uc.OpenIncident(ctx, fx.Partner, fx.Admin, incident(support.AzureCSP, "Tenant", ""), fx.Catalog, later); err != nil || in.BenefitID != fx.PackSupport {
		t.Fatalf("after the silver line expired: %+v %v", in, err)
	}
}

func TestEverySupportChangeWritesItsAuditEvent(t *testing.T) {
	uc, s, fx := setup(t)
	activate(t, uc, fx.Partner, fx.Admin, fx)
	activate(t, uc, fx.Partner, fx.Admin, fx) // no change, no event
	in := open(t, uc, fx, fx.Partner, "usr_member", incident(support.Dynamics, "Sales", ""))
	es, _, _ := s.Audit(ctx, fx.Partner, "", 10, "")
	if len(es) != 2 {
		t.Fatalf("%d events, want 2", len(es))
	}
	i := slices.IndexFunc(es, func(e audit.Event) bool { return e.Action == audit.IncidentOpened })
	j := slices.IndexFunc(es, func(e audit.Event) bool { return e.Action == audit.SupportActivated })
	if i < 0 || j < 0 {
		t.Fatalf("events %+v", es)
	}
	if e := es[i]; e.Actor != "usr_member" || e.BenefitID != in.BenefitID || e.Detail["incidentId"] != in.ID || e.Detail["category"] != "dynamics" {
		t.Fatalf("incident event: %+v", e)
	}
	if e := es[j]; e.Actor != fx.Admin || e.BenefitID != "" {
		t.Fatalf("activation event: %+v", e)
	}
}
