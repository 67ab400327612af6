package api

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/credit"
	"github.com/pbs/benefits/shared/httpapi"
	"github.com/pbs/benefits/shared/money"
	"github.com/pbs/benefits/shared/store"
)

// creditView is a credit with its holders, the answer of every seat change.
type creditView struct {
	BenefitID string       `json:"benefitId"`
	Kind      catalog.Kind `json:"kind"`
	Product   string       `json:"product"`
	Quantity  int          `json:"quantity"`
	Used      int          `json:"used"`
	Holders   []holderView `json:"holders"`
	Balance   money.Money  `json:"balance"`
	// NextGrantPeriod: monthly credits with a holder, the month granted next.
	NextGrantPeriod string         `json:"nextGrantPeriod,omitempty"`
	Enrolment       *enrolmentView `json:"enrolment,omitempty"`
}

type enrolmentView struct {
	StartsAt time.Time `json:"startsAt"`
	EndsAt   time.Time `json:"endsAt"`
}

func viewCredit(c credit.Credit) creditView {
	v := creditView{BenefitID: c.BenefitID, Kind: c.Kind, Product: c.Product, Quantity: c.Quantity, Used: c.Seats,
		Holders: viewHolders(c.Holders), Balance: c.BalanceMoney(), Enrolment: viewEnrolment(c)}
	if c.Kind == catalog.CreditMonthly && !c.DueFor.IsZero() {
		v.NextGrantPeriod = c.DueFor.String()
	}
	return v
}

func viewEnrolment(c credit.Credit) *enrolmentView {
	if c.EnrolledAt.IsZero() {
		return nil
	}
	return &enrolmentView{StartsAt: c.EnrolledAt, EndsAt: c.EnrolmentEndsAt}
}

// errCreditBusy: the credit kept changing under us; the client retries.
var errCreditBusy = apperr.New(apperr.Conflict, "credit_busy", "This credit is being changed by other requests; retry.")

// seatAttempts bounds the read-decide-write rounds of one seat change.
const seatAttempts = 8

// changeSeats runs one seat change: read the credit (and the user, when one
// is named) consistently, let the credit rules decide, write under
// conditions that fence that read, and on a lost race read and decide
// again. The conditions keep the invariants; the re-read gives the caller
// the right error (no_seats_left, offer_not_combinable, …).
func (s *Service) changeSeats(ctx context.Context, partnerID, benefitID, userID string,
	step func(c credit.Credit, u credit.User, found bool) (credit.Credit, error)) (credit.Credit, error) {
	for attempt := range seatAttempts {
		if attempt > 0 {
			time.Sleep(time.Duration(rand.IntN(10<<attempt)) * time.Millisecond)
		}
		var (
			c     credit.Credit
			u     credit.User
			found bool
		)
		g, gctx := errgroup.WithContext(ctx)
		g.Go(func() (err error) { c, err = s.Store.Credit(gctx, partnerID, benefitID); return err })
		if userID != "" {
			g.Go(func() (err error) { u, found, err = s.Store.CreditUser(gctx, partnerID, userID); return err })
		}
		if err := g.Wait(); err != nil {
			return credit.Credit{}, err
		}
		after, err := step(c, u, found)
		if !errors.Is(err, store.ErrCreditChanged) {
			return after, err
		}
	}
	return credit.Credit{}, errCreditBusy
}

type userRef struct {
	UserID string `json:"userId"`
}

// assignCreditUser gives a directory user a seat of a credit: 201 with the
// credit, or 200 when the user already holds one (a retry is harmless).
func (s *Service) assignCreditUser(ctx context.Context, r *httpapi.Request) (httpapi.Response, error) {
	benefitID, err := r.ID("benefitId")
	if err != nil {
		return httpapi.Response{}, err
	}
	var in userRef
	if err := r.Decode(&in); err != nil {
		return httpapi.Response{}, err
	}
	if err := requireID("userId", in.UserID); err != nil {
		return httpapi.Response{}, err
	}
	status := http.StatusCreated
	c, err := s.changeSeats(ctx, r.Caller.PartnerID, benefitID, in.UserID,
		func(c credit.Credit, u credit.User, found bool) (credit.Credit, error) {
			a, err := c.Assign(u, found, s.Clock.Now())
			if err != nil {
				return c, err
			}
			if a.Already {
				status = http.StatusOK
				return c, nil
			}
			ev := s.event(r, audit.CreditAssigned, benefitID).About(in.UserID, nil)
			return c.After(a), s.Store.AssignCredit(ctx, c, a, ev)
		})
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(status, viewCredit(c))
}

