package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/license"
)

// tenantSubItem is a partner's tenant's subscription to a licence product,
// as the partner's redemptions made it.
type tenantSubItem struct {
	PK        string
	SK        string
	Type      string    `dynamodbav:"type"`
	TenantID  string    `dynamodbav:"tenantId"`
	Product   string    `dynamodbav:"product"`
	Seats     int       `dynamodbav:"seats"`
	EndDate   time.Time `dynamodbav:"endDate"`
	UpdatedAt time.Time `dynamodbav:"updatedAt"`
}

// ErrTenantChanged means the tenant's subscription changed between the read
// and the redemption's write (another key redeemed on it): read again.
var ErrTenantChanged = errors.New("store: tenant subscription changed concurrently")

// TenantSubscription reads a tenant's subscription to a product, strongly
// consistent; Exists is false when the tenant never had one.
func (s *Store) TenantSubscription(ctx context.Context, partnerID, tenantID, product string) (sub license.Subscription, err error) {
	defer wrap(&err, "get tenant %s subscription to %s", tenantID, product)
	sub = license.Subscription{TenantID: tenantID, Product: product}
	var it tenantSubItem
	switch err := s.get(ctx, partnerPK(partnerID), tenantSK(tenantID, product), &it); {
	case errors.Is(err, apperr.ErrNotFound):
		return sub, nil
	case err != nil:
		return sub, err
	}
	sub.Seats, sub.EndDate, sub.Exists = it.Seats, it.EndDate, true
	return sub, nil
}

// Redeem records a decided redemption in one transaction: the line (its key
// unchanged and not yet redeemed) becomes activated with the redemption on
// it, the tenant's subscription is written as decided (only if it is still
// what was read), and the audit event is put.
// Errors: ErrBenefitChanged (re-read the line), ErrTenantChanged.
func (s *Store) Redeem(ctx context.Context, b benefit.Benefit, r license.Redemption, ev audit.Event) (err error) {
	defer wrap(&err, "redeem %s", b.ID)
	pk := partnerPK(b.PartnerID)
	red, err := attributevalue.Marshal(redemptionAttr{TenantID: r.TenantID, Mode: string(r.Mode), By: r.By, At: r.At,
		Seats: r.After.Seats, EndDate: r.After.EndDate, TermUnder12Months: r.TermUnder12Months})
	if err != nil {
		return err
	}
	line := update(s.table, key(pk, benefitSK(b.ID)),
		"SET #status = :activated, activatedAt = :at, redemption = :r",
		"#key = :key AND #status = :available AND attribute_not_exists(redemption)",
		map[string]string{"#key": "key", "#status": "status"},
		map[string]types.AttributeValue{":activated": sv(string(benefit.Activated)), ":available": sv(string(benefit.Available)),
			":at": timeValue(r.At), ":r": red, ":key": sv(b.Key)})
	item, err := attributevalue.MarshalMap(tenantSubItem{PK: pk, SK: tenantSK(r.TenantID, b.Product), Type: typeTenantSub,
		TenantID: r.TenantID, Product: b.Product, Seats: r.After.Seats, EndDate: r.After.EndDate, UpdatedAt: r.At})
	if err != nil {
		return err
	}
	tenant := put(s.table, item, notExists)
	if r.Before.Exists {
		tenant.Put.ConditionExpression = aws.String("seats = :seats AND endDate = :end")
		tenant.Put.ExpressionAttributeValues = map[string]types.AttributeValue{
			":seats": nv(int64(r.Before.Seats)), ":end": timeValue(r.Before.EndDate)}
	}
	record, err := s.auditPut(ev)
	if err != nil {
		return err
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{line, tenant, record}})
	switch reasons := cancelReasons(err); {
	case failedAt(reasons, 0):
		return ErrBenefitChanged
	case reasons != nil:
		return ErrTenantChanged
	}
	return err
}

// Store is the key and licence use cases' store.
var _ license.Store = (*Store)(nil)

