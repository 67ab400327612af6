package api

import (
	"context"
	"net/http"

	"github.com/pbs/benefits/shared/access"
	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/httpapi"
	"github.com/pbs/benefits/shared/partner"
)

// listUsers pages through the partner's directory, searched by q and
// filtered by role and guest (partner.UserQuery).
func (s *Service) listUsers(ctx context.Context, r *httpapi.Request) (httpapi.Response, error) {
	limit, cursor, err := r.Paging()
	if err != nil {
		return httpapi.Response{}, err
	}
	q, err := userQuery(r)
	if err != nil {
		return httpapi.Response{}, err
	}
	users, next, err := s.directory().Users(ctx, r.Caller, q, limit, cursor)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, pageOf(users, next, viewUser))
}

// userQuery reads q, role and guest ("true" or "false").
func userQuery(r *httpapi.Request) (partner.UserQuery, error) {
	q := partner.UserQuery{Q: r.Query("q"), Role: access.Role(r.Query("role"))}
	switch g := r.Query("guest"); g {
	case "":
	case "true", "false":
		guest := g == "true"
		q.Guest = &guest
	default:
		var f apperr.Fields
		f.Add("guest", apperr.UnknownValue, "must be true or false")
		return q, f.Err()
	}
	return q, nil
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
	return partner.Directory{Store: s.Store, Members: s.Store, NewID: s.NewID, Catalog: s.catalog}
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

// getUser reads one user of the caller's directory.
func (s *Service) getUser(ctx context.Context, r *httpapi.Request) (httpapi.Response, error) {
	u, err := s.directory().User(ctx, r.Caller, r.Path("id"))
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, viewUser(u))
}

// userPatch is PATCH /v1/users/{id}: absent fields stay as they are.
type userPatch struct {
	DisplayName *string        `json:"displayName"`
	Roles       *[]access.Role `json:"roles"`
}

// updateUser renames a user or changes their roles.
func (s *Service) updateUser(ctx context.Context, r *httpapi.Request, in userPatch) (httpapi.Response, error) {
	u, err := s.directory().ChangeUser(ctx, r.Caller, r.Path("id"), partner.UserPatch{DisplayName: in.DisplayName, Roles: in.Roles}, s.Clock.Now())
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, viewUser(u))
}

// removeUser removes a user from the directory, freeing their email.
func (s *Service) removeUser(ctx context.Context, r *httpapi.Request) (httpapi.Response, error) {
	if err := s.directory().RemoveUser(ctx, r.Caller, r.Path("id"), s.Clock.Now()); err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.Response{StatusCode: http.StatusNoContent, Headers: map[string]string{}}, nil
}
