package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/cancel"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/credit"
	"github.com/pbs/benefits/shared/mail"
	"github.com/pbs/benefits/shared/money"
	"github.com/pbs/benefits/shared/partner"
	"github.com/pbs/benefits/shared/table"
)

// serviceRequestItem is a cancellation's service request (both copies).
type serviceRequestItem struct {
	PK          string
	SK          string
	Type        string      `dynamodbav:"type"`
	ID          string      `dynamodbav:"id"`
	PartnerID   string      `dynamodbav:"partnerId"`
	PurchaseID  string      `dynamodbav:"purchaseId"`
	PackageName string      `dynamodbav:"packageName"`
	Status      string      `dynamodbav:"status"`
	Refund      money.Money `dynamodbav:"refund"`
	Reason      string      `dynamodbav:"reason"`
	RequestedBy string      `dynamodbav:"requestedBy"`
	RequestedAt time.Time   `dynamodbav:"requestedAt"`
	ResolvedBy  string      `dynamodbav:"resolvedBy,omitempty"`
	ResolvedAt  *time.Time  `dynamodbav:"resolvedAt,omitempty"`
	Note        string      `dynamodbav:"note,omitempty"`
	GSI1PK      string      `dynamodbav:",omitempty"`
	GSI1SK      string      `dynamodbav:",omitempty"`
}

func newServiceRequestItems(sr cancel.ServiceRequest) (dash, byID serviceRequestItem) {
	dash = serviceRequestItem{PK: partnerPK(sr.PartnerID), SK: cancelSK(sr.PurchaseID), Type: typeCancel, ID: sr.ID,
		PartnerID: sr.PartnerID, PurchaseID: sr.PurchaseID, PackageName: sr.PackageName, Status: string(sr.Status),
		Refund: sr.Refund, Reason: sr.Reason, RequestedBy: sr.RequestedBy, RequestedAt: sr.RequestedAt}
	byID = dash
	byID.PK, byID.SK = srPK(sr.ID), srSK
	byID.GSI1PK, byID.GSI1SK = srListPK, srListSK(string(sr.Status), sr.RequestedAt, sr.ID)
	return dash, byID
}

func (i serviceRequestItem) domain() cancel.ServiceRequest {
	sr := cancel.ServiceRequest{ID: i.ID, PartnerID: i.PartnerID, PurchaseID: i.PurchaseID, PackageName: i.PackageName,
		Status: cancel.Status(i.Status), Refund: i.Refund, Reason: i.Reason, RequestedBy: i.RequestedBy, RequestedAt: i.RequestedAt,
		ResolvedBy: i.ResolvedBy, Note: i.Note}
	if i.ResolvedAt != nil {
		sr.ResolvedAt = *i.ResolvedAt
	}
	return sr
}

// Cancellation is a decided cancellation: the purchase and everything it
// owns as read, the service request it opens, its mail and audit event.
type Cancellation struct {
	Purchase benefit.Purchase
	Overview Overview // the purchase's lines, credits and holders
	Request  cancel.ServiceRequest
	Mail     mail.Message
	Event    audit.Event
	At       time.Time
}

// Store is the cancellation use cases' store.
var _ cancel.Store = (*Store)(nil)

// UpdateCancellation runs one cancellation, read–decide–commit: it reads
// the purchase with its lines, credits and partner (purchaseLines: a
// GetItem and a BatchGetItem), lets decide choose the change, and commits
// it with CancelPurchase, whose fences hold only if nothing the decision
// read has changed: three round trips, whatever the size of the partner
// and of the package. A lost round is read and decided again (RetryConflicts,
// cancel.Attempts rounds, then cancel.ErrBusy), so a racing cancel is
// answered already_cancelled; a fenced line used meanwhile is its refusal.
// decide's errors come back as they are, with nothing written.
func (s *Store) UpdateCancellation(ctx context.Context, partnerID, purchaseID string, decide cancel.Decision) error {
	var o Overview
	return Update(ctx, cancel.Attempts, cancel.ErrBusy, func() (cancel.Purchase, error) {
		p, read, ptn, err := s.purchaseLines(ctx, partnerID, purchaseID, true)
		o = read
		return cancel.Purchase{Purchase: p, Lines: o.Lines, Credits: o.Credits, Partner: ptn}, err
	}, decide, func(p cancel.Purchase, ch cancel.Change) error {
		err := s.CancelPurchase(ctx, Cancellation{Purchase: p.Purchase, Overview: o, Request: ch.Request, Mail: ch.Mail, Event: ch.Event,
			At: ch.Request.RequestedAt})
		if errors.Is(err, ErrPurchaseChanged) {
			return ErrConflict
		}
		return err
	})
}