// UpdateKey gives a line its key, read–decide–write: it reads the line (one
// GetItem), lets decide choose the key, and writes it with its audit event
// in one transaction fenced by "no key yet and available" (AllocateKey for
// a pool key: a Query of the pool, the transaction and the pool counter's
// UpdateItem; SetBenefitKey for a signed one). On a lost condition the
// line is read and decided again (RetryConflicts, license.KeyAttempts
// rounds, then license.ErrKeyRace): the second read finds the winner's key,
// or the revocation that won.
func (s *Store) UpdateKey(ctx context.Context, partnerID, benefitID string, decide license.DecideKey) (b benefit.Benefit, left int64, err error) {
	left = -1
	err = RetryConflicts(ctx, license.KeyAttempts, func() error {
		var err error
		if b, err = s.Benefit(ctx, partnerID, benefitID); err != nil {
			return err
		}
		ch, err := decide(b)
		if err != nil {
			return err
		}
		b, left, err = s.writeKey(ctx, b, ch)
		return err
	})
	if errors.Is(err, ErrConflict) {
		return b, left, license.ErrKeyRace
	}
	return b, left, err
}

// writeKey writes a decided key of b (read just before) and returns the
// line with it. Errors: ErrConflict (read again and decide again),
// ErrKeyPoolExhausted.
func (s *Store) writeKey(ctx context.Context, b benefit.Benefit, ch license.KeyChange) (_ benefit.Benefit, left int64, err error) {
	left = -1
	if ch.Op != license.KeyNone && ch.Event.ID == "" {
		return b, left, errors.New("store: a key without its audit event")
	}
	var k string
	at := ch.Event.At
	switch ch.Op {
	case license.KeyNone:
		return b, left, nil
	case license.KeyFromPool:
		k, left, err = s.AllocateKey(ctx, b, at, ch.Event)
	case license.KeySigned:
		k, err = ch.Key, s.SetBenefitKey(ctx, b, ch.Key, at, ch.Event)
	default:
		return b, left, fmt.Errorf("store: unknown key change %d", ch.Op)
	}
	if errors.Is(err, ErrBenefitChanged) {
		return b, left, ErrConflict
	}
	if err != nil {
		return b, left, err
	}
	// The line as giveKey left it.
	b.Key = k
	if b.Kind == catalog.License {
		b.KeyIssuedAt = at
	} else {
		b.Status, b.ActivatedAt = benefit.Activated, at
	}
	return b, left, nil
}

// UpdateRedemption runs one redemption, read–decide–write: it reads the
// line (GetItem) and lets check refuse it; reads the tenant's subscription
// to its product (GetItem, consistent); lets decide choose the change; and
// writes it: first the line's key when it has none (writeKey: a second
// transaction, as the key is the pool's), then Redeem's transaction, fenced
// by the line's key, "not yet redeemed" and the tenant as read. On a lost
// condition it reads and decides again (RetryConflicts, license.Attempts
// rounds, then license.ErrBusy), so the caller gets the right answer
// (key_already_redeemed after a racing redemption, the new tenant state).
func (s *Store) UpdateRedemption(ctx context.Context, partnerID, benefitID, tenantID string, check func(benefit.Benefit) error, decide license.DecideRedemption) (left int64, err error) {
	left = -1
	err = RetryConflicts(ctx, license.Attempts, func() error {
		b, err := s.Benefit(ctx, partnerID, benefitID)
		if err != nil {
			return err
		}
		if err := check(b); err != nil {
			return err
		}
		sub, err := s.TenantSubscription(ctx, partnerID, tenantID, b.Product)
		if err != nil {
			return err
		}
		ch, err := decide(b, sub)
		if err != nil {
			return err
		}
		var l int64
		b, l, err = s.writeKey(ctx, b, ch.Key)
		if ch.Key.Op == license.KeyFromPool {
			left = l
		}
		if err != nil {
			return err
		}
		if ch.Event.ID == "" {
			return errors.New("store: a redemption without its audit event")
		}
		err = s.Redeem(ctx, b, ch.Redemption, ch.Event)
		if errors.Is(err, ErrBenefitChanged) || errors.Is(err, ErrTenantChanged) {
			return ErrConflict
		}
		return err
	})
	if errors.Is(err, ErrConflict) {
		return left, license.ErrBusy
	}
	return left, err
}
