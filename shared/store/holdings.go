package store

import (
	"cmp"
	"context"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/sync/errgroup"

	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/support"
	"github.com/pbs/benefits/shared/table"
)

// holdings is what the support and advisory rules read of a partner: its
// best active purchase (the rules need no more: every plan is eligible, and
// the plans with signature cloud support rank above Action Pack), the
// support and advisory lines that can still be drawn on, and its contract.
type holdings struct {
	purchases  []benefit.Purchase
	lines      []benefit.Benefit
	activation *support.Activation
}

// readHoldings reads a partner's holdings from GSI2: the DRAW# range (the
// lines, the contract and the profile's mark) in one Query and, with plans,
// the best active purchase in another, in parallel. Both are eventually
// consistent, as index reads are: every write decided on them is fenced
// on the items as read (a line's status and used count, no contract yet),
// so a stale read only loses its round. A partner whose profile is not in
// the range has holdings written before GSI2 existed: they are read from
// the dashboard Query instead, and indexHoldings moves them into GSI2, so
// that is paid once.
func (s *Store) readHoldings(ctx context.Context, partnerID string, plans bool) (h holdings, err error) {
	defer wrap(&err, "holdings of %s", partnerID)
	g, gctx := errgroup.WithContext(ctx)
	if plans {
		g.Go(func() (err error) {
			h.purchases, err = s.bestPurchase(gctx, partnerID)
			return err
		})
	}
	marked := false
	g.Go(func() error {
		return s.queryEach(gctx, s.gsi2Query(holdingsPK(partnerID), drawPrefix), func(raw map[string]types.AttributeValue) error {
			switch typeOf(raw) {
			case typePartner:
				marked = true
			case typeSupport:
				var it supportItem
				if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
					return err
				}
				a := it.domain()
				h.activation = &a
			case typeBenefit:
				var it benefitItem
				if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
					return err
				}
				h.lines = append(h.lines, it.domain())
			}
			return nil
		})
	})
	if err := g.Wait(); err != nil {
		return holdings{}, err
	}
	if marked {
		return h, nil
	}
	o, err := s.Dashboard(ctx, partnerID)
	if err != nil {
		return holdings{}, err
	}
	h = holdings{activation: o.Support}
	if best := bestPurchase(o.Purchases); plans && best != nil {
		h.purchases = []benefit.Purchase{*best}
	}
	for _, b := range o.Lines {
		if canDrawFrom(b) {
			h.lines = append(h.lines, b)
		}
	}
	return h, s.indexHoldings(ctx, partnerID, o)
}

// gsi2Query reads the items of one GSI2 partition whose sort key starts
// with prefix.
func (s *Store) gsi2Query(pk, prefix string) *dynamodb.QueryInput {
	return &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		IndexName:                 aws.String(table.GSI2),
		KeyConditionExpression:    aws.String("#pk = :pk AND begins_with(#sk, :prefix)"),
		ExpressionAttributeNames:  map[string]string{"#pk": table.GSI2PK, "#sk": table.GSI2SK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": stringAttr(pk), ":prefix": stringAttr(prefix)},
	}
}

// bestPurchase reads the partner's active purchase of the highest plan:
// the last key of its PLAN# range (one item).
func (s *Store) bestPurchase(ctx context.Context, partnerID string) ([]benefit.Purchase, error) {
	in := s.gsi2Query(holdingsPK(partnerID), planPrefix)
	in.ScanIndexForward, in.Limit = aws.Bool(false), aws.Int32(1)
	out, err := s.db.Query(ctx, in)
	if err != nil || len(out.Items) == 0 {
		return nil, err
	}
	var it purchaseItem
	if err := attributevalue.UnmarshalMap(out.Items[0], &it); err != nil {
		return nil, err
	}
	return []benefit.Purchase{it.domain()}, nil
}

// bestPurchase is the active purchase the PLAN# range ends with: the
// highest plan, then the highest id.
func bestPurchase(ps []benefit.Purchase) *benefit.Purchase {
	var best *benefit.Purchase
	for i, p := range ps {
		if p.Status == benefit.PurchaseActive && (best == nil || cmp.Compare(planSK(p.Plan, p.ID), planSK(best.Plan, best.ID)) > 0) {
			best = &ps[i]
		}
	}
	return best
}

// canDrawFrom: a support or advisory line in a status that can still be
// drawn from, the lines GSI2 holds.
func canDrawFrom(b benefit.Benefit) bool {
	return drawable(b.Kind) && slices.Contains(liveStatuses, string(b.Status))
}

// indexHoldings moves the holdings of a partner written before GSI2 into
// it: each active purchase, each line that can still be drawn from and the
// contract get their GSI2 keys, each only if it is still so (a cancellation
// or the expiry job may have changed it since o was read: then it stays
// out, as they would have taken it out), and last the profile, the mark
// that GSI2 holds them all. Idempotent; eight writes at a time.
func (s *Store) indexHoldings(ctx context.Context, partnerID string, o Overview) error {
	pk := partnerPK(partnerID)
	set := func(sk, gsi2SK, cond string, names map[string]string, values map[string]types.AttributeValue) func() error {
		if values == nil {
			values = map[string]types.AttributeValue{}
		}
		values[":gpk"], values[":gsk"] = stringAttr(holdingsPK(partnerID)), stringAttr(gsi2SK)
		u := update(s.table, key(pk, sk), "SET GSI2PK = :gpk, GSI2SK = :gsk", cond, names, values).Update
		return func() error {
			if err := s.updateItem(ctx, u); err != nil && !isConditionFailed(err) {
				return err
			}
			return nil
		}
	}
	status := map[string]string{"#status": "status"}
	var writes []func() error
	for _, p := range o.Purchases {
		if p.Status == benefit.PurchaseActive {
			writes = append(writes, set(purchaseSK(p.ID), planSK(p.Plan, p.ID), "#status = :active", status,
				map[string]types.AttributeValue{":active": stringAttr(string(benefit.PurchaseActive))}))
		}
	}
	for _, b := range o.Lines {
		if canDrawFrom(b) {
			values := map[string]types.AttributeValue{}
			writes = append(writes, set(benefitSK(b.ID), drawLineSK(b.ID), liveCond(values), status, values))
		}
	}
	if o.Support != nil {
		writes = append(writes, set(supportSK, contractDraw, "attribute_exists(PK)", nil, nil))
	}
	var g errgroup.Group
	g.SetLimit(8)
	for _, w := range writes {
		g.Go(w)
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return set(profileSK, holdingsMark, "attribute_exists(PK)", nil, nil)()
}
