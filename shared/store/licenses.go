package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
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
	line, err := s.redeemLine(b, r, "")
	if err != nil {
		return err
	}
	tenant, err := s.tenantPut(b, r)
	if err != nil {
		return err
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

// redeemLine is a redemption's write of the line: activated, with the
// redemption, only if it is available and not redeemed, and has the key
// read; or, with newKey, has no key yet and takes newKey with it.
func (s *Store) redeemLine(b benefit.Benefit, r license.Redemption, newKey string) (types.TransactWriteItem, error) {
	red, err := attributevalue.Marshal(redemptionAttr{TenantID: r.TenantID, Mode: string(r.Mode), By: r.By, At: r.At,
		Seats: r.After.Seats, EndDate: r.After.EndDate, TermUnder12Months: r.TermUnder12Months})
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	expr, cond := "SET #status = :activated, activatedAt = :at, redemption = :r", "#key = :key AND #status = :available AND attribute_not_exists(redemption)"
	k := b.Key
	if newKey != "" {
		expr = "SET #key = :key, keyIssuedAt = :at, #status = :activated, activatedAt = :at, redemption = :r"
		cond = "attribute_exists(PK) AND attribute_not_exists(#key) AND #status = :available AND attribute_not_exists(redemption)"
		k = newKey
	}
	return update(s.table, key(partnerPK(b.PartnerID), benefitSK(b.ID)), expr, cond,
		map[string]string{"#key": "key", "#status": "status"},
		map[string]types.AttributeValue{":activated": stringAttr(string(benefit.Activated)), ":available": stringAttr(string(benefit.Available)),
			":at": timeValue(r.At), ":r": red, ":key": stringAttr(k)}), nil
}

// tenantPut writes the tenant's subscription as decided, only if it is
// still what was read (or still absent).
func (s *Store) tenantPut(b benefit.Benefit, r license.Redemption) (types.TransactWriteItem, error) {
	item, err := attributevalue.MarshalMap(tenantSubItem{PK: partnerPK(b.PartnerID), SK: tenantSK(r.TenantID, b.Product), Type: typeTenantSub,
		TenantID: r.TenantID, Product: b.Product, Seats: r.After.Seats, EndDate: r.After.EndDate, UpdatedAt: r.At})
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	tenant := put(s.table, item, notExists)
	if r.Before.Exists {
		tenant.Put.ConditionExpression = aws.String("seats = :seats AND endDate = :end")
		tenant.Put.ExpressionAttributeValues = map[string]types.AttributeValue{
			":seats": numberAttr(int64(r.Before.Seats)), ":end": timeValue(r.Before.EndDate)}
	}
	return tenant, nil
}

// redeemWithKey redeems a line that has no key yet together with its key,
// in one transaction: the pool allocation (or the signed key) and the
// redemption's line, tenant and both audit events. It returns the key and,
// for a pool key, the free keys left. Errors: ErrConflict (read again and
// decide again), ErrKeyPoolExhausted.
func (s *Store) redeemWithKey(ctx context.Context, b benefit.Benefit, ch license.RedeemChange) (k string, left int64, err error) {
	defer wrap(&err, "redeem %s with its key", b.ID)
	if ch.Key.Event.ID == "" {
		return "", -1, errors.New("store: a key without its audit event")
	}
	tenant, err := s.tenantPut(b, ch.Redemption)
	if err != nil {
		return "", -1, err
	}
	keyRecord, err := s.auditPut(ch.Key.Event)
	if err != nil {
		return "", -1, err
	}
	record, err := s.auditPut(ch.Event)
	if err != nil {
		return "", -1, err
	}
	switch ch.Key.Op {
	case license.KeyFromPool:
		k, left, err = s.allocate(ctx, b, ch.Redemption.At, func(k string) (types.TransactWriteItem, error) {
			return s.redeemLine(b, ch.Redemption, k)
		}, tenant, keyRecord, record)
	case license.KeySigned:
		var line types.TransactWriteItem
		if line, err = s.redeemLine(b, ch.Redemption, ch.Key.Key); err != nil {
			return "", -1, err
		}
		k, left = ch.Key.Key, -1
		_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{line, tenant, keyRecord, record}})
		if cancelReasons(err) != nil {
			err = ErrConflict
		}
	default:
		return "", -1, fmt.Errorf("store: unknown key change %d", ch.Key.Op)
	}
	if errors.Is(err, ErrBenefitChanged) || errors.Is(err, errOthersChanged) {
		return "", left, ErrConflict
	}
	return k, left, err
}

// Store is the key and licence use cases' store.
var _ license.Store = (*Store)(nil)

