package storetest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pbs/benefits/shared/access"
	"github.com/pbs/benefits/shared/adminrequest"
	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/ids"
	"github.com/pbs/benefits/shared/mail"
	"github.com/pbs/benefits/shared/partner"
	"github.com/pbs/benefits/shared/store"
)

// AdminRequestStore is what the global-admin request contract runs on: the
// use cases' store, the fixture's writes and the reads that check what a
// change wrote. *store.Store and *Fake have all of it.
type AdminRequestStore interface {
	adminrequest.Store
	seedStore
	User(ctx context.Context, partnerID, userID string) (partner.User, error)
	OutboxMail(ctx context.Context, id string) (mail.Queued, error)
	Audit(ctx context.Context, partnerID, benefitID string, limit int, cursor string) ([]audit.Event, string, error)
}

// AdminRequestFixture is what SeedAdminRequests wrote: partner Partner with
// two global admins (Admin, Admin2) and two members (User, User2); Other,
// another partner with its admin; NoAdmin, a partner whose only users
// (Lone, Lone2) are not global admins.
type AdminRequestFixture struct {
	At                                  time.Time
	Partner, Admin, Admin2, User, User2 string
	Other, OtherAdmin                   string
	NoAdmin, Lone, Lone2                string
}

// SeedAdminRequests writes the partners of the contract.
func SeedAdminRequests(t testing.TB, s AdminRequestStore) AdminRequestFixture {
	t.Helper()
	sd := newSeeder(t, s)
	fx := AdminRequestFixture{At: seedAt.Add(time.Hour), Partner: "ptn_g", User: "usr_g1", User2: "usr_g2", Admin2: "usr_g9",
		Other: "ptn_h", NoAdmin: "ptn_n", Lone: "usr_n1", Lone2: "usr_n2"}
	fx.Admin = sd.partner(fx.Partner)
	sd.user(fx.Admin2, fx.Partner, "g9@ptn-g.example", access.GlobalAdmin)
	sd.user(fx.User, fx.Partner, "g1@ptn-g.example")
	sd.user(fx.User2, fx.Partner, "g2@ptn-g.example", access.UserManagementAdmin)
	fx.OtherAdmin = sd.partner(fx.Other)
	// A partner whose first user is no global admin (one the API cannot
	// make today: the other way to have none is its last one leaving).
	p, err := partner.NewPartner(partner.Partner{ID: fx.NoAdmin, Name: "Lonely", Currency: "USD", AccountEmail: "n1@ptn-n.example", Language: "ja", CreatedAt: seedAt})
	sd.must(err)
	sd.must(s.CreatePartner(sd.ctx, p, sd.newUser(fx.Lone, fx.NoAdmin, "n1@ptn-n.example", access.UserManagementAdmin)))
	sd.user(fx.Lone2, fx.NoAdmin, "n2@ptn-n.example")
	return fx
}

// AdminRequests is the use cases over s, with the tests' public URL and
// ids, which it logs, so a test finds the mail a use case queued.
func AdminRequests(s adminrequest.Store) (adminrequest.Requests, *IDLog) {
	l := &IDLog{}
	return adminrequest.Requests{Store: s, NewID: l.New, PublicURL: PublicURL}, l
}

// IDLog is an id generator (ids.New) that remembers what it made.
type IDLog struct {
	mu   sync.Mutex
	made []string
}

// New makes an id and logs it.
func (l *IDLog) New(prefix string) string {
	id := ids.New(prefix)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.made = append(l.made, id)
	return id
}

// Mail is the messages queued under the logged ids, oldest first.
func (l *IDLog) Mail(t testing.TB, s interface {
	OutboxMail(ctx context.Context, id string) (mail.Queued, error)
}) []mail.Message {
	t.Helper()
	l.mu.Lock()
	made := slices.Clone(l.made)
	l.mu.Unlock()
	var out []mail.Message
	for _, id := range made {
		if !strings.HasPrefix(id, "msg_") {
			continue
		}
		q, err := s.OutboxMail(context.Background(), id)
		if errors.Is(err, apperr.ErrNotFound) {
			continue // made in a round that lost
		}
		must(t, err)
		out = append(out, q.Message)
	}
	return out
}

