package store

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/cancel"
	"github.com/pbs/benefits/shared/credit"
	"github.com/pbs/benefits/shared/dashboard"
	"github.com/pbs/benefits/shared/mail"
)

// maxTransactItems is DynamoDB's limit on items in one transaction.
const maxTransactItems = 100

// CreatePurchase writes a purchase, all its benefit lines (with the credit
// state of each credit line) and the mail it owes in one transaction: either
// the partner has the whole package and its receipt is queued, or nothing
// was written. An Idempotency-Key claim on ctx (IdempotencyClaim) rides in
// the same transaction.
func (s *Store) CreatePurchase(ctx context.Context, p benefit.Purchase, lines []benefit.Benefit, owed ...mail.Message) (err error) {
	defer wrap(&err, "create purchase %s", p.ID)
	credits := 0
	for _, b := range lines {
		if b.Kind.IsCredit() {
			credits++
		}
	}
	if n := 2 + len(lines) + credits + len(owed) + claimItems(ctx); n > maxTransactItems {
		return fmt.Errorf("a purchase of %d items exceeds one transaction", n)
	}
	pi := newPurchaseItem(p)
	for _, b := range lines {
		pi.LineIDs = append(pi.LineIDs, b.ID)
		if b.Kind.IsCredit() && b.Credit != nil {
			pi.CreditIDs = append(pi.CreditIDs, b.ID)
		}
	}
	item, err := attributevalue.MarshalMap(pi)
	if err != nil {
		return err
	}
	writes := []types.TransactWriteItem{
		put(s.table, item, notExists),
		// The partner must exist: a purchase is never orphaned.
		{ConditionCheck: &types.ConditionCheck{TableName: aws.String(s.table), Key: key(partnerPK(p.PartnerID), profileSK),
			ConditionExpression: aws.String("attribute_exists(PK)")}},
	}
	for _, b := range lines {
		item, err := attributevalue.MarshalMap(newBenefitItem(b))
		if err != nil {
			return err
		}
		writes = append(writes, put(s.table, item, notExists))
		if b.Kind.IsCredit() && b.Credit != nil {
			ci, err := attributevalue.MarshalMap(newCreditItem(b))
			if err != nil {
				return err
			}
			writes = append(writes, put(s.table, ci, notExists))
		}
	}
	for _, m := range owed {
		w, err := s.outboxPut(m)
		if err != nil {
			return err
		}
		writes = append(writes, w)
	}
	err = s.commit(ctx, writes)
	if r := cancelReasons(err); failedAt(r, 1) {
		return apperr.ErrNotFound
	}
	return err
}

// Overview is a partner's DASH# item collection: everything the dashboard
// shows. The type is the read model's (shared/dashboard), so the HTTP layer
// renders it without importing the store.
type Overview = dashboard.Overview

// Dashboard returns every purchase and benefit line of a partner, with the
// credits' state and holders, with one Query of the DASH# item collection
// (paged only past 1 MB).
func (s *Store) Dashboard(ctx context.Context, partnerID string) (o Overview, err error) {
	defer wrap(&err, "dashboard of %s", partnerID)
	o.Credits = map[string]credit.Credit{}
	o.Holders = map[string][]credit.Holder{}
	o.Cancellations = map[string]cancel.ServiceRequest{}
	holders := o.Holders
	in := s.prefixQuery(partnerPK(partnerID), dashPrefix)
	if err := s.queryEach(ctx, in, func(raw map[string]types.AttributeValue) error {
		switch typeOf(raw) {
		case typePurchase:
			var it purchaseItem
			if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
				return err
			}
			o.Purchases = append(o.Purchases, it.domain())
		case typeBenefit:
			var it benefitItem
			if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
				return err
			}
			o.Lines = append(o.Lines, it.domain())
		case typeCredit:
			var it creditItem
			if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
				return err
			}
			o.Credits[it.BenefitID] = it.domain()
		case typeSeat:
			var it seatItem
			if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
				return err
			}
			holders[it.BenefitID] = append(holders[it.BenefitID], it.holder())
		case typeCancel:
			var it serviceRequestItem
			if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
				return err
			}
			o.Cancellations[it.PurchaseID] = it.domain()
		case typeSupport:
			var it supportItem
			if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
				return err
			}
			a := it.domain()
			o.Support = &a
		}
		return nil
	}); err != nil {
		return Overview{}, err
	}
	for id, c := range o.Credits {
		c.Holders = holders[id]
		o.Credits[id] = c
	}
	return o, nil
}

// Purchase returns one purchase and its lines (one Query, as the dashboard).
// Errors: apperr.ErrNotFound, also for another partner's purchase id.
func (s *Store) Purchase(ctx context.Context, partnerID, purchaseID string) (benefit.Purchase, Overview, error) {
	o, err := s.Dashboard(ctx, partnerID)
	if err != nil {
		return benefit.Purchase{}, Overview{}, err
	}
	for _, p := range o.Purchases {
		if p.ID != purchaseID {
			continue
		}
		mine := Overview{Purchases: []benefit.Purchase{p}, Credits: o.Credits, Holders: o.Holders, Support: o.Support, Cancellations: o.Cancellations}
		for _, b := range o.Lines {
			if b.PurchaseID == p.ID {
				mine.Lines = append(mine.Lines, b)
			}
		}
		return p, mine, nil
	}
	return benefit.Purchase{}, Overview{}, apperr.ErrNotFound
}

// Benefit returns one benefit line. Errors: apperr.ErrNotFound.
func (s *Store) Benefit(ctx context.Context, partnerID, benefitID string) (b benefit.Benefit, err error) {
	defer wrap(&err, "get benefit %s", benefitID)
	var item benefitItem
	if err := s.get(ctx, partnerPK(partnerID), benefitSK(benefitID), &item); err != nil {
		return benefit.Benefit{}, err
	}
	return item.domain(), nil
}