// removeCreditUser frees a monthly credit's seat: 204.
func (s *Service) removeCreditUser(ctx context.Context, r *httpapi.Request) (httpapi.Response, error) {
	benefitID, err := r.ID("benefitId")
	if err != nil {
		return httpapi.Response{}, err
	}
	userID, err := r.ID("userId")
	if err != nil {
		return httpapi.Response{}, err
	}
	_, err = s.changeSeats(ctx, r.Caller.PartnerID, benefitID, "",
		func(c credit.Credit, _ credit.User, _ bool) (credit.Credit, error) {
			if err := c.Remove(userID, s.Clock.Now()); err != nil {
				return c, err
			}
			return c, s.Store.RemoveCreditHolder(ctx, c, userID, s.event(r, audit.CreditRemoved, benefitID).About(userID, nil))
		})
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.Response{StatusCode: http.StatusNoContent, Headers: map[string]string{}}, nil
}

// transferCredit moves an annual credit to another directory user.
func (s *Service) transferCredit(ctx context.Context, r *httpapi.Request) (httpapi.Response, error) {
	benefitID, err := r.ID("benefitId")
	if err != nil {
		return httpapi.Response{}, err
	}
	var in struct {
		ToUserID string `json:"toUserId"`
	}
	if err := r.Decode(&in); err != nil {
		return httpapi.Response{}, err
	}
	if err := requireID("toUserId", in.ToUserID); err != nil {
		return httpapi.Response{}, err
	}
	c, err := s.changeSeats(ctx, r.Caller.PartnerID, benefitID, in.ToUserID,
		func(c credit.Credit, u credit.User, found bool) (credit.Credit, error) {
			a, err := c.Transfer(u, found, s.Clock.Now())
			if err != nil || a.Already {
				return c, err
			}
			ev := s.event(r, audit.CreditTransferred, benefitID).About(in.ToUserID, map[string]string{"fromUserId": c.Holder})
			return c.AfterTransfer(a), s.Store.TransferCredit(ctx, c, a, ev)
		})
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, viewCredit(c))
}

type grantView struct {
	Period    string    `json:"period"`
	Amount    int64     `json:"amount"`
	Seats     int       `json:"seats"`
	GrantedAt time.Time `json:"grantedAt"`
}

// getLedger shows what a credit was granted, oldest first, in the partner's
// currency (minor units): one consistent Query of the benefit's items.
func (s *Service) getLedger(ctx context.Context, r *httpapi.Request) (httpapi.Response, error) {
	benefitID, err := r.ID("benefitId")
	if err != nil {
		return httpapi.Response{}, err
	}
	c, err := s.Store.Credit(ctx, r.Caller.PartnerID, benefitID)
	if err != nil {
		return httpapi.Response{}, err
	}
	out := struct {
		BenefitID       string         `json:"benefitId"`
		Kind            catalog.Kind   `json:"kind"`
		Currency        string         `json:"currency"`
		Balance         int64          `json:"balance"`
		Grants          []grantView    `json:"grants"`
		Holders         []holderView   `json:"holders"`
		NextGrantPeriod string         `json:"nextGrantPeriod,omitempty"`
		Enrolment       *enrolmentView `json:"enrolment,omitempty"`
	}{BenefitID: c.BenefitID, Kind: c.Kind, Currency: c.PerSeat.Currency, Balance: c.Balance, Grants: []grantView{},
		Holders: viewHolders(c.Holders), Enrolment: viewEnrolment(c), NextGrantPeriod: viewCredit(c).NextGrantPeriod}
	for _, g := range c.Grants {
		out.Grants = append(out.Grants, grantView{Period: g.Period.String(), Amount: g.Amount, Seats: g.Seats, GrantedAt: g.GrantedAt})
	}
	return httpapi.JSON(http.StatusOK, out)
}

// requireID checks a body field naming a resource: missing is 400; an id
// this service could never have issued is simply not a user of the partner.
func requireID(field, id string) error {
	if id == "" {
		var f apperr.Fields
		f.Add(field, "required")
		return f.Err()
	}
	if err := apperr.CheckLen(field, id, httpapi.MaxIDLen); err != nil {
		return err
	}
	if !httpapi.ValidID(id) {
		return credit.ErrUserNotFound
	}
	return nil
}
