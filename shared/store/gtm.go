package store

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/gtm"
	"github.com/pbs/benefits/shared/mail"
)

type contactItem struct {
	PK          string
	SK          string
	Type        string    `dynamodbav:"type"`
	UserID      string    `dynamodbav:"userId"`
	DisplayName string    `dynamodbav:"displayName"`
	Email       string    `dynamodbav:"email"`
	Phone       string    `dynamodbav:"phone"`
	Language    string    `dynamodbav:"language"`
	UpdatedAt   time.Time `dynamodbav:"updatedAt"`
	UpdatedBy   string    `dynamodbav:"updatedBy"`
}

// SetContact writes the partner's marketing contact (replacing any earlier
// one) with the instructions mail it owes and its audit event, and counts
// the mail against each quota in the same transaction: a change over a
// quota writes nothing. Errors: user_not_found, *QuotaExceeded.
func (s *Store) SetContact(ctx context.Context, c gtm.Contact, owed mail.Message, ev audit.Event, quotas []gtm.Quota) (err error) {
	defer wrap(&err, "set marketing contact of %s", c.PartnerID)
	item, err := attributevalue.MarshalMap(contactItem{PK: partnerPK(c.PartnerID), SK: contactSK, Type: typeGTMContact, UserID: c.UserID,
		DisplayName: c.DisplayName, Email: c.Email, Phone: c.Phone, Language: c.Language, UpdatedAt: c.UpdatedAt, UpdatedBy: c.UpdatedBy})
	if err != nil {
		return err
	}
	notes, err := s.mailAndAudit(owed, ev)
	if err != nil {
		return err
	}
	writes := append([]types.TransactWriteItem{
		put(s.table, item, ""),
		// The contact must still be in the directory.
		{ConditionCheck: &types.ConditionCheck{TableName: aws.String(s.table), Key: key(partnerPK(c.PartnerID), userSK(c.UserID)),
			ConditionExpression: aws.String("attribute_exists(PK)")}},
	}, notes...)
	first := len(writes)
	for _, q := range quotas {
		writes = append(writes, s.countIn(q))
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: writes})
	reasons := cancelReasons(err)
	if failedAt(reasons, 1) {
		return apperr.New(apperr.Unprocessable, "user_not_found", "No user with that id in this partner's directory.")
	}
	for i, q := range quotas {
		if failedAt(reasons, first+i) {
			return &gtm.QuotaExceeded{Quota: q}
		}
	}
	return err
}

// countIn adds one to q's window counter, on condition that it is under
// q.Max; the counter is created on first use and removed by TTL after its
// window.
func (s *Store) countIn(q gtm.Quota) types.TransactWriteItem {
	return update(s.table, key(ratePK(q.Scope, q.Subject), rateSK(q.Start)),
		"SET #n = if_not_exists(#n, :zero) + :one, #type = :type, windowEnd = :end, #ttl = :ttl",
		"attribute_not_exists(#n) OR #n < :max", map[string]string{"#n": "n", "#type": "type", "#ttl": "ttl"},
		map[string]types.AttributeValue{":zero": numberAttr(0), ":one": numberAttr(1), ":max": numberAttr(int64(q.Max)), ":type": stringAttr(typeRateLimit),
			":end": timeValue(q.End), ":ttl": numberAttr(q.End.Add(rateAfter).Unix())})
}

// Contact reads the partner's marketing contact (found = false if none).
func (s *Store) Contact(ctx context.Context, partnerID string) (c gtm.Contact, found bool, err error) {
	defer wrap(&err, "marketing contact of %s", partnerID)
	var it contactItem
	switch err := s.get(ctx, partnerPK(partnerID), contactSK, &it); {
	case errors.Is(err, apperr.ErrNotFound):
		return c, false, nil
	case err != nil:
		return c, false, err
	}
	return it.domain(partnerID), true, nil
}

func (i contactItem) domain(partnerID string) gtm.Contact {
	return gtm.Contact{PartnerID: partnerID, UserID: i.UserID, DisplayName: i.DisplayName, Email: i.Email, Phone: i.Phone,
		Language: i.Language, UpdatedAt: i.UpdatedAt, UpdatedBy: i.UpdatedBy}
}