// purchaseLines reads a purchase with its lines and the state of its
// credit lines (no holders) by key, and with withPartner its partner: a
// GetItem of the purchase, then a BatchGetItem of the lines, credit states
// (and partner) it lists, so the cost does not grow with the partner. A
// purchase holds at most 98 lines and credit states (CreatePurchase's one
// transaction), so with the partner they are one call of at most 100 keys. Eventually consistent, as the
// dashboard Query it replaces (half the read units): the cancellation's
// writes are fenced, so a stale read only loses its round. A purchase
// written before its item listed its lines is read through the dashboard
// collection (Purchase). Errors: apperr.ErrNotFound, also for another
// partner's purchase id.
func (s *Store) purchaseLines(ctx context.Context, partnerID, purchaseID string, withPartner bool) (p benefit.Purchase, o Overview, ptn partner.Partner, err error) {
	defer wrap(&err, "purchase %s with its lines", purchaseID)
	pk := partnerPK(partnerID)
	res, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.table), Key: key(pk, purchaseSK(purchaseID))})
	if err != nil {
		return benefit.Purchase{}, Overview{}, ptn, err
	}
	if res.Item == nil {
		return benefit.Purchase{}, Overview{}, ptn, apperr.ErrNotFound
	}
	var it purchaseItem
	if err := attributevalue.UnmarshalMap(res.Item, &it); err != nil {
		return benefit.Purchase{}, Overview{}, ptn, err
	}
	if len(it.LineIDs) == 0 {
		if p, o, err = s.Purchase(ctx, partnerID, purchaseID); err == nil && withPartner {
			ptn, err = s.Partner(ctx, partnerID)
		}
		return p, o, ptn, err
	}
	keys := make([]map[string]types.AttributeValue, 0, len(it.LineIDs)+len(it.CreditIDs)+1)
	for _, id := range it.LineIDs {
		keys = append(keys, key(pk, benefitSK(id)))
	}
	for _, id := range it.CreditIDs {
		keys = append(keys, key(pk, creditSK(id)))
	}
	if withPartner {
		keys = append(keys, key(pk, profileSK))
	}
	p = it.domain()
	o = Overview{Purchases: []benefit.Purchase{p}, Credits: map[string]credit.Credit{}, Holders: map[string][]credit.Holder{},
		Cancellations: map[string]cancel.ServiceRequest{}}
	err = s.batchGet(ctx, keys, func(raw map[string]types.AttributeValue) error {
		switch typeOf(raw) {
		case typeBenefit:
			var b benefitItem
			if err := attributevalue.UnmarshalMap(raw, &b); err != nil {
				return err
			}
			o.Lines = append(o.Lines, b.domain())
		case typeCredit:
			var c creditItem
			if err := attributevalue.UnmarshalMap(raw, &c); err != nil {
				return err
			}
			o.Credits[c.BenefitID] = c.domain()
		case typePartner:
			var it partnerItem
			if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
				return err
			}
			ptn = it.domain()
		}
		return nil
	})
	if err != nil {
		return benefit.Purchase{}, Overview{}, ptn, err
	}
	if withPartner && ptn.ID == "" {
		return benefit.Purchase{}, Overview{}, ptn, apperr.ErrNotFound
	}
	// In sort-key order, as the dashboard Query returns them.
	slices.SortFunc(o.Lines, func(a, b benefit.Benefit) int { return cmp.Compare(a.ID, b.ID) })
	return p, o, ptn, nil
}

// ErrPurchaseChanged means the purchase or one of its lines changed
// between the read and the cancellation: read again and decide again.
var ErrPurchaseChanged = errors.New("store: purchase changed concurrently")

