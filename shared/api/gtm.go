package api

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/gtm"
	"github.com/pbs/benefits/shared/httpapi"
)

type contactView struct {
	UserID      string    `json:"userId"`
	DisplayName string    `json:"displayName"`
	Email       string    `json:"email"`
	Phone       string    `json:"phone"`
	Language    string    `json:"language"`
	UpdatedAt   time.Time `json:"updatedAt"`
	UpdatedBy   string    `json:"updatedBy"`
}

func viewContact(c gtm.Contact) contactView {
	return contactView{UserID: c.UserID, DisplayName: c.DisplayName, Email: c.Email, Phone: c.Phone, Language: c.Language,
		UpdatedAt: c.UpdatedAt, UpdatedBy: c.UpdatedBy}
}

type contactBody struct {
	UserID   string `json:"userId"`
	Email    string `json:"email"`
	Phone    string `json:"phone"`
	Language string `json:"language"`
}

// offers is the go-to-market use cases over the service's store.
func (s *Service) offers() gtm.Offers {
	return gtm.Offers{Store: s.Store, NewID: s.NewID, Catalog: s.catalog, PublicURL: s.PublicURL}
}

// putContact names (or replaces) the partner's marketing contact and emails
// them the instructions, in the same transaction.
func (s *Service) putContact(ctx context.Context, r *httpapi.Request, in contactBody) (httpapi.Response, error) {
	if err := requireID("userId", in.UserID); err != nil {
		return httpapi.Response{}, err
	}
	c, err := s.offers().SetContact(ctx, r.Caller.PartnerID, r.Caller.UserID, in.UserID, in.Email, in.Phone, in.Language, s.Clock.Now())
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, viewContact(c))
}

// getContact shows the partner's marketing contact.
func (s *Service) getContact(ctx context.Context, r *httpapi.Request) (httpapi.Response, error) {
	c, err := s.offers().Contact(ctx, r.Caller.PartnerID)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, viewContact(c))
}

type offerView struct {
	BenefitID     string     `json:"benefitId"`
	Status        string     `json:"status"`
	LinkExpiresAt *time.Time `json:"linkExpiresAt,omitempty"`
	ExpiresAt     *time.Time `json:"expiresAt,omitempty"`
}

func viewOffer(b benefit.Benefit, now time.Time) offerView {
	v := offerView{BenefitID: b.ID, Status: string(b.EffectiveStatus(now))}
	switch b.Status {
	case benefit.Pending:
		t := b.LinkExpiresAt
		v.LinkExpiresAt = &t
	case benefit.Active:
		t := b.ExpiresAt
		v.ExpiresAt = &t
	}
	return v
}

// activateOffer makes an offer pending and emails the marketing contact a
// single-use link; while it is pending (with a working link) or active,
// repeating it changes and sends nothing.
func (s *Service) activateOffer(ctx context.Context, r *httpapi.Request) (httpapi.Response, error) {
	now := s.Clock.Now()
	b, err := s.offers().Activate(ctx, r.Caller.PartnerID, r.Caller.UserID, r.Path("benefitId"), now)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, viewOffer(b, now))
}

// confirmPage is the page an email link opens: the offer and a confirm
// button, or in words why the link no longer works.
func (s *Service) confirmPage(ctx context.Context, r *httpapi.Request) (httpapi.Response, error) {
	c, err := s.offers().ConfirmPage(ctx, r.Query("token"), s.Clock.Now())
	if errors.Is(err, gtm.ErrTokenInvalid) {
		return invalidPage(r, c.Link.Language), nil
	}
	if err != nil {
		return httpapi.Response{}, err
	}
	return htmlPage(http.StatusOK, pageConfirm, c.Link.Language, pageData{Partner: c.PartnerName, Offer: c.Line.ProductName,
		OfferType: c.OfferType, Months: c.ActiveMonths, Token: r.Query("token"), LinkExpires: dateTime(c.Link.ExpiresAt, c.Link.Language)}), nil
}

// confirmOffer uses a link: the offer becomes active until its months are
// over. A form post (the page's button) gets a page; JSON gets JSON.
func (s *Service) confirmOffer(ctx context.Context, r *httpapi.Request) (httpapi.Response, error) {
	form := r.MediaType() == "application/x-www-form-urlencoded"
	secret, err := confirmToken(r, form)
	if err != nil {
		return httpapi.Response{}, err
	}
	c, until, err := s.offers().Confirm(ctx, secret, s.Clock.Now())
	switch {
	case errors.Is(err, gtm.ErrTokenInvalid) && form:
		return invalidPage(r, c.Link.Language), nil
	case err != nil:
		return httpapi.Response{}, err
	case form:
		return htmlPage(http.StatusOK, pageActive, c.Link.Language, pageData{Partner: c.PartnerName, Offer: c.Line.ProductName,
			OfferType: c.OfferType, Until: date(until, c.Link.Language)}), nil
	}
	return httpapi.JSON(http.StatusOK, map[string]any{"benefitId": c.Line.ID, "status": benefit.Active, "expiresAt": until})
}

// confirmToken reads the token of a confirmation: a form field (the
// page's button) or JSON.
func confirmToken(r *httpapi.Request, form bool) (string, error) {
	if form {
		body, err := r.Body()
		if err != nil {
			return "", err
		}
		values, _ := url.ParseQuery(string(body))
		return values.Get("token"), nil
	}
	var in struct {
		Token string `json:"token"`
	}
	err := r.Decode(&in)
	return in.Token, err
}