// ContactState reads what naming a contact decides on, the partner, the
// user named and the current contact, in one strongly consistent
// BatchGetItem. No such partner is apperr.ErrNotFound.
func (s *Store) ContactState(ctx context.Context, partnerID, userID string) (st gtm.ContactState, err error) {
	defer wrap(&err, "marketing contact state of %s", partnerID)
	pk := partnerPK(partnerID)
	got, err := s.getItems(ctx, itemKey{pk, profileSK}, itemKey{pk, userSK(userID)}, itemKey{pk, contactSK})
	if err != nil {
		return st, err
	}
	var (
		p partnerItem
		u userItem
		c contactItem
	)
	found, err := got.decode(pk, profileSK, &p)
	if err != nil {
		return st, err
	}
	if !found {
		return st, apperr.ErrNotFound
	}
	if st.Found, err = got.decode(pk, userSK(userID), &u); err != nil {
		return st, err
	}
	if st.HadOld, err = got.decode(pk, contactSK, &c); err != nil {
		return st, err
	}
	st.Partner, st.User = p.domain(), u.domain()
	if st.HadOld {
		st.Old = c.domain(partnerID)
	}
	return st, nil
}

// OfferState reads a line with its partner's name and contact in one
// strongly consistent BatchGetItem: what an activation decides on, and
// what a confirmation link's page shows. No such line (or partner) is
// apperr.ErrNotFound.
func (s *Store) OfferState(ctx context.Context, partnerID, benefitID string) (st gtm.OfferState, err error) {
	defer wrap(&err, "offer %s", benefitID)
	pk := partnerPK(partnerID)
	got, err := s.getItems(ctx, itemKey{pk, benefitSK(benefitID)}, itemKey{pk, profileSK}, itemKey{pk, contactSK})
	if err != nil {
		return st, err
	}
	var (
		b benefitItem
		p partnerItem
		c contactItem
	)
	line, err := got.decode(pk, benefitSK(benefitID), &b)
	if err != nil {
		return st, err
	}
	found, err := got.decode(pk, profileSK, &p)
	if err != nil {
		return st, err
	}
	if !line || !found {
		return st, apperr.ErrNotFound
	}
	if st.HasContact, err = got.decode(pk, contactSK, &c); err != nil {
		return st, err
	}
	st.Line, st.PartnerName = b.domain(), p.Name
	if st.HasContact {
		st.Contact = c.domain(partnerID)
	}
	return st, nil
}

// tokenItem is a confirmation link, found by the hash of its token.
type tokenItem struct {
	PK        string
	SK        string
	Type      string    `dynamodbav:"type"`
	PartnerID string    `dynamodbav:"partnerId"`
	BenefitID string    `dynamodbav:"benefitId"`
	Language  string    `dynamodbav:"language"`
	Contact   string    `dynamodbav:"contact"` // the address it was sent to
	ExpiresAt time.Time `dynamodbav:"expiresAt"`
	TTL       int64     `dynamodbav:"ttl"`
}

// UpdateOffer runs one activation, read–decide–write through Update: it
// reads the OfferState (one BatchGetItem), lets decide choose, and writes
// the change with requestOffer; a lost condition reads and decides again,
// at most benefit.DrawAttempts rounds, then benefit.ErrBusy.
func (s *Store) UpdateOffer(ctx context.Context, partnerID, benefitID string, decide gtm.DecideOffer) error {
	return Update(ctx, benefit.DrawAttempts, benefit.ErrBusy, func() (gtm.OfferState, error) {
		return s.OfferState(ctx, partnerID, benefitID)
	}, decide, func(st gtm.OfferState, ch gtm.OfferChange) error {
		if ch.Link.Hash == "" {
			return nil
		}
		return s.requestOffer(ctx, st.Line, ch.Link, ch.Mail, ch.Event)
	})
}

