package api

import (
	"context"
	"net/http"

	"github.com/pbs/benefits/shared/access"
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

// directory is the partner and directory use cases over the service's
// store and catalogue cache.
func (s *Service) directory() partner.Directory {
	return partner.Directory{Store: s.Store, NewID: s.NewID, Catalog: s.catalog}
}

// createUser adds a directory user; the email is unique per partner. The
// caller must be allowed to grant every role the user is given.
func (s *Service) createUser(ctx context.Context, r *httpapi.Request, in userBody) (httpapi.Response, error) {
	u, err := s.directory().AddUser(ctx, r.Caller, partner.UserInput{Email: in.Email, DisplayName: in.DisplayName, Roles: in.Roles, Guest: in.Guest}, s.Clock.Now())
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusCreated, viewUser(u))
}
