package api

import (
	"context"
	"net/http"
	"time"

	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/credit"
	"github.com/pbs/benefits/shared/httpapi"
	"github.com/pbs/benefits/shared/money"
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

// credits is the credit use cases over the service's store.
func (s *Service) credits() credit.Seats { return credit.Seats{Store: s.Store, NewID: s.NewID} }

type userRef struct {
	UserID string `json:"userId"`
}

// assignCreditUser gives a directory user a seat of a credit: 201 with the
// credit, or 200 when the user already holds one (a retry is harmless).
func (s *Service) assignCreditUser(ctx context.Context, r *httpapi.Request, in userRef) (httpapi.Response, error) {
	if err := requireID("userId", in.UserID); err != nil {
		return httpapi.Response{}, err
	}
	c, already, err := s.credits().Assign(ctx, r.Caller.PartnerID, r.Caller.UserID, r.Path("benefitId"), in.UserID, s.Clock.Now())
	if err != nil {
		return httpapi.Response{}, err
	}
	if already {
		return httpapi.JSON(http.StatusOK, viewCredit(c))
	}
	return httpapi.JSON(http.StatusCreated, viewCredit(c))
}

// removeCreditUser frees a monthly credit's seat: 204.
func (s *Service) removeCreditUser(ctx context.Context, r *httpapi.Request) (httpapi.Response, error) {
	err := s.credits().Remove(ctx, r.Caller.PartnerID, r.Caller.UserID, r.Path("benefitId"), r.Path("userId"), s.Clock.Now())
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.Response{StatusCode: http.StatusNoContent, Headers: map[string]string{}}, nil
}

type transferBody struct {
	ToUserID string `json:"toUserId"`
}

// transferCredit moves an annual credit to another directory user.
func (s *Service) transferCredit(ctx context.Context, r *httpapi.Request, in transferBody) (httpapi.Response, error) {
	if err := requireID("toUserId", in.ToUserID); err != nil {
		return httpapi.Response{}, err
	}
	c, err := s.credits().Transfer(ctx, r.Caller.PartnerID, r.Caller.UserID, r.Path("benefitId"), in.ToUserID, s.Clock.Now())
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

// ledgerView is a credit's ledger, in the partner's currency (minor units).
type ledgerView struct {
	BenefitID       string         `json:"benefitId"`
	Kind            catalog.Kind   `json:"kind"`
	Currency        string         `json:"currency"`
	Balance         int64          `json:"balance"`
	Grants          []grantView    `json:"grants"`
	Holders         []holderView   `json:"holders"`
	NextGrantPeriod string         `json:"nextGrantPeriod,omitempty"`
	Enrolment       *enrolmentView `json:"enrolment,omitempty"`
}

func viewLedger(c credit.Credit) ledgerView {
	out := ledgerView{BenefitID: c.BenefitID, Kind: c.Kind, Currency: c.PerSeat.Currency, Balance: c.Balance, Grants: []grantView{},
		Holders: viewHolders(c.Holders), Enrolment: viewEnrolment(c), NextGrantPeriod: viewCredit(c).NextGrantPeriod}
	for _, g := range c.Grants {
		out.Grants = append(out.Grants, grantView{Period: g.Period.String(), Amount: g.Amount, Seats: g.Seats, GrantedAt: g.GrantedAt})
	}
	return out
}

// getLedger shows what a credit was granted, oldest first: one consistent
// Query of the benefit's items.
func (s *Service) getLedger(ctx context.Context, r *httpapi.Request) (httpapi.Response, error) {
	c, err := s.credits().Ledger(ctx, r.Caller.PartnerID, r.Path("benefitId"))
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, viewLedger(c))
}

// requireID checks a body field naming a resource: missing is 400; an id
// this service could never have issued is simply not a user of the partner.
func requireID(field, id string) error {
	if id == "" {
		var f apperr.Fields
		f.Add(field, apperr.Required, "required")
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