// requestOffer makes an offer pending with a new confirmation link, in one
// transaction: the line moves from the status it was read in (available,
// or pending with an expired link or a link to another address) to
// pending, recording the link's expiry, address and hash; the token's hash
// is stored, the link is mailed and the audit event put; and the contact
// must still have the address the link goes to. Errors: ErrConflict.
func (s *Store) requestOffer(ctx context.Context, b benefit.Benefit, l gtm.Link, owed mail.Message, ev audit.Event) (err error) {
	defer wrap(&err, "request offer %s", b.ID)
	cond := "#status = :read AND attribute_not_exists(linkExpiresAt)"
	values := map[string]types.AttributeValue{":pending": stringAttr(string(benefit.Pending)), ":read": stringAttr(string(b.Status)),
		":link": timeValue(l.ExpiresAt), ":to": stringAttr(l.Contact), ":hash": stringAttr(l.Hash)}
	if !b.LinkExpiresAt.IsZero() {
		cond = "#status = :read AND linkExpiresAt = :readLink"
		values[":readLink"] = timeValue(b.LinkExpiresAt)
	}
	if b.LinkSentTo == "" {
		cond += " AND attribute_not_exists(linkSentTo)"
	} else {
		cond += " AND linkSentTo = :readTo"
		values[":readTo"] = stringAttr(b.LinkSentTo)
	}
	line := update(s.table, key(partnerPK(b.PartnerID), benefitSK(b.ID)),
		"SET #status = :pending, linkExpiresAt = :link, linkSentTo = :to, linkHash = :hash", cond,
		map[string]string{"#status": "status"}, values)
	item, err := attributevalue.MarshalMap(tokenItem{PK: gtmTokenPK(l.Hash), SK: gtmTokenSK, Type: typeGTMToken, PartnerID: b.PartnerID,
		BenefitID: b.ID, Language: l.Language, Contact: l.Contact, ExpiresAt: l.ExpiresAt, TTL: l.ExpiresAt.Add(gtmTokenAfter).Unix()})
	if err != nil {
		return err
	}
	notes, err := s.mailAndAudit(owed, ev)
	if err != nil {
		return err
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: append([]types.TransactWriteItem{
		line, put(s.table, item, notExists), s.contactIs(b.PartnerID, l.Contact)}, notes...)})
	if cancelReasons(err) != nil {
		return ErrConflict
	}
	return err
}

// contactIs checks that the partner's marketing contact is reached at addr.
func (s *Store) contactIs(partnerID, addr string) types.TransactWriteItem {
	return types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{TableName: aws.String(s.table),
		Key: key(partnerPK(partnerID), contactSK), ConditionExpression: aws.String("email = :addr"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":addr": stringAttr(addr)}}}
}

// LinkOf reads a confirmation link by its token's hash (found = false for
// a token that was used, never issued, or removed by TTL).
func (s *Store) LinkOf(ctx context.Context, hash string) (l gtm.Link, found bool, err error) {
	defer wrap(&err, "confirmation link")
	var it tokenItem
	switch err := s.get(ctx, gtmTokenPK(hash), gtmTokenSK, &it); {
	case errors.Is(err, apperr.ErrNotFound):
		return l, false, nil
	case err != nil:
		return l, false, err
	}
	return gtm.Link{Hash: hash, PartnerID: it.PartnerID, BenefitID: it.BenefitID, Language: it.Language, Contact: it.Contact,
		ExpiresAt: it.ExpiresAt}, true, nil
}

// ConfirmOffer uses a link once: the token is deleted (it must still be
// there), the line goes from pending to active until activeUntil, moving
// its GSI1 expiry entry to that day, and the audit event is put; the link
// must still be the line's (a line from before lines recorded it has no
// linkHash) and the contact must still have the address it went to.
// Any of it no longer so (a racing confirmation used the token, a newer
// link or a revocation changed the line, the contact moved) is
// gtm.ErrTokenInvalid, with nothing written.
func (s *Store) ConfirmOffer(ctx context.Context, l gtm.Link, b benefit.Benefit, activeUntil, now time.Time, ev audit.Event) (err error) {
	defer wrap(&err, "confirm offer %s", b.ID)
	line := update(s.table, key(partnerPK(b.PartnerID), benefitSK(b.ID)),
		"SET #status = :active, activatedAt = :now, expiresAt = :until, GSI1PK = :due REMOVE linkExpiresAt, linkSentTo, linkHash",
		"#status = :pending AND (attribute_not_exists(linkHash) OR linkHash = :hash)", map[string]string{"#status": "status"},
		map[string]types.AttributeValue{":active": stringAttr(string(benefit.Active)), ":pending": stringAttr(string(benefit.Pending)),
			":now": timeValue(now), ":until": timeValue(activeUntil), ":due": stringAttr(expiryDuePK(activeUntil, b.ID)), ":hash": stringAttr(l.Hash)})
	record, err := s.auditPut(ev)
	if err != nil {
		return err
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Delete: &types.Delete{TableName: aws.String(s.table), Key: key(gtmTokenPK(l.Hash), gtmTokenSK),
			ConditionExpression: aws.String("attribute_exists(PK)")}},
		line, record, s.contactIs(b.PartnerID, l.Contact),
	}})
	if cancelReasons(err) != nil {
		return gtm.ErrTokenInvalid
	}
	return err
}
