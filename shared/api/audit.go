package api

import (
	"context"
	"net/http"
	"time"

	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/httpapi"
)

type eventView struct {
	ID        string            `json:"id"`
	At        time.Time         `json:"at"`
	Actor     string            `json:"actor"`
	Action    audit.Action      `json:"action"`
	BenefitID string            `json:"benefitId,omitempty"`
	UserID    string            `json:"userId,omitempty"`
	Detail    map[string]string `json:"detail,omitempty"`
}

// getAudit pages through the partner's history, newest first, optionally
// for one benefit.
func (s *Service) getAudit(ctx context.Context, r *httpapi.Request) (httpapi.Response, error) {
	limit, cursor, err := r.Paging()
	if err != nil {
		return httpapi.Response{}, err
	}
	benefitID := r.Query("benefitId")
	if benefitID != "" && !httpapi.ValidID(benefitID) {
		// No benefit of the partner has that id, so it has no history.
		return httpapi.JSON(http.StatusOK, map[string]any{"items": []eventView{}})
	}
	es, next, err := s.Store.Audit(ctx, r.Caller.PartnerID, benefitID, limit, cursor)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, pageOf(es, next, func(e audit.Event) eventView {
		return eventView{ID: e.ID, At: e.At, Actor: e.Actor, Action: e.Action, BenefitID: e.BenefitID, UserID: e.UserID, Detail: e.Detail}
	}))
}
