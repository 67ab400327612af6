package adminrequest_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pbs/benefits/shared/access"
	"github.com/pbs/benefits/shared/adminrequest"
	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/store/storetest"
)

// The use-case tests run on the in-memory fake; the races and the
// operator's path are storetest.AdminRequestContract's, run on the fake
// and on DynamoDB Local.

func setup(t *testing.T) (*storetest.Fake, storetest.AdminRequestFixture, adminrequest.Requests, *storetest.IDLog) {
	t.Helper()
	f := storetest.New()
	fx := storetest.SeedAdminRequests(t, f)
	uc, log := storetest.AdminRequests(f)
	return f, fx, uc, log
}

func member(fx storetest.AdminRequestFixture) access.Caller {
	return access.Caller{PartnerID: fx.Partner, UserID: fx.User}
}

func admin(fx storetest.AdminRequestFixture) access.Caller {
	return access.Caller{PartnerID: fx.Partner, UserID: fx.Admin, Roles: []access.Role{access.GlobalAdmin}}
}

func TestAskNeedsAReasonOfAtMost1000Characters(t *testing.T) {
	f, fx, uc, _ := setup(t)
	ctx := context.Background()
	for _, reason := range []string{"", "   ", strings.Repeat("é", 1001)} {
		_, err := uc.Ask(ctx, member(fx), reason, fx.At)
		storetest.WantCode(t, err, "validation_failed")
	}
	if r, err := uc.Ask(ctx, member(fx), strings.Repeat("é", 1000), fx.At); err != nil || len([]rune(r.Reason)) != 1000 {
		t.Fatalf("1000 characters: %v", err)
	}
	if rs, _, _ := f.AdminRequests(ctx, fx.Partner, "", 10, ""); len(rs) != 1 {
		t.Fatalf("%d requests written, want 1", len(rs))
	}
}

func TestAGlobalAdminDoesNotAsk(t *testing.T) {
	_, fx, uc, _ := setup(t)
	_, err := uc.Ask(context.Background(), admin(fx), "again", fx.At)
	storetest.WantCode(t, err, "already_global_admin")
}

func TestAskMailsTheAdminsALinkToTheConsole(t *testing.T) {
	f, fx, uc, log := setup(t)
	r, err := uc.Ask(context.Background(), member(fx), "I run the Azure team", fx.At)
	if err != nil {
		t.Fatal(err)
	}
	ms := log.Mail(t, f)
	if len(ms) != 1 || ms[0].AdminsOf != fx.Partner || ms[0].Template != "global-admin-requested" ||
		ms[0].Data["consoleUrl"] != storetest.PublicURL+"/#users" || ms[0].Data["requestId"] != r.ID || ms[0].Data["reason"] != r.Reason {
		t.Fatalf("mail %+v", ms)
	}
	// Without a public URL the mail names the Users tab without a link.
	uc.PublicURL = ""
	if _, err := uc.Ask(context.Background(), access.Caller{PartnerID: fx.Partner, UserID: fx.User2}, "me too", fx.At); err != nil {
		t.Fatal(err)
	}
	if ms := log.Mail(t, f); len(ms) != 2 || ms[1].Data["consoleUrl"] != "" {
		t.Fatalf("mail without a public URL %+v", ms)
	}
}

func TestARequestExpiresAfter14Days(t *testing.T) {
	_, fx, uc, _ := setup(t)
	r, err := uc.Ask(context.Background(), member(fx), "please", fx.At)
	if err != nil {
		t.Fatal(err)
	}
	if r.StatusAt(fx.At.Add(adminrequest.Lifetime-time.Millisecond)) != adminrequest.Open || r.StatusAt(fx.At.Add(adminrequest.Lifetime)) != adminrequest.Expired {
		t.Fatal("expiry is not at 14 days")
	}
	_, err = uc.Decide(context.Background(), admin(fx), r.ID, false, fx.At.Add(adminrequest.Lifetime))
	if ae := storetest.WantCode(t, err, "request_closed"); ae.Extra["requestStatus"] != "expired" {
		t.Fatalf("closed as %v", ae.Extra)
	}
}

func TestApprovalGrantsTheRoleAndDeclineDoesNot(t *testing.T) {
	f, fx, uc, log := setup(t)
	ctx := context.Background()
	r, _ := uc.Ask(ctx, member(fx), "please", fx.At)
	if d, err := uc.Decide(ctx, admin(fx), r.ID, true, fx.At.Add(time.Hour)); err != nil || d.Status != adminrequest.Approved || d.DecidedBy != fx.Admin {
		t.Fatalf("approve: %+v, %v", d, err)
	}
	if u, _ := f.User(ctx, fx.Partner, fx.User); !slices.Contains(u.Roles, access.GlobalAdmin) {
		t.Fatalf("roles %v", u.Roles)
	}
	r2, _ := uc.Ask(ctx, access.Caller{PartnerID: fx.Partner, UserID: fx.User2}, "me too", fx.At.Add(2*time.Hour))
	if _, err := uc.Decide(ctx, admin(fx), r2.ID, false, fx.At.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if u, _ := f.User(ctx, fx.Partner, fx.User2); slices.Contains(u.Roles, access.GlobalAdmin) {
		t.Fatalf("declined, yet roles %v", u.Roles)
	}
	var outcomes []string
	for _, m := range log.Mail(t, f) {
		if m.Template == "global-admin-decided" {
			outcomes = append(outcomes, m.To[0]+" "+m.Data["outcome"])
		}
	}
	if !slices.Equal(outcomes, []string{"g1@ptn-g.example approved", "g2@ptn-g.example declined"}) {
		t.Fatalf("outcome mail %v", outcomes)
	}
	es, _, _ := f.Audit(ctx, fx.Partner, "", 10, "")
	var actions []audit.Action
	for _, e := range es {
		actions = append(actions, e.Action)
	}
	slices.Reverse(actions)
	want := []audit.Action{audit.GlobalAdminRequested, audit.GlobalAdminApproved, audit.GlobalAdminRequested, audit.GlobalAdminDeclined}
	if !slices.Equal(actions, want) {
		t.Fatalf("events %v, want %v", actions, want)
	}
}

func TestOperatorListTakesAKnownStatus(t *testing.T) {
	_, _, uc, _ := setup(t)
	_, _, err := uc.OperatorList(context.Background(), "expired", 10, "")
	storetest.WantCode(t, err, "validation_failed")
}