// CancelPurchase commits a cancellation in one transaction, the decision
// point: the purchase goes from active to cancelled (and into GSI1 under
// DUE#RELEASE), the service request (both copies), the mail and the audit
// event are put, and every line whose use would refuse the refund
// (cancel.Blocks) is revoked fenced on the state it was read in: a
// software or licence line "available, no key", a support or advisory
// line "used as read", an offer "status as read", a credit state "no
// revokedAt, grants as read". Every consuming write (a first key, a
// redemption, a grant, a draw, a confirmation) is itself conditional on
// the line or credit not being revoked, so a cancel and a use never both
// succeed. Other lines (status as read) are revoked in the same
// transaction as long as it fits in DynamoDB's 100 items, credit lines
// last: a credit line left out is already stopped by its revoked credit
// state, any other line left out (a Visual Studio line of a package of
// over 95 items) is revoked right after the commit, so from the commit on
// no seat of the purchase can be assigned. The release of seats is
// FinishCancellation's, run by the finish-cancellations job.
// Errors: cancel.ErrSoftwareActivated and cancel.ErrBenefitConsumed (a
// fenced line was used meanwhile), ErrPurchaseChanged.
func (s *Store) CancelPurchase(ctx context.Context, c Cancellation) (err error) {
	defer wrap(&err, "cancel purchase %s", c.Purchase.ID)
	pk := partnerPK(c.Purchase.PartnerID)
	purchase := update(s.table, key(pk, purchaseSK(c.Purchase.ID)),
		"SET #status = :cancelled, cancelledAt = :at, releasePending = :true, GSI1PK = :due, GSI1SK = :dsk REMOVE GSI2PK, GSI2SK",
		"#status = :active", map[string]string{"#status": "status"},
		map[string]types.AttributeValue{":cancelled": stringAttr(string(benefit.PurchaseCancelled)), ":active": stringAttr(string(benefit.PurchaseActive)),
			":at": timeValue(c.At), ":true": &types.AttributeValueMemberBOOL{Value: true}, ":due": stringAttr(releaseDuePK),
			":dsk": stringAttr(c.Purchase.PartnerID + "#" + c.Purchase.ID)})
	dash, byID := newServiceRequestItems(c.Request)
	dashItem, err := attributevalue.MarshalMap(dash)
	if err != nil {
		return err
	}
	byIDItem, err := attributevalue.MarshalMap(byID)
	if err != nil {
		return err
	}
	notes, err := s.mailAndAudit(c.Mail, c.Event)
	if err != nil {
		return err
	}
	writes := append([]types.TransactWriteItem{purchase, put(s.table, dashItem, notExists), put(s.table, byIDItem, notExists)}, notes...)
	// The fences first: each must be in this transaction.
	fenced := map[int]benefit.Benefit{}
	var rest []benefit.Benefit
	for _, b := range c.Overview.Lines {
		if b.PurchaseID != c.Purchase.ID || b.Status == benefit.Revoked {
			continue
		}
		if cr, ok := c.Overview.Credits[b.ID]; ok && !cr.Revoked {
			fenced[len(writes)] = b
			writes = append(writes, s.revokeUngranted(c.Purchase.PartnerID, b.ID, len(cr.Grants), c.At))
		}
		if cond, values, ok := usedFence(b); ok {
			fenced[len(writes)] = b
			writes = append(writes, s.revokeLine(b, "#status = :read"+cond, values, c.At))
		} else {
			rest = append(rest, b)
		}
	}
	if len(writes) > maxTransactItems {
		return fmt.Errorf("the cancellation's %d guarded items exceed one transaction", len(writes))
	}
	// The rest, as far as the transaction allows, fenced by the status
	// they were read in; credit lines last (their credit state, revoked
	// above, already stops every seat change and grant).
	slices.SortStableFunc(rest, func(a, b benefit.Benefit) int {
		return cmp.Compare(boolInt(a.Kind.IsCredit()), boolInt(b.Kind.IsCredit()))
	})
	fit := min(len(rest), maxTransactItems-len(writes))
	for _, b := range rest[:fit] {
		writes = append(writes, s.revokeLine(b, "#status = :read", nil, c.At))
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: writes})
	reasons := cancelReasons(err)
	if reasons == nil {
		if err == nil {
			// Committed: a line left out that this cannot revoke now, the
			// release job revokes within the minute.
			_ = s.revokeLeftOut(ctx, rest[fit:], c.At)
		}
		return err
	}
	if failedAt(reasons, 0) {
		return ErrPurchaseChanged // cancelled by a racing request
	}
	for i, b := range fenced {
		if failedAt(reasons, i) {
			if used := s.usedSince(ctx, b, c.Overview.Credits); used != nil {
				return used
			}
		}
	}
	return ErrPurchaseChanged
}

