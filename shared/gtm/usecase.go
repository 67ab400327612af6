package gtm

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"time"

	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/ids"
	"github.com/pbs/benefits/shared/mail"
	"github.com/pbs/benefits/shared/partner"
)

// The use cases of go-to-market offers: name the marketing contact, read
// it, activate an offer (a link mailed to the contact), open and use the
// link. They take plain inputs, decide with the rules of gtm.go, build the
// mail and the audit events, and leave reading and fencing to a Store, so
// they run on DynamoDB (shared/store) and on the in-memory fake
// (shared/store/storetest) alike.

// Link is a stored confirmation link: what its token confirms.
type Link struct {
	Hash      string
	PartnerID string
	BenefitID string
	Language  string
	Contact   string // the address it was sent to
	ExpiresAt time.Time
}

// QuotaExceeded means a change was refused because its quota's window is
// full; nothing was written.
type QuotaExceeded struct{ Quota Quota }

func (e *QuotaExceeded) Error() string {
	return "gtm: quota " + e.Quota.Scope + " of " + strconv.Itoa(e.Quota.Max) + " used up"
}

// OfferState is what an activation and a confirmation read: the line,
// the partner's name (the link mail and the page show it) and the
// partner's contact.
type OfferState struct {
	Line        benefit.Benefit
	PartnerName string
	Contact     Contact
	HasContact  bool
}

// ContactState is what naming a contact reads: the partner, the directory
// user named (Found = false if not in the directory) and the contact it
// would replace.
type ContactState struct {
	Partner partner.Partner
	User    partner.User
	Found   bool
	Old     Contact
	HadOld  bool
}

// OfferChange is a decided activation: a new Link mailed with Mail, and
// Event, written in one transaction only if the line still has the status,
// link expiry and address as read and the contact still has Link.Contact.
// A zero Link.Hash writes nothing.
type OfferChange struct {
	Link  Link
	Mail  mail.Message
	Event audit.Event
}

// DecideOffer decides an activation on what was read.
type DecideOffer func(OfferState) (OfferChange, error)

// Store is what the go-to-market use cases need of storage.
//
// Each use case reads what it decides on in one call (ContactState,
// OfferState), which the DynamoDB store answers with one BatchGetItem.
type Store interface {
	// ContactState reads the partner, directory user userID and the
	// partner's contact, strongly consistent. No such partner is
	// apperr.ErrNotFound.
	ContactState(ctx context.Context, partnerID, userID string) (ContactState, error)
	// Contact reads the partner's marketing contact (found = false if none).
	Contact(ctx context.Context, partnerID string) (c Contact, found bool, err error)
	// SetContact writes the contact (replacing any), its mail and event,
	// and counts the mail against each quota, in one transaction. Errors:
	// user_not_found (not in the directory), *QuotaExceeded.
	SetContact(ctx context.Context, c Contact, owed mail.Message, ev audit.Event, quotas []Quota) error
	// OfferState reads a line with its partner's name and contact,
	// strongly consistent. Another partner's line, or none, is
	// apperr.ErrNotFound.
	OfferState(ctx context.Context, partnerID, benefitID string) (OfferState, error)
	// UpdateOffer reads the OfferState, calls decide, and writes its
	// OfferChange conditionally. On a lost condition it reads and decides
	// again, at most benefit.DrawAttempts rounds, then benefit.ErrBusy.
	// decide's errors come back as they are.
	UpdateOffer(ctx context.Context, partnerID, benefitID string, decide DecideOffer) error
	// LinkOf reads a link by its token's hash (found = false for a token
	// used, never issued, or removed by TTL).
	LinkOf(ctx context.Context, hash string) (l Link, found bool, err error)
	// ConfirmOffer uses l once: the token goes, the line goes from pending
	// (with l as its link) to active until activeUntil, with ev; the
	// contact must still have l.Contact. Any of it no longer so is
	// ErrTokenInvalid, with nothing written.
	ConfirmOffer(ctx context.Context, l Link, b benefit.Benefit, activeUntil, now time.Time, ev audit.Event) error
}