// UpdateKey gives a line its key, read–decide–write: it reads the line (one
// GetItem), lets decide choose the key, and writes it with its audit event
// in one transaction fenced by "no key yet and available" (AllocateKey for
// a pool key: a Query of a pool shard, with its counter, and the
// transaction, which moves the counter; SetBenefitKey for a signed one). On a lost condition the
// line is read and decided again (RetryConflicts, license.KeyAttempts
// rounds, then license.ErrKeyRace): the second read finds the winner's key,
// or the revocation that won.
func (s *Store) UpdateKey(ctx context.Context, partnerID, benefitID string, decide license.DecideKey) (b benefit.Benefit, left int64, err error) {
	left = -1
	err = Update(ctx, license.KeyAttempts, license.ErrKeyRace, func() (benefit.Benefit, error) {
		var err error
		b, err = s.Benefit(ctx, partnerID, benefitID)
		return b, err
	}, decide, func(read benefit.Benefit, ch license.KeyChange) (err error) {
		b, left, err = s.writeKey(ctx, read, ch)
		return err
	})
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
// line and the tenant's subscriptions to products (one BatchGetItem,
// consistent: the tenant's items are keyed by product, and reading the
// ones the line may be of spares waiting for the line to learn which); lets
// check refuse the line; reads the tenant's subscription to the line's
// product if it was not among them (a GetItem: a product the catalogue
// dropped since the purchase); lets decide choose the change; and writes
// it in one transaction (Redeem's), fenced by the line's key, "not yet
// redeemed" and the tenant as read; a line with no key yet takes it in the
// same transaction (redeemWithKey: the pool allocation's, with the
// redemption's items and both events, after a Query of the pool). On a
// lost condition it reads and decides again (store.Update, license.Attempts
// rounds, then license.ErrBusy), so the caller gets the right answer
// (key_already_redeemed after a racing redemption, the new tenant state).
func (s *Store) UpdateRedemption(ctx context.Context, partnerID, benefitID, tenantID string, products []string, check func(benefit.Benefit) error, decide license.DecideRedemption) (left int64, err error) {
	left = -1
	err = Update(ctx, license.Attempts, license.ErrBusy, func() (r redemptionRead, err error) {
		r, err = s.readRedemption(ctx, partnerID, benefitID, tenantID, products)
		if err != nil {
			return r, err
		}
		if err := check(r.b); err != nil {
			return r, err
		}
		if r.sub.Product != r.b.Product {
			r.sub, err = s.TenantSubscription(ctx, partnerID, tenantID, r.b.Product)
		}
		return r, err
	}, func(r redemptionRead) (license.RedeemChange, error) { return decide(r.b, r.sub) }, func(r redemptionRead, ch license.RedeemChange) error {
		if ch.Event.ID == "" {
			return errors.New("store: a redemption without its audit event")
		}
		if ch.Key.Op != license.KeyNone {
			_, l, err := s.redeemWithKey(ctx, r.b, ch)
			if ch.Key.Op == license.KeyFromPool {
				left = l
			}
			return err
		}
		err := s.Redeem(ctx, r.b, ch.Redemption, ch.Event)
		if errors.Is(err, ErrBenefitChanged) || errors.Is(err, ErrTenantChanged) {
			return ErrConflict
		}
		return err
	})
	return left, err
}

// redemptionRead is what one round of a redemption reads: the line, and the
// tenant's subscription to its product.
type redemptionRead struct {
	b   benefit.Benefit
	sub license.Subscription
}

// readRedemption reads a line and the tenant's subscriptions to products
// in one consistent BatchGetItem (at most 99 products; the line's own is
// read apart otherwise). sub is the subscription to the line's product
// when it was among them: its Product is "" when it was not.
func (s *Store) readRedemption(ctx context.Context, partnerID, benefitID, tenantID string, products []string) (r redemptionRead, err error) {
	defer wrap(&err, "get benefit %s with tenant %s", benefitID, tenantID)
	pk := partnerPK(partnerID)
	keys := []map[string]types.AttributeValue{key(pk, benefitSK(benefitID))}
	products = slices.Compact(slices.Sorted(slices.Values(products))) // a key twice is refused
	if len(products) < maxBatchGet {
		for _, p := range products {
			keys = append(keys, key(pk, tenantSK(tenantID, p)))
		}
	}
	var line *benefitItem
	subs := map[string]tenantSubItem{}
	err = s.batchRead(ctx, keys, true, func(raw map[string]types.AttributeValue) error {
		if sk, _ := raw["SK"].(*types.AttributeValueMemberS); sk != nil && sk.Value == benefitSK(benefitID) {
			line = &benefitItem{}
			return attributevalue.UnmarshalMap(raw, line)
		}
		var it tenantSubItem
		err := attributevalue.UnmarshalMap(raw, &it)
		subs[it.Product] = it
		return err
	})
	if err != nil {
		return r, err
	}
	if line == nil {
		return r, apperr.ErrNotFound
	}
	r.b = line.domain()
	if len(keys) > 1 && slices.Contains(products, r.b.Product) {
		r.sub = license.Subscription{TenantID: tenantID, Product: r.b.Product}
		if it, ok := subs[r.b.Product]; ok {
			r.sub.Seats, r.sub.EndDate, r.sub.Exists = it.Seats, it.EndDate, true
		}
	}
	return r, nil
}