// revokeLeftOut revokes, after the commit, the lines that did not fit in
// its transaction and that no revoked credit state stops (a Visual Studio
// line: its seats' writes require the line available). None in a package
// of up to 95 items; the release job would revoke them too.
func (s *Store) revokeLeftOut(ctx context.Context, left []benefit.Benefit, at time.Time) error {
	for _, b := range left {
		if b.Kind.IsCredit() {
			continue
		}
		u := update(s.table, key(partnerPK(b.PartnerID), benefitSK(b.ID)), revokeExpr, "attribute_exists(PK)", map[string]string{"#status": "status"},
			map[string]types.AttributeValue{":revoked": stringAttr(string(benefit.Revoked)), ":at": timeValue(at)}).Update
		if err := s.updateItem(ctx, u); err != nil {
			return err
		}
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// usedFence is the extra condition under which a line whose use refuses
// the refund is revoked: what cancel.Blocks looked at, as it was read.
// Visual Studio and credit lines have none (the credit state carries the
// grants).
func usedFence(b benefit.Benefit) (string, map[string]types.AttributeValue, bool) {
	switch b.Kind {
	case catalog.Software, catalog.License:
		// The same condition a first key and a redemption write under.
		return " AND attribute_not_exists(#key)", nil, true
	case catalog.Support, catalog.AdvisoryHours:
		return " AND used = :used", map[string]types.AttributeValue{":used": numberAttr(int64(b.Used))}, true
	case catalog.GTMOffer:
		return "", nil, true // pending or available as read; a confirmation moves it to active
	}
	return "", nil, false
}

// revokeLine revokes a line under cond (which may name #status and #key;
// :read is the status the line was read in).
func (s *Store) revokeLine(b benefit.Benefit, cond string, extra map[string]types.AttributeValue, at time.Time) types.TransactWriteItem {
	values := map[string]types.AttributeValue{":revoked": stringAttr(string(benefit.Revoked)), ":at": timeValue(at), ":read": stringAttr(string(b.Status))}
	for k, v := range extra {
		values[k] = v
	}
	names := map[string]string{"#status": "status"}
	if strings.Contains(cond, "#key") {
		names["#key"] = "key"
	}
	return update(s.table, key(partnerPK(b.PartnerID), benefitSK(b.ID)), revokeExpr, cond, names, values)
}

// revokeUngranted revokes a credit state that has exactly the grants read
// (the grant job and an annual assignment add one only while no revokedAt).
func (s *Store) revokeUngranted(partnerID, benefitID string, grants int, at time.Time) types.TransactWriteItem {
	w := s.revokeCredit(partnerID, benefitID, at)
	w.Update.ConditionExpression = aws.String(*w.Update.ConditionExpression + " AND (attribute_not_exists(grants) OR size(grants) = :grants)")
	w.Update.ExpressionAttributeValues[":grants"] = numberAttr(int64(grants))
	return w
}

// usedSince reads a fenced line (and its credit state) again, strongly
// consistent, after its fence failed: the refusal if it was used since the
// cancellation's read, else nil (it changed otherwise: decide again).
func (s *Store) usedSince(ctx context.Context, b benefit.Benefit, credits map[string]credit.Credit) error {
	fresh, err := s.Benefit(ctx, b.PartnerID, b.ID)
	if err != nil {
		return nil
	}
	var cr *credit.Credit
	if _, ok := credits[b.ID]; ok {
		got, err := s.Credit(ctx, b.PartnerID, b.ID)
		if err != nil {
			return nil
		}
		cr = &got
	}
	return cancel.Blocks(fresh, cr)
}

// revokeExpr revokes a line and takes it out of the expiry index (nothing
// falls due for a revoked line) and of the holdings index (nothing is drawn
// from it).
const revokeExpr = "SET #status = :revoked, revokedAt = :at REMOVE GSI1PK, GSI1SK, GSI2PK, GSI2SK"

// revokeCredit stops a credit's grants and seat changes: revokedAt, and out
// of the grant index.
func (s *Store) revokeCredit(partnerID, benefitID string, at time.Time) types.TransactWriteItem {
	return update(s.table, key(partnerPK(partnerID), creditSK(benefitID)), "SET revokedAt = :at REMOVE GSI1PK, GSI1SK",
		"attribute_exists(PK) AND attribute_not_exists(revokedAt)", nil, map[string]types.AttributeValue{":at": timeValue(at)})
}

// FinishCancellation completes a committed cancellation, idempotently: it
// revokes the purchase's lines and credit states still live, releases
// every seat and locked seat of its credit and Visual Studio lines (the
// users' credit offers first, then the seat items), and takes the purchase
// out of the DUE#RELEASE index. Safe to run any number of times, also
// concurrently.
func (s *Store) FinishCancellation(ctx context.Context, partnerID, purchaseID string, now time.Time) (err error) {
	defer wrap(&err, "finish cancellation of %s", purchaseID)
	p, o, _, err := s.purchaseLines(ctx, partnerID, purchaseID, false)
	if err != nil {
		return err
	}
	if p.Status != benefit.PurchaseCancelled {
		return nil
	}
	pk := partnerPK(partnerID)
	for _, b := range o.Lines {
		if b.Status != benefit.Revoked {
			u := update(s.table, key(pk, benefitSK(b.ID)), revokeExpr, "attribute_exists(PK)", map[string]string{"#status": "status"},
				map[string]types.AttributeValue{":revoked": stringAttr(string(benefit.Revoked)), ":at": timeValue(now)}).Update
			if err := s.updateItem(ctx, u); err != nil {
				return err
			}
		}
		if cr, ok := o.Credits[b.ID]; ok && !cr.Revoked {
			if err := s.updateItem(ctx, s.revokeCredit(partnerID, b.ID, now).Update); err != nil && !isConditionFailed(err) {
				return err
			}
		}
		if b.Kind.IsCredit() || b.Kind == catalog.VisualStudio {
			if err := s.releaseSeats(ctx, partnerID, b); err != nil {
				return err
			}
		}
	}
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(s.table), Key: key(pk, purchaseSK(purchaseID)),
		UpdateExpression: aws.String("REMOVE releasePending, GSI1PK, GSI1SK")})
	return err
}