// ErrNoPublicURL: an activation that owes a link where no public base URL
// is set.
var ErrNoPublicURL = apperr.New(apperr.Unavailable, "public_url_unset", "Confirmation links need PUBLIC_BASE_URL, which this environment does not set.")

// Offers runs the go-to-market use cases of one request.
type Offers struct {
	Store Store
	NewID ids.Generator
	// Catalog is the current catalogue: an offer's name and type.
	Catalog func(context.Context) (*catalog.Catalog, error)
	// PublicURL is the API's public base URL (no trailing slash), which
	// the emailed links point at; "" where none is set.
	PublicURL string
}

// SetContact names (or replaces) partnerID's marketing contact on behalf
// of actorID and mails them the instructions, in one transaction. A change
// that changes nothing (a double click) sends nothing and uses no quota.
func (o Offers) SetContact(ctx context.Context, partnerID, actorID, userID, email, phone, lang string, now time.Time) (Contact, error) {
	st, err := o.Store.ContactState(ctx, partnerID, userID)
	if err != nil {
		return Contact{}, err
	}
	c, err := NewContact(st.User, st.Found, Contact{Email: email, Phone: phone, Language: lang, UpdatedBy: actorID, UpdatedAt: now})
	if err != nil {
		return Contact{}, err
	}
	if Unchanged(st.Old, st.HadOld, c) {
		return st.Old, nil
	}
	// The address has confirmed nothing yet, so the mail carries no text a
	// caller wrote: only the operator's partner name.
	msg := mail.Message{ID: o.NewID("msg"), To: []string{c.Email}, Template: "gtm-contact-instructions", Language: c.Language,
		CreatedAt: now, Data: map[string]string{"partnerName": st.Partner.Name}}
	ev := audit.New(o.NewID, partnerID, actorID, audit.ContactSet, "", now).About(c.UserID, nil)
	err = o.Store.SetContact(ctx, c, msg, ev, ContactQuotas(c, now))
	if qe, ok := errors.AsType[*QuotaExceeded](err); ok {
		return Contact{}, RateLimited(qe.Quota, now)
	}
	if err != nil {
		return Contact{}, err
	}
	return c, nil
}

// ErrNoContact: the partner has not named its marketing contact.
var ErrNoContact = apperr.New(apperr.NotFound, "not_found", "The partner has no marketing contact yet.")

// Contact reads the partner's marketing contact. Errors: ErrNoContact.
func (o Offers) Contact(ctx context.Context, partnerID string) (Contact, error) {
	c, found, err := o.Store.Contact(ctx, partnerID)
	if err == nil && !found {
		err = ErrNoContact
	}
	return c, err
}

// Activate makes an offer pending and mails the contact a single-use link;
// while it is pending with a working link to the contact's address, or
// active, it changes and sends nothing. It returns the line as it now is.
func (o Offers) Activate(ctx context.Context, partnerID, actorID, benefitID string, now time.Time) (benefit.Benefit, error) {
	var line benefit.Benefit
	err := o.Store.UpdateOffer(ctx, partnerID, benefitID, func(st OfferState) (OfferChange, error) {
		line = st.Line
		step, err := Activate(st.Line, st.Contact, st.HasContact, now)
		if err != nil || step == Nothing {
			return OfferChange{}, err
		}
		if o.PublicURL == "" {
			return OfferChange{}, ErrNoPublicURL
		}
		ch, err := o.offerLink(ctx, st, actorID, now)
		line.Status, line.LinkExpiresAt = benefit.Pending, ch.Link.ExpiresAt
		return ch, err
	})
	return line, err
}

