package api

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/gtm"
	"github.com/pbs/benefits/shared/httpapi"
	"github.com/pbs/benefits/shared/mail"
	"github.com/pbs/benefits/shared/partner"
	"github.com/pbs/benefits/shared/store"
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

// putContact names (or replaces) the partner's marketing contact and emails
// them the instructions, in the same transaction.
func (s *Service) putContact(ctx context.Context, r *httpapi.Request, in contactBody) (httpapi.Response, error) {
	if err := requireID("userId", in.UserID); err != nil {
		return httpapi.Response{}, err
	}
	var (
		users map[string]partner.User
		old   gtm.Contact
		had   bool
		p     partner.Partner
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		users, err = s.Store.DirectoryUsers(gctx, r.Caller.PartnerID, []string{in.UserID})
		return err
	})
	g.Go(func() (err error) { old, had, err = s.Store.Contact(gctx, r.Caller.PartnerID); return err })
	g.Go(func() (err error) { p, err = s.Store.Partner(gctx, r.Caller.PartnerID); return err })
	if err := g.Wait(); err != nil {
		return httpapi.Response{}, err
	}
	u, found := users[in.UserID]
	now := s.Clock.Now()
	c, err := gtm.NewContact(u, found, in.Email, in.Phone, in.Language, r.Caller.UserID, now)
	if err != nil {
		return httpapi.Response{}, err
	}
	if gtm.Unchanged(old, had, c) {
		return httpapi.JSON(http.StatusOK, viewContact(old)) // a double click: nothing sent, no quota used
	}
	// The address has confirmed nothing yet, so the mail carries no text a
	// caller wrote: only the operator's partner name.
	msg := mail.Message{ID: s.NewID("msg"), To: []string{c.Email}, Template: "gtm-contact-instructions", Language: c.Language,
		CreatedAt: now, Data: map[string]string{"partnerName": p.Name}}
	ev := s.event(r, audit.ContactSet, "").About(c.UserID, nil)
	err = s.Store.SetContact(ctx, c, msg, ev, gtm.ContactQuotas(c, now))
	if qe, ok := errors.AsType[*store.QuotaExceeded](err); ok {
		return httpapi.Response{}, gtm.RateLimited(qe.Quota, now)
	}
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, viewContact(c))
}