func (s *Store) updateItem(ctx context.Context, u *types.Update) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: u.TableName, Key: u.Key, UpdateExpression: u.UpdateExpression,
		ConditionExpression: u.ConditionExpression, ExpressionAttributeNames: u.ExpressionAttributeNames,
		ExpressionAttributeValues: u.ExpressionAttributeValues})
	return err
}

// releaseSeats frees every seat and lock of a revoked line: a credit
// holder's offer first (so a crash never leaves an offer without its seat
// item to find it by), then the items, 25 a BatchWriteItem.
func (s *Store) releaseSeats(ctx context.Context, partnerID string, b benefit.Benefit) error {
	pk := partnerPK(partnerID)
	in := s.prefixQuery(pk, benefitSK(b.ID)+"#")
	in.ConsistentRead = aws.Bool(true)
	var reqs []types.WriteRequest
	err := s.queryEach(ctx, in, func(raw map[string]types.AttributeValue) error {
		switch typeOf(raw) {
		case typeSeat:
			var it seatItem
			if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
				return err
			}
			if b.Kind.IsCredit() {
				if err := s.dropOfferOf(ctx, partnerID, it.UserID, b); err != nil {
					return err
				}
			}
			if b.Kind == catalog.VisualStudio {
				if err := s.updateItem(ctx, holderSeats(s.table, pk, it.UserID, "DELETE", b.ID).Update); err != nil && !isConditionFailed(err) {
					return err
				}
			}
		case typeLock:
		default:
			return nil // the line and its credit state stay
		}
		reqs = append(reqs, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: key(pk, raw[table.SK].(*types.AttributeValueMemberS).Value)}})
		return nil
	})
	if err != nil {
		return err
	}
	for start := 0; start < len(reqs); start += 25 {
		if err := s.batchWrite(ctx, reqs[start:min(start+25, len(reqs))]); err != nil {
			return err
		}
	}
	return nil
}