// offerLink makes a new link for the line read, the mail that carries it
// to the contact, and the activation's event.
func (o Offers) offerLink(ctx context.Context, st OfferState, actorID string, now time.Time) (OfferChange, error) {
	cat, err := o.Catalog(ctx)
	if err != nil {
		return OfferChange{}, err
	}
	b, c := st.Line, st.Contact
	tok := NewToken(now)
	product := cat.Products[b.Product]
	name := b.ProductName
	if name == "" {
		name = product.Name
	}
	msg := mail.Message{ID: o.NewID("msg"), To: []string{c.Email}, Template: "gtm-offer-confirm", Language: c.Language, CreatedAt: now,
		Data: map[string]string{"partnerName": st.PartnerName, "offerName": name, "offerType": product.OfferType,
			"confirmUrl":    o.PublicURL + "/v1/gtm/confirm?token=" + url.QueryEscape(tok.Secret),
			"linkExpiresOn": tok.ExpiresAt.UTC().Format("2006-01-02 15:04 UTC")}}
	ev := audit.New(o.NewID, b.PartnerID, actorID, audit.OfferRequested, b.ID, now).About(c.UserID, map[string]string{"sentTo": c.Email})
	l := Link{Hash: tok.Hash, PartnerID: b.PartnerID, BenefitID: b.ID, Language: c.Language, Contact: c.Email, ExpiresAt: tok.ExpiresAt}
	return OfferChange{Link: l, Mail: msg, Event: ev}, nil
}

// Confirmation is a link and what it confirms, as the page shows it.
type Confirmation struct {
	Link         Link
	Line         benefit.Benefit
	PartnerName  string
	OfferType    string
	ActiveMonths int
}

// ConfirmPage reads what a link's token confirms. A token that is
// malformed, unknown, used, expired or superseded, or whose offer is no
// longer pending, is ErrTokenInvalid; the Confirmation then still has the
// link's language when the link was found.
func (o Offers) ConfirmPage(ctx context.Context, secret string, now time.Time) (Confirmation, error) {
	if !WellFormed(secret) {
		return Confirmation{}, ErrTokenInvalid
	}
	l, found, err := o.Store.LinkOf(ctx, HashToken(secret))
	if err != nil {
		return Confirmation{}, err
	}
	c := Confirmation{Link: l} // an expired link still says its language
	if !found || !now.Before(l.ExpiresAt) {
		return c, ErrTokenInvalid
	}
	st, err := o.Store.OfferState(ctx, l.PartnerID, l.BenefitID)
	if err != nil {
		if errors.Is(err, apperr.ErrNotFound) {
			return Confirmation{}, ErrTokenInvalid
		}
		return Confirmation{}, err
	}
	c.Line, c.PartnerName = st.Line, st.PartnerName
	contact, hasContact := st.Contact, st.HasContact
	if c.Line.EffectiveStatus(now) != benefit.Pending {
		return c, ErrTokenInvalid
	}
	// A link sent to a replaced contact, or replaced by a newer link, no
	// longer confirms.
	if err := Current(c.Line, l.Hash, l.Contact, contact, hasContact); err != nil {
		return c, err
	}
	cat, err := o.Catalog(ctx)
	if err != nil {
		return Confirmation{}, err
	}
	product := cat.Products[c.Line.Product]
	c.OfferType, c.ActiveMonths = product.OfferType, product.OfferMonths()
	return c, nil
}

// Confirm uses a link once: the offer becomes active until its months are
// over. A link used, expired or superseded meanwhile (or a line revoked)
// is ErrTokenInvalid.
func (o Offers) Confirm(ctx context.Context, secret string, now time.Time) (Confirmation, time.Time, error) {
	c, err := o.ConfirmPage(ctx, secret, now)
	if err != nil {
		return c, time.Time{}, err
	}
	until, err := Confirm(c.Line, c.Link.ExpiresAt, c.ActiveMonths, now)
	if err != nil {
		return c, time.Time{}, err
	}
	ev := audit.New(o.NewID, c.Line.PartnerID, "contact:"+c.Link.Contact, audit.OfferActivated, c.Line.ID, now).
		About("", map[string]string{"expiresAt": until.UTC().Format(time.RFC3339)})
	if err := o.Store.ConfirmOffer(ctx, c.Link, c.Line, until, now, ev); err != nil {
		return c, time.Time{}, err
	}
	return c, until, nil
}
