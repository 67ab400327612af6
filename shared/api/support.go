package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/pbs/benefits/shared/advisory"
	"github.com/pbs/benefits/shared/httpapi"
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
	// OnPremisesProducts is the pick list of an on-premises incident.
	OnPremisesProducts []pickView `json:"onPremisesProducts"`
}

type pickView struct {
	ID                string   `json:"id"`
	Name              string   `json:"name"`
	SupportedVersions []string `json:"supportedVersions"`
}

// supportView is the summary with the current catalogue's pick list.
func (s *Service) supportView(ctx context.Context, sum support.Summary) (supportView, error) {
	cat, err := s.catalog(ctx)
	if err != nil {
		return supportView{}, err
	}
	v := viewSupport(sum)
	v.OnPremisesProducts = []pickView{}
	for _, p := range support.PickList(cat) {
		v.OnPremisesProducts = append(v.OnPremisesProducts, pickView{ID: p.ID, Name: p.Name, SupportedVersions: p.Versions})
	}
	return v, nil
}

func viewSupport(sum support.Summary) supportView {
	var v supportView
	if a := sum.Activation; a != nil {
		at := a.ActivatedAt
		v.Activated, v.AccessID, v.ContractID, v.ActivatedAt = true, a.AccessID, a.ContractID, &at
	}
	v.Incidents.Quantity, v.Incidents.Used, v.Incidents.Remaining = sum.Quantity, sum.Used, sum.Remaining()
	return v
}

// desk is the support use cases over the service's store.
func (s *Service) desk() support.Desk { return support.Desk{Store: s.Store, NewID: s.NewID} }

// activateSupport creates the partner's Access ID and Contract ID once:
// 201 the first time, 200 with the same ids for every later (or racing) call.
func (s *Service) activateSupport(ctx context.Context, r *httpapi.Request) (httpapi.Response, error) {
	sum, created, err := s.desk().Activate(ctx, r.Caller.PartnerID, r.Caller.UserID, s.Clock.Now())
	if err != nil {
		return httpapi.Response{}, err
	}
	v, err := s.supportView(ctx, sum)
	if err != nil {
		return httpapi.Response{}, err
	}
	if created {
		return httpapi.JSON(http.StatusCreated, v)
	}
	return httpapi.JSON(http.StatusOK, v)
}

// getSupport shows every user of the partner the contract ids and the
// incidents left.
func (s *Service) getSupport(ctx context.Context, r *httpapi.Request) (httpapi.Response, error) {
	sum, err := s.desk().Get(ctx, r.Caller.PartnerID, s.Clock.Now())
	if err != nil {
		return httpapi.Response{}, err
	}
	v, err := s.supportView(ctx, sum)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, v)
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
	inc, err := s.desk().OpenIncident(ctx, r.Caller.PartnerID, r.Caller.UserID, support.Incident{Category: support.Category(in.Category),
		Product: in.Product, ProductVersion: in.ProductVersion}, cat, s.Clock.Now())
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusCreated, viewIncident(inc))
}

// listIncidents pages through the partner's incidents, newest first.
func (s *Service) listIncidents(ctx context.Context, r *httpapi.Request) (httpapi.Response, error) {
	limit, cursor, err := r.Paging()
	if err != nil {
		return httpapi.Response{}, err
	}
	ins, next, err := s.desk().Incidents(ctx, r.Caller.PartnerID, limit, cursor)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, pageOf(ins, next, viewIncident))
}

type incidentView struct {
	ID             string           `json:"id"`
	Category       support.Category `json:"category"`
	Product        string           `json:"product"`
	ProductVersion string           `json:"productVersion"`
	BenefitID      string           `json:"benefitId"`
	Status         string           `json:"status"`
	OpenedBy       string           `json:"openedBy"`
	OpenedAt       time.Time        `json:"openedAt"`
}

func viewIncident(in support.Incident) incidentView {
	return incidentView{ID: in.ID, Category: in.Category, Product: in.Product, ProductVersion: in.ProductVersion, BenefitID: in.BenefitID,
		Status: "open", OpenedBy: in.OpenedBy, OpenedAt: in.OpenedAt}
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

// hours is the advisory use cases over the service's store.
func (s *Service) hours() advisory.Hours { return advisory.Hours{Store: s.Store, NewID: s.NewID} }

// requestAdvisory takes hours off the partner's advisory balance.
func (s *Service) requestAdvisory(ctx context.Context, r *httpapi.Request, in advisoryBody) (httpapi.Response, error) {
	req, left, err := s.hours().Request(ctx, r.Caller.PartnerID, r.Caller.UserID, in.Topic, in.Hours, s.Clock.Now())
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
	p, err := s.hours().List(ctx, r.Caller.PartnerID, limit, cursor, s.Clock.Now())
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, struct {
		Hours map[string]int `json:"hours"`
		page[advisoryView]
	}{map[string]int{"total": p.Total, "used": p.Used, "left": p.Left()}, pageOf(p.Requests, p.Next, viewAdvisory)})
}

func itoa(n int) string { return strconv.Itoa(n) }
