package api

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"github.com/pbs/benefits/shared/advisory"
	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/httpapi"
	"github.com/pbs/benefits/shared/store"
	"github.com/pbs/benefits/shared/support"
)

type supportView struct {
	Activated   bool       `json:"activated"`
	AccessID    string     `json:"accessId,omitempty"`
	ContractID  string     `json:"contractId,omitempty"`
	ActivatedAt *time.Time `json:"activatedAt,omitempty"`
	Incidents   struct {
		Quantity  int `json:"quantity"`
		Used      int `json:"used"`
		Remaining int `json:"remaining"`
	} `json:"incidents"`
}

func viewSupport(a *support.Activation, lines []benefit.Benefit, now time.Time) supportView {
	var v supportView
	if a != nil {
		at := a.ActivatedAt
		v.Activated, v.AccessID, v.ContractID, v.ActivatedAt = true, a.AccessID, a.ContractID, &at
	}
	for _, b := range lines {
		if b.Kind == catalog.Support && b.Live(now) {
			v.Incidents.Quantity += b.Quantity
			v.Incidents.Used += b.Used
		}
	}
	v.Incidents.Remaining = max(0, v.Incidents.Quantity-v.Incidents.Used)
	return v
}

// activateSupport creates the partner's Access ID and Contract ID once:
// 201 the first time, 200 with the same ids for every later (or racing) call.
func (s *Service) activateSupport(ctx context.Context, r *httpapi.Request) (httpapi.Response, error) {
	o, err := s.Store.Dashboard(ctx, r.Caller.PartnerID)
	if err != nil {
		return httpapi.Response{}, err
	}
	now := s.Clock.Now()
	status := http.StatusOK
	if o.Support == nil {
		if err := support.Eligible(o.Purchases); err != nil {
			return httpapi.Response{}, err
		}
		a, created, err := s.Store.ActivateSupport(ctx, r.Caller.PartnerID, support.Activate(r.Caller.UserID, now),
			s.event(r, audit.SupportActivated, ""))
		if err != nil {
			return httpapi.Response{}, err
		}
		if created {
			status = http.StatusCreated
		}
		o.Support = &a
	}
	return httpapi.JSON(status, viewSupport(o.Support, o.Lines, now))
}

// getSupport shows every user of the partner the contract ids and the
// incidents left.
func (s *Service) getSupport(ctx context.Context, r *httpapi.Request) (httpapi.Response, error) {
	o, err := s.Store.Dashboard(ctx, r.Caller.PartnerID)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, viewSupport(o.Support, o.Lines, s.Clock.Now()))
}

// drawAttempts bounds the read-decide-write rounds of a draw on lines.
const drawAttempts = 8

var errDrawBusy = apperr.New(apperr.Conflict, "benefit_busy", "These benefits are being used by other requests; retry.")

// drawing runs read-decide-write rounds: read the dashboard collection,
// let try decide and write; a write that lost a race reads again.
func (s *Service) drawing(ctx context.Context, partnerID string, try func(o store.Overview, now time.Time) error) error {
	for attempt := range drawAttempts {
		if attempt > 0 {
			time.Sleep(time.Duration(rand.IntN(10<<attempt)) * time.Millisecond)
		}
		o, err := s.Store.Dashboard(ctx, partnerID)
		if err != nil {
			return err
		}
		if err := try(o, s.Clock.Now()); !errors.Is(err, store.ErrBenefitChanged) {
			return err
		}
	}
	return errDrawBusy
}

type incidentBody struct {
	Category       string `json:"category"`
	Product        string `json:"product"`
	ProductVersion string `json:"productVersion"`
}