// dropOfferOf removes a revoked credit from a user's offers, idempotently.
func (s *Store) dropOfferOf(ctx context.Context, partnerID, userID string, b benefit.Benefit) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(s.table), Key: key(partnerPK(partnerID), userSK(userID)),
		UpdateExpression:          aws.String("DELETE creditOffers :b"),
		ConditionExpression:       aws.String("attribute_exists(PK)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":b": stringSetAttr(b.ID)}})
	if err != nil && !isConditionFailed(err) {
		return err
	}
	if b.Kind != catalog.CreditAnnual {
		return nil
	}
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(s.table), Key: key(partnerPK(partnerID), userSK(userID)),
		UpdateExpression:          aws.String("REMOVE annualCredit"),
		ConditionExpression:       aws.String("annualCredit = :b"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":b": stringAttr(b.ID)}})
	if isConditionFailed(err) {
		return nil
	}
	return err
}

// PendingReleases lists cancelled purchases whose release is unfinished.
func (s *Store) PendingReleases(ctx context.Context) (out [][2]string, err error) {
	purchases, _, err := s.pendingReleases(ctx)
	return purchases, err
}

// pendingReleases reads the DUE#RELEASE partition: cancelled purchases
// (partner, purchase) and lines that ended by expiry (partner, line) whose
// seats are still to be released.
func (s *Store) pendingReleases(ctx context.Context) (purchases, lines [][2]string, err error) {
	defer wrap(&err, "pending releases")
	err = s.queryEach(ctx, s.gsi1Query(releaseDuePK), func(raw map[string]types.AttributeValue) error {
		switch typeOf(raw) {
		case typePurchase:
			var it purchaseItem
			if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
				return err
			}
			purchases = append(purchases, [2]string{it.PartnerID, it.ID})
		case typeBenefit:
			var it benefitItem
			if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
				return err
			}
			lines = append(lines, [2]string{it.PartnerID, it.ID})
		}
		return nil
	})
	return purchases, lines, err
}

// FinishCancellations completes every pending release (the
// finish-cancellations job's step, every minute; the daily expire-benefits
// job runs it too): the cancelled purchases', and the seats of lines that
// expired (Expire queues them). One item's failure does not hold up the
// others: it stays pending for the next run, and the error is returned
// with the count of those completed.
func (s *Store) FinishCancellations(ctx context.Context, now time.Time) (int, error) {
	purchases, lines, err := s.pendingReleases(ctx)
	if err != nil {
		return 0, err
	}
	done := 0
	var errs []error
	for _, p := range purchases {
		if err := s.FinishCancellation(ctx, p[0], p[1], now); err != nil {
			errs = append(errs, err)
			continue
		}
		done++
	}
	for _, l := range lines {
		if err := s.releaseEndedLine(ctx, l[0], l[1]); err != nil {
			errs = append(errs, err)
			continue
		}
		done++
	}
	return done, errors.Join(errs...)
}

// releaseEndedLine releases the seats, locks and holders' credit offers of
// a line that expired, then takes it out of DUE#RELEASE: the partner's
// dashboard collection then holds the line item alone, not everyone who
// ever held a seat of it (their history is in the audit trail).
// Idempotent, like the cancellation's release.
func (s *Store) releaseEndedLine(ctx context.Context, partnerID, benefitID string) (err error) {
	defer wrap(&err, "release ended line %s", benefitID)
	b, err := s.Benefit(ctx, partnerID, benefitID)
	if err != nil {
		return err
	}
	if b.Status == benefit.Expired || b.Status == benefit.Revoked {
		if err := s.releaseSeats(ctx, partnerID, b); err != nil {
			return err
		}
	}
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(s.table), Key: key(partnerPK(partnerID), benefitSK(benefitID)),
		UpdateExpression:          aws.String("REMOVE GSI1PK, GSI1SK"),
		ConditionExpression:       aws.String("GSI1PK = :due"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":due": stringAttr(releaseDuePK)}})
	if isConditionFailed(err) {
		return nil
	}
	return err
}

