package api

import (
	"context"
	"net/http"

	"github.com/pbs/benefits/shared/access"
	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/httpapi"
	"github.com/pbs/benefits/shared/partner"
)

// listUsers pages through the partner's directory.
func (s *Service) listUsers(ctx context.Context, r *httpapi.Request) (httpapi.Response, error) {
	limit, cursor, err := r.Paging()
	if err != nil {
		return httpapi.Response{}, err
	}
	users, next, err := s.Store.Users(ctx, r.Caller.PartnerID, limit, cursor)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, pageOf(users, next, viewUser))
}

type userBody struct {
	Email       string        `json:"email"`
	DisplayName string        `json:"displayName"`
	Roles       []access.Role `json:"roles"`
	Guest       bool          `json:"guest"`
}

// createUser adds a directory user; the email is unique per partner. The
// caller must be allowed to grant every role the user is given.
func (s *Service) createUser(ctx context.Context, r *httpapi.Request, in userBody) (httpapi.Response, error) {
	u, err := partner.NewUser(s.NewID("usr"), r.Caller.PartnerID, in.Email, in.DisplayName, in.Roles, in.Guest, s.Clock.Now())
	if err != nil {
		return httpapi.Response{}, err
	}
	for _, role := range u.Roles {
		if !r.Caller.CanGrant(role) {
			return httpapi.Response{}, apperr.ErrForbiddenRole.With("role", role)
		}
	}
	if err := s.Store.CreateUser(ctx, u); err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusCreated, viewUser(u))
}