// getContact shows the partner's marketing contact.
func (s *Service) getContact(ctx context.Context, r *httpapi.Request) (httpapi.Response, error) {
	c, found, err := s.Store.Contact(ctx, r.Caller.PartnerID)
	if err != nil {
		return httpapi.Response{}, err
	}
	if !found {
		return httpapi.Response{}, apperr.New(apperr.NotFound, "not_found", "The partner has no marketing contact yet.")
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

var errNoPublicURL = apperr.New(apperr.Unavailable, "public_url_unset", "Confirmation links need PUBLIC_BASE_URL, which this environment does not set.")

// activateOffer makes an offer pending and emails the marketing contact a
// single-use link; while it is pending (with a working link) or active,
// repeating it changes and sends nothing.
func (s *Service) activateOffer(ctx context.Context, r *httpapi.Request) (httpapi.Response, error) {
	benefitID := r.Path("benefitId")
	for range drawAttempts {
		var (
			b     benefit.Benefit
			c     gtm.Contact
			found bool
		)
		g, gctx := errgroup.WithContext(ctx)
		g.Go(func() (err error) { b, err = s.Store.Benefit(gctx, r.Caller.PartnerID, benefitID); return err })
		g.Go(func() (err error) { c, found, err = s.Store.Contact(gctx, r.Caller.PartnerID); return err })
		if err := g.Wait(); err != nil {
			return httpapi.Response{}, err
		}
		now := s.Clock.Now()
		step, err := gtm.Activate(b, c, found, now)
		if err != nil {
			return httpapi.Response{}, err
		}
		if step == gtm.Nothing {
			return httpapi.JSON(http.StatusOK, viewOffer(b, now))
		}
		if s.PublicURL == "" {
			return httpapi.Response{}, errNoPublicURL
		}
		err = s.sendOfferLink(ctx, r, b, c, now)
		if errors.Is(err, store.ErrBenefitChanged) {
			continue // a racing activation: read what it did
		}
		if err != nil {
			return httpapi.Response{}, err
		}
		b.Status, b.LinkExpiresAt = benefit.Pending, now.Add(gtm.LinkValidity)
		return httpapi.JSON(http.StatusOK, viewOffer(b, now))
	}
	return httpapi.Response{}, errDrawBusy
}

func (s *Service) sendOfferLink(ctx context.Context, r *httpapi.Request, b benefit.Benefit, c gtm.Contact, now time.Time) error {
	cat, err := s.catalog(ctx)
	if err != nil {
		return err
	}
	p, err := s.Store.Partner(ctx, b.PartnerID)
	if err != nil {
		return err
	}
	tok := gtm.NewToken(now)
	product := cat.Products[b.Product]
	name := b.ProductName
	if name == "" {
		name = product.Name
	}
	msg := mail.Message{ID: s.NewID("msg"), To: []string{c.Email}, Template: "gtm-offer-confirm", Language: c.Language, CreatedAt: now,
		Data: map[string]string{"partnerName": p.Name, "offerName": name, "offerType": product.OfferType,
			"confirmUrl":    s.PublicURL + "/v1/gtm/confirm?token=" + url.QueryEscape(tok.Secret),
			"linkExpiresOn": tok.ExpiresAt.UTC().Format("2006-01-02 15:04 UTC")}}
	ev := s.event(r, audit.OfferRequested, b.ID).About(c.UserID, map[string]string{"sentTo": c.Email})
	link := store.Link{Hash: tok.Hash, PartnerID: b.PartnerID, BenefitID: b.ID, Language: c.Language, Contact: c.Email, ExpiresAt: tok.ExpiresAt}
	return s.Store.RequestOffer(ctx, b, link, msg, ev)
}

// confirmation is a link and what it confirms, as read for the page or
// for confirming.
type confirmation struct {
	link         store.Link
	line         benefit.Benefit
	partnerName  string
	offerType    string
	activeMonths int
}

// readConfirmation reads a token's link, its offer line and catalogue
// data. A token that is malformed, unknown, used or expired, or whose offer
// is no longer pending, is gtm.ErrTokenInvalid.
func (s *Service) readConfirmation(ctx context.Context, secret string, now time.Time) (confirmation, error) {
	if !gtm.WellFormed(secret) {
		return confirmation{}, gtm.ErrTokenInvalid
	}
	l, found, err := s.Store.LinkOf(ctx, gtm.HashToken(secret))
	if err != nil {
		return confirmation{}, err
	}
	c := confirmation{link: l} // an expired link still says its language
	if !found || !now.Before(l.ExpiresAt) {
		return c, gtm.ErrTokenInvalid
	}
	var (
		contact    gtm.Contact
		hasContact bool
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) { c.line, err = s.Store.Benefit(gctx, l.PartnerID, l.BenefitID); return err })
	g.Go(func() error {
		p, err := s.Store.Partner(gctx, l.PartnerID)
		c.partnerName = p.Name
		return err
	})
	g.Go(func() (err error) { contact, hasContact, err = s.Store.Contact(gctx, l.PartnerID); return err })
	if err := g.Wait(); err != nil {
		if errors.Is(err, apperr.ErrNotFound) {
			return confirmation{}, gtm.ErrTokenInvalid
		}
		return confirmation{}, err
	}
	if c.line.EffectiveStatus(now) != benefit.Pending {
		return c, gtm.ErrTokenInvalid
	}
	// A link sent to a replaced contact, or replaced by a newer link, no
	// longer confirms.
	if err := gtm.Current(c.line, l.Hash, l.Contact, contact, hasContact); err != nil {
		return c, err
	}
	cat, err := s.catalog(ctx)
	if err != nil {
		return confirmation{}, err
	}
	product := cat.Products[c.line.Product]
	c.offerType, c.activeMonths = product.OfferType, product.OfferMonths()
	return c, nil
}

// confirmPage is the page an email link opens: the offer and a confirm
// button, or in words why the link no longer works.
func (s *Service) confirmPage(ctx context.Context, r *httpapi.Request) (httpapi.Response, error) {
	now := s.Clock.Now()
	c, err := s.readConfirmation(ctx, r.Query("token"), now)
	if errors.Is(err, gtm.ErrTokenInvalid) {
		return invalidPage(r, c.link.Language), nil
	}
	if err != nil {
		return httpapi.Response{}, err
	}
	return htmlPage(http.StatusOK, pageConfirm, c.link.Language, pageData{Partner: c.partnerName, Offer: c.line.ProductName,
		OfferType: c.offerType, Months: c.activeMonths, Token: r.Query("token"), LinkExpires: dateTime(c.link.ExpiresAt, c.link.Language)}), nil
}

// confirmOffer uses a link: the offer becomes active until its months are
// over. A form post (the page's button) gets a page; JSON gets JSON.
func (s *Service) confirmOffer(ctx context.Context, r *httpapi.Request) (httpapi.Response, error) {
	form := r.MediaType() == "application/x-www-form-urlencoded"
	var secret string
	if form {
		body, err := r.Body()
		if err != nil {
			return httpapi.Response{}, err
		}
		values, _ := url.ParseQuery(string(body))
		secret = values.Get("token")
	} else {
		var in struct {
			Token string `json:"token"`
		}
		if err := r.Decode(&in); err != nil {
			return httpapi.Response{}, err
		}
		secret = in.Token
	}
	now := s.Clock.Now()
	c, err := s.readConfirmation(ctx, secret, now)
	var until time.Time
	if err == nil {
		until, err = gtm.Confirm(c.line, c.link.ExpiresAt, c.activeMonths, now)
	}
	if err == nil {
		ev := audit.New(s.NewID, c.line.PartnerID, "contact:"+c.link.Contact, audit.OfferActivated, c.line.ID, now).
			About("", map[string]string{"expiresAt": until.UTC().Format(time.RFC3339)})
		err = s.Store.ConfirmOffer(ctx, c.link, c.line, until, now, ev)
		if errors.Is(err, store.ErrLinkUsed) || errors.Is(err, store.ErrBenefitChanged) {
			err = gtm.ErrTokenInvalid // a racing confirmation used it
		}
	}
	switch {
	case errors.Is(err, gtm.ErrTokenInvalid) && form:
		return invalidPage(r, c.link.Language), nil
	case err != nil:
		return httpapi.Response{}, err
	case form:
		return htmlPage(http.StatusOK, pageActive, c.link.Language, pageData{Partner: c.partnerName, Offer: c.line.ProductName,
			OfferType: c.offerType, Until: date(until, c.link.Language)}), nil
	}
	return httpapi.JSON(http.StatusOK, map[string]any{"benefitId": c.line.ID, "status": benefit.Active, "expiresAt": until})
}