// ServiceRequest reads a service request by id. Errors: apperr.ErrNotFound.
func (s *Store) ServiceRequest(ctx context.Context, id string) (sr cancel.ServiceRequest, err error) {
	defer wrap(&err, "service request %s", id)
	var it serviceRequestItem
	if err := s.get(ctx, srPK(id), srSK, &it); err != nil {
		return sr, err
	}
	return it.domain(), nil
}

// ServiceRequests lists service requests for the operator from GSI1, by
// status and newest first within a status; status "" lists all. The cursor
// (listCursor, tagged with the filter) holds the last item's GSI1 sort key,
// <status>#<time>#<id>: one whose key names no status, or another status
// than the filter, is ErrBadCursor, never a start key outside the key
// condition (which DynamoDB refuses with an error).
func (s *Store) ServiceRequests(ctx context.Context, status string, limit int, cursor string) (srs []cancel.ServiceRequest, next string, err error) {
	defer wrap(&err, "list service requests")
	in := s.gsi1Query(srListPK)
	in.ScanIndexForward = aws.Bool(false)
	if status != "" {
		in.KeyConditionExpression = aws.String("#pk = :pk AND begins_with(#sk, :status)")
		in.ExpressionAttributeNames["#sk"] = table.GSI1SK
		in.ExpressionAttributeValues[":status"] = stringAttr(status + "#")
	}
	items, next, err := page(ctx, s, in, pageOf[*serviceRequestItem]{list: "service-requests:" + status,
		startKey: func(sk string) (map[string]types.AttributeValue, error) {
			i := strings.LastIndexByte(sk, '#')
			st, _, _ := strings.Cut(sk, "#")
			known := st == string(cancel.Pending) || st == string(cancel.Completed) || st == string(cancel.Rejected)
			if i < 0 || len(sk) > 200 || !known || status != "" && st != status {
				return nil, ErrBadCursor
			}
			start := key(srPK(sk[i+1:]), srSK)
			start[table.GSI1PK], start[table.GSI1SK] = stringAttr(srListPK), stringAttr(sk)
			return start, nil
		},
		position: func(it *serviceRequestItem) string { return it.GSI1SK }}, limit, cursor)
	if err != nil {
		return nil, "", err
	}
	for _, it := range items {
		srs = append(srs, it.domain())
	}
	return srs, next, nil
}

// ResolveServiceRequest records the operator's outcome on both copies
// (each only while pending), with the mail and the partner's audit event.
// Errors: cancel.ErrAlreadyResolved.
func (s *Store) ResolveServiceRequest(ctx context.Context, sr cancel.ServiceRequest, owed mail.Message, ev audit.Event) (err error) {
	defer wrap(&err, "resolve service request %s", sr.ID)
	values := map[string]types.AttributeValue{":status": stringAttr(string(sr.Status)), ":pending": stringAttr(string(cancel.Pending)),
		":by": stringAttr(sr.ResolvedBy), ":at": timeValue(sr.ResolvedAt), ":note": stringAttr(sr.Note)}
	names := map[string]string{"#status": "status"}
	expr := "SET #status = :status, resolvedBy = :by, resolvedAt = :at, note = :note"
	byIDValues := map[string]types.AttributeValue{":sk": stringAttr(srListSK(string(sr.Status), sr.RequestedAt, sr.ID))}
	for k, v := range values {
		byIDValues[k] = v
	}
	notes, err := s.mailAndAudit(owed, ev)
	if err != nil {
		return err
	}
	writes := append([]types.TransactWriteItem{
		update(s.table, key(srPK(sr.ID), srSK), expr+", GSI1SK = :sk", "#status = :pending", names, byIDValues),
		update(s.table, key(partnerPK(sr.PartnerID), cancelSK(sr.PurchaseID)), expr, "#status = :pending", names, values),
	}, notes...)
	// Only a failed "still pending" is already resolved; a transaction
	// that met another (TransactionConflict) is sent again, and one
	// refused for load is backed off on and then answered 503.
	err = RetryConflicts(ctx, cancel.Attempts, func() error {
		_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: writes})
		switch reasons := cancelReasons(err); {
		case failedAt(reasons, 0) || failedAt(reasons, 1):
			return cancel.ErrAlreadyResolved
		case reasons != nil:
			return ErrConflict
		}
		return err
	})
	if errors.Is(err, ErrConflict) {
		return cancel.ErrBusy
	}
	return err
}
