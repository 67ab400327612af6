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