// openIncident takes one incident off the partner's support lines.
func (s *Service) openIncident(ctx context.Context, r *httpapi.Request, in incidentBody) (httpapi.Response, error) {
	cat, err := s.catalog(ctx)
	if err != nil {
		return httpapi.Response{}, err
	}
	inc := support.Incident{ID: s.NewID("inc"), PartnerID: r.Caller.PartnerID, Category: support.Category(in.Category),
		Product: in.Product, ProductVersion: in.ProductVersion, OpenedBy: r.Caller.UserID}
	err = s.drawing(ctx, r.Caller.PartnerID, func(o store.Overview, now time.Time) error {
		line, err := support.CheckIncident(inc, o.Purchases, o.Lines, o.Support != nil, cat, now)
		if err != nil {
			return err
		}
		inc.OpenedAt, inc.BenefitID = now, line.ID
		ev := s.event(r, audit.IncidentOpened, line.ID).About("", map[string]string{"incidentId": inc.ID, "category": in.Category, "product": in.Product})
		return s.Store.OpenIncident(ctx, inc, line, ev)
	})
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusCreated, map[string]any{"id": inc.ID, "category": inc.Category, "product": inc.Product,
		"productVersion": inc.ProductVersion, "benefitId": inc.BenefitID, "status": "open", "openedBy": inc.OpenedBy, "openedAt": inc.OpenedAt})
}

type advisoryView struct {
	ID          string    `json:"id"`
	Topic       string    `json:"topic"`
	Hours       int       `json:"hours"`
	RequestedBy string    `json:"requestedBy"`
	RequestedAt time.Time `json:"requestedAt"`
}

type advisoryBody struct {
	Topic string `json:"topic"`
	Hours int    `json:"hours"`
}

func viewAdvisory(q advisory.Request) advisoryView {
	return advisoryView{ID: q.ID, Topic: q.Topic, Hours: q.Hours, RequestedBy: q.RequestedBy, RequestedAt: q.RequestedAt}
}

// requestAdvisory takes hours off the partner's advisory balance.
func (s *Service) requestAdvisory(ctx context.Context, r *httpapi.Request, in advisoryBody) (httpapi.Response, error) {
	req := advisory.Request{ID: s.NewID("adv"), PartnerID: r.Caller.PartnerID, Topic: in.Topic, Hours: in.Hours, RequestedBy: r.Caller.UserID}
	var left int
	err := s.drawing(ctx, r.Caller.PartnerID, func(o store.Overview, now time.Time) error {
		takes, err := advisory.Check(req, o.Purchases, o.Lines, now)
		if err != nil {
			return err
		}
		req.Takes, req.RequestedAt = takes, now
		total, used := advisory.Balance(o.Lines, now)
		left = total - used - req.Hours
		ev := s.event(r, audit.AdvisoryRequested, takes[0].Line.ID).About("", map[string]string{"requestId": req.ID, "hours": itoa(req.Hours)})
		return s.Store.RequestAdvisory(ctx, req, ev)
	})
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusCreated, struct {
		advisoryView
		HoursLeft int `json:"hoursLeft"`
	}{viewAdvisory(req), left})
}

// listAdvisory pages through the partner's requests, newest first, with the
// balance.
func (s *Service) listAdvisory(ctx context.Context, r *httpapi.Request) (httpapi.Response, error) {
	limit, cursor, err := r.Paging()
	if err != nil {
		return httpapi.Response{}, err
	}
	rs, next, err := s.Store.AdvisoryRequests(ctx, r.Caller.PartnerID, limit, cursor)
	if err != nil {
		return httpapi.Response{}, err
	}
	o, err := s.Store.Dashboard(ctx, r.Caller.PartnerID)
	if err != nil {
		return httpapi.Response{}, err
	}
	total, used := advisory.Balance(o.Lines, s.Clock.Now())
	return httpapi.JSON(http.StatusOK, struct {
		Hours map[string]int `json:"hours"`
		page[advisoryView]
	}{map[string]int{"total": total, "used": used, "left": max(0, total-used)}, pageOf(rs, next, viewAdvisory)})
}

func itoa(n int) string { return strconv.Itoa(n) }