func caller(partnerID, userID string, roles ...access.Role) access.Caller {
	return access.Caller{PartnerID: partnerID, UserID: userID, Roles: roles}
}

// AdminRequestContract is what every adminrequest.Store must do: write a
// request with its mail to the admins and its event; keep one open request
// per user under concurrency, a new one allowed once the last expired;
// decide a request once under concurrency, the approval granting the role
// with the decision; send a partner with no global admin to the operator
// and let the operator decide it; keep partners apart. newStore returns an
// empty store per case.
func AdminRequestContract(t *testing.T, newStore func(t *testing.T) AdminRequestStore) {
	run := caseRunner(t, newStore, SeedAdminRequests)
	ctx := store.NoWait(context.Background())

	run("AskWritesTheRequestMailAndEvent", func(t *testing.T, s AdminRequestStore, fx AdminRequestFixture) {
		uc, log := AdminRequests(s)
		r, err := uc.Ask(ctx, caller(fx.Partner, fx.User), "  I run the Azure team  ", fx.At)
		must(t, err)
		if r.Via != adminrequest.ViaAdmins || r.Status != adminrequest.Open || r.Reason != "I run the Azure team" ||
			r.RequesterEmail != "g1@ptn-g.example" || !r.ExpiresAt.Equal(fx.At.Add(14*24*time.Hour)) {
			t.Fatalf("request %+v", r)
		}
		rs, _, err := s.AdminRequests(ctx, fx.Partner, "", 10, "")
		if err != nil || len(rs) != 1 || rs[0].ID != r.ID || rs[0].Reason != r.Reason || !rs[0].ExpiresAt.Equal(r.ExpiresAt) {
			t.Fatalf("listed %+v, %v", rs, err)
		}
		ev := lastEvent(t, s, fx.Partner)
		if ev.Action != audit.GlobalAdminRequested || ev.Actor != fx.User || ev.UserID != fx.User || ev.Detail["requestId"] != r.ID {
			t.Fatalf("event %+v", ev)
		}
		if m := mailFor(t, s, log, "global-admin-requested"); m.AdminsOf != fx.Partner || m.Data["consoleUrl"] != PublicURL+adminrequest.ConsolePath {
			t.Fatalf("mail %+v", m)
		}
	})

	run("OneOpenRequestPerUserUnderConcurrency", func(t *testing.T, s AdminRequestStore, fx AdminRequestFixture) {
		var wg sync.WaitGroup
		errs := make([]error, 6)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				uc, _ := AdminRequests(s)
				_, errs[i] = uc.Ask(context.Background(), caller(fx.Partner, fx.User), "race", fx.At)
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, adminrequest.ErrPending):
				t.Errorf("a racing ask: %v", err)
			}
		}
		rs, _, err := s.AdminRequests(ctx, fx.Partner, fx.User, 10, "")
		if ok != 1 || err != nil || len(rs) != 1 {
			t.Fatalf("%d asks succeeded, %d requests stored (%v), want 1", ok, len(rs), err)
		}
	})

	run("AnExpiredRequestIsClosedAndMayBeAskedAgain", func(t *testing.T, s AdminRequestStore, fx AdminRequestFixture) {
		uc, _ := AdminRequests(s)
		old, err := uc.Ask(ctx, caller(fx.Partner, fx.User), "first", fx.At)
		must(t, err)
		_, err = uc.Ask(ctx, caller(fx.Partner, fx.User), "again", fx.At.Add(adminrequest.Lifetime-time.Millisecond))
		if ae := WantCode(t, err, "request_pending"); ae.Extra["requestId"] != old.ID {
			t.Fatalf("pending names %v, want %s", ae.Extra, old.ID)
		}
		later := fx.At.Add(adminrequest.Lifetime)
		_, err = uc.Decide(ctx, caller(fx.Partner, fx.Admin, access.GlobalAdmin), old.ID, true, later)
		WantCode(t, err, "request_closed")
		if _, err := uc.Ask(ctx, caller(fx.Partner, fx.User), "again", later); err != nil {
			t.Fatalf("asking after expiry: %v", err)
		}
		if u := mustGet(t, s, fx.Partner, fx.User); slices.Contains(u.Roles, access.GlobalAdmin) {
			t.Fatalf("an expired request granted the role: %+v", u)
		}
	})

	run("ADecisionIsMadeOnceUnderConcurrency", func(t *testing.T, s AdminRequestStore, fx AdminRequestFixture) {
		uc, log := AdminRequests(s)
		for round := range 3 {
			user := []string{fx.User, fx.User2, fx.User}[round]
			at := fx.At.Add(time.Duration(round) * 15 * 24 * time.Hour)
			r, err := uc.Ask(ctx, caller(fx.Partner, user), "race", at)
			if err != nil {
				if round == 2 && errors.Is(err, adminrequest.ErrAlreadyAdmin) {
					continue // approved in round 0
				}
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i, admin := range []string{fx.Admin, fx.Admin2} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, errs[i] = uc.Decide(context.Background(), caller(fx.Partner, admin, access.GlobalAdmin), r.ID, i == round%2, at.Add(time.Minute))
				}()
			}
			wg.Wait()
			won := -1
			for i, err := range errs {
				switch {
				case err == nil && won < 0:
					won = i
				case err == nil:
					t.Fatalf("round %d: both decisions succeeded", round)
				case !errors.Is(err, adminrequest.ErrClosed):
					t.Fatalf("round %d: %v", round, err)
				}
			}
			if won < 0 {
				t.Fatalf("round %d: no decision succeeded: %v", round, errs)
			}
			approved := won == round%2
			rs, _, _ := s.AdminRequests(ctx, fx.Partner, user, 1, "")
			if want := map[bool]adminrequest.Status{true: adminrequest.Approved, false: adminrequest.Declined}[approved]; len(rs) != 1 || rs[0].Status != want {
				t.Fatalf("round %d: stored %+v, want %s", round, rs, want)
			}
			u := mustGet(t, s, fx.Partner, user)
			if slices.Contains(u.Roles, access.GlobalAdmin) != approved {
				t.Fatalf("round %d: roles %v after approved=%v", round, u.Roles, approved)
			}
			if approved && !slices.Contains(u.Roles, access.UserManagementAdmin) && user == fx.User2 {
				t.Fatalf("the grant dropped a role: %v", u.Roles)
			}
			if m := mailFor(t, s, log, "global-admin-decided"); m.To[0] != u.Email || m.Data["requestId"] != r.ID {
				t.Fatalf("outcome mail %+v", m)
			}
		}
	})

	run("TheRequesterCannotDecideTheirOwn", func(t *testing.T, s AdminRequestStore, fx AdminRequestFixture) {
		uc, _ := AdminRequests(s)
		r, err := uc.Ask(ctx, caller(fx.Partner, fx.User), "me", fx.At)
		must(t, err)
		// A token that says global-admin while the directory does not.
		_, err = uc.Decide(ctx, caller(fx.Partner, fx.User, access.GlobalAdmin), r.ID, true, fx.At)
		WantCode(t, err, "own_request")
		_, err = uc.Ask(ctx, caller(fx.Partner, fx.Admin, access.GlobalAdmin), "I am one", fx.At)
		WantCode(t, err, "already_global_admin")
		_, err = uc.Ask(ctx, caller(fx.Partner, fx.Admin), "my token says I am not", fx.At)
		WantCode(t, err, "already_global_admin")
	})

	run("PartnersAreApart", func(t *testing.T, s AdminRequestStore, fx AdminRequestFixture) {
		uc, _ := AdminRequests(s)
		r, err := uc.Ask(ctx, caller(fx.Partner, fx.User), "mine", fx.At)
		must(t, err)
		_, err = uc.Decide(ctx, caller(fx.Other, fx.OtherAdmin, access.GlobalAdmin), r.ID, true, fx.At)
		if !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("another partner's admin decides: %v", err)
		}
		_, err = uc.DecideAsOperator(ctx, "op_1", r.ID, true, fx.At)
		if !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("the operator decides a request that went to the admins: %v", err)
		}
		if rs, _, err := s.AdminRequests(ctx, fx.Other, "", 10, ""); err != nil || len(rs) != 0 {
			t.Fatalf("another partner lists %+v, %v", rs, err)
		}
		if rs, _, err := uc.List(ctx, caller(fx.Partner, fx.User2), 10, ""); err != nil || len(rs) != 0 {
			t.Fatalf("a member lists another's request: %+v, %v", rs, err)
		}
		if rs, _, err := uc.List(ctx, caller(fx.Partner, fx.Admin2, access.GlobalAdmin), 10, ""); err != nil || len(rs) != 1 {
			t.Fatalf("a global admin lists %+v, %v", rs, err)
		}
	})

	run("NoGlobalAdminSendsTheRequestToTheOperator", func(t *testing.T, s AdminRequestStore, fx AdminRequestFixture) {
		uc, log := AdminRequests(s)
		r, err := uc.Ask(ctx, caller(fx.NoAdmin, fx.Lone), "our admin left", fx.At)
		must(t, err)
		if r.Via != adminrequest.ViaOperator {
			t.Fatalf("via %s, want operator", r.Via)
		}
		for _, m := range log.Mail(t, s) {
			if m.Template == "global-admin-requested" {
				t.Fatalf("mail to no admin: %+v", m)
			}
		}
		queue, _, err := s.OperatorRequests(ctx, adminrequest.Open, 10, "")
		if err != nil || len(queue) != 1 || queue[0].ID != r.ID || queue[0].PartnerID != fx.NoAdmin {
			t.Fatalf("operator queue %+v, %v", queue, err)
		}
		// A partner's member cannot approve; the operator does, once.
		if _, err := uc.DecideAsOperator(ctx, "op_1", r.ID, true, fx.At.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		_, err = uc.DecideAsOperator(ctx, "op_1", r.ID, false, fx.At.Add(time.Hour))
		WantCode(t, err, "request_closed")
		if u := mustGet(t, s, fx.NoAdmin, fx.Lone); !slices.Contains(u.Roles, access.GlobalAdmin) {
			t.Fatalf("roles %v", u.Roles)
		}
		if q, _, _ := s.OperatorRequests(ctx, adminrequest.Open, 10, ""); len(q) != 0 {
			t.Fatalf("still open in the queue: %+v", q)
		}
		if q, _, _ := s.OperatorRequests(ctx, adminrequest.Approved, 10, ""); len(q) != 1 || q[0].DecidedBy != "operator:op_1" {
			t.Fatalf("approved queue: %+v", q)
		}
		if ev := lastEvent(t, s, fx.NoAdmin); ev.Action != audit.GlobalAdminApproved || ev.Actor != "operator:op_1" ||
			ev.Detail["rolesAfter"] != "user-management-admin,global-admin" {
			t.Fatalf("event %+v", ev)
		}
		// Now it has one: the next request goes to the partner's admin.
		r2, err := uc.Ask(ctx, caller(fx.NoAdmin, fx.Lone2), "me too", fx.At.Add(2*time.Hour))
		if err != nil || r2.Via != adminrequest.ViaAdmins {
			t.Fatalf("second request %+v, %v", r2, err)
		}
	})
}

func mustGet(t *testing.T, s AdminRequestStore, partnerID, userID string) partner.User {
	t.Helper()
	u, err := s.User(context.Background(), partnerID, userID)
	must(t, err)
	return u
}

func lastEvent(t *testing.T, s AdminRequestStore, partnerID string) audit.Event {
	t.Helper()
	es, _, err := s.Audit(context.Background(), partnerID, "", 1, "")
	if err != nil || len(es) == 0 {
		t.Fatalf("no event: %v", err)
	}
	return es[0]
}

// mailFor is the latest message of template that the use cases logged.
func mailFor(t *testing.T, s AdminRequestStore, log *IDLog, template string) mail.Message {
	t.Helper()
	var found *mail.Message
	for _, m := range log.Mail(t, s) {
		if m.Template == template {
			found = &m
		}
	}
	if found == nil {
		t.Fatalf("no %s mail", template)
	}
	return *found
}
