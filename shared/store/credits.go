package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/sync/errgroup"

	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/credit"
	"github.com/pbs/benefits/shared/money"
)

// creditItem is the state of one credit line, written with the purchase.
// It is a separate item from the line because a line sits in GSI1 under the
// day it expires, while a monthly credit with a holder sits there under the
// month it is due next. The ledger is a map in the same item, so a grant and
// the balance it adds are one conditional UpdateItem; a credit has at most
// one entry per month of its life (60 at most), which keeps the item small.
type creditItem struct {
	PK              string
	SK              string
	Type            string                `dynamodbav:"type"`
	BenefitID       string                `dynamodbav:"benefitId"`
	PartnerID       string                `dynamodbav:"partnerId"`
	Kind            string                `dynamodbav:"kind"`
	Product         string                `dynamodbav:"product"`
	Quantity        int                   `dynamodbav:"quantity"`
	PerSeat         money.Money           `dynamodbav:"perSeat"`
	Seats           int                   `dynamodbav:"seats"`
	Balance         int64                 `dynamodbav:"balance"`
	Grants          map[string]grantEntry `dynamodbav:"grants"`
	NextPeriod      string                `dynamodbav:"nextPeriod"`
	Holder          string                `dynamodbav:"holder,omitempty"`
	EnrolledAt      *time.Time            `dynamodbav:"enrolledAt,omitempty"`
	EnrolmentEndsAt *time.Time            `dynamodbav:"enrolmentEndsAt,omitempty"`
	ExpiresAt       time.Time             `dynamodbav:"expiresAt"`
	// RevokedAt is set by the cancellation that revokes the line, in the
	// same transaction; seat changes and grants are conditional on its
	// absence.
	RevokedAt *time.Time `dynamodbav:"revokedAt,omitempty"`
	GSI1PK    string     `dynamodbav:",omitempty"`
	GSI1SK    string     `dynamodbav:",omitempty"`
}

type grantEntry struct {
	Amount    int64     `dynamodbav:"amount"`
	Seats     int       `dynamodbav:"seats"`
	GrantedAt time.Time `dynamodbav:"grantedAt"`
}

// newCreditItem is the credit state of a new credit line: no seats, nothing
// granted, not due (it enters the due index with its first holder).
func newCreditItem(b benefit.Benefit) creditItem {
	return creditItem{PK: partnerPK(b.PartnerID), SK: creditSK(b.ID), Type: typeCredit, BenefitID: b.ID,
		PartnerID: b.PartnerID, Kind: string(b.Kind), Product: b.Product, Quantity: b.Quantity, PerSeat: *b.Credit,
		Grants: map[string]grantEntry{}, NextPeriod: credit.PeriodOf(b.CreatedAt).Next().String(), ExpiresAt: b.ExpiresAt}
}

func (i creditItem) domain() credit.Credit {
	c := credit.Credit{BenefitID: i.BenefitID, PartnerID: i.PartnerID, Kind: catalog.Kind(i.Kind), Product: i.Product,
		Quantity: i.Quantity, PerSeat: i.PerSeat, Seats: i.Seats, Balance: i.Balance, Holder: i.Holder,
		ExpiresAt: i.ExpiresAt, Revoked: i.RevokedAt != nil}
	c.NextPeriod, _ = credit.ParsePeriod(i.NextPeriod)
	if i.EnrolledAt != nil {
		c.EnrolledAt = *i.EnrolledAt
	}
	if i.EnrolmentEndsAt != nil {
		c.EnrolmentEndsAt = *i.EnrolmentEndsAt
	}
	if rest, ok := strings.CutPrefix(i.GSI1PK, grantDuePrefix); ok {
		c.DueFor, _ = credit.ParsePeriod(rest[:min(7, len(rest))])
	}
	for p, g := range i.Grants {
		if period, err := credit.ParsePeriod(p); err == nil {
			c.Grants = append(c.Grants, credit.Grant{Period: period, Amount: g.Amount, Seats: g.Seats, GrantedAt: g.GrantedAt})
		}
	}
	slices.SortFunc(c.Grants, func(a, b credit.Grant) int { return a.Period.Start().Compare(b.Period.Start()) })
	return c
}

// seatItem is one user holding a seat of a credit (and later of a Visual
// Studio subscription). Name and email are copied from the directory at
// assignment, so the dashboard needs no second read to show them.
type seatItem struct {
	PK          string
	SK          string
	Type        string    `dynamodbav:"type"`
	BenefitID   string    `dynamodbav:"benefitId"`
	UserID      string    `dynamodbav:"userId"`
	Email       string    `dynamodbav:"email"`
	DisplayName string    `dynamodbav:"displayName"`
	AssignedAt  time.Time `dynamodbav:"assignedAt"`
}

func (i seatItem) holder() credit.Holder {
	return credit.Holder{UserID: i.UserID, Email: i.Email, DisplayName: i.DisplayName, AssignedAt: i.AssignedAt}
}

// Store is the credit use cases' store.
var _ credit.Store = (*Store)(nil)

// UpdateCredit runs one seat change, read–decide–write: it reads the credit
// (one strongly consistent Query) and, when userID is not "", the directory
// user (one GetItem, in parallel), lets decide choose the change, and writes
// it with its audit event in one transaction whose conditions hold only if
// nothing the decision read has changed. The conditions keep the
// invariants; on a lost condition the credit is read and decided again
// (RetryConflicts, credit.Attempts rounds, then credit.ErrBusy), so the
// caller gets the right refusal (no_seats_left, offer_not_combinable, …).
// decide's errors come back as they are, with nothing written.
func (s *Store) UpdateCredit(ctx context.Context, partnerID, benefitID, userID string, decide credit.Decide) error {
	return Update(ctx, credit.Attempts, credit.ErrBusy, func() (r creditRead, err error) {
		g, gctx := errgroup.WithContext(ctx)
		g.Go(func() (err error) { r.c, err = s.Credit(gctx, partnerID, benefitID); return err })
		if userID != "" {
			g.Go(func() (err error) { r.u, r.found, err = s.CreditUser(gctx, partnerID, userID); return err })
		}
		err = g.Wait() // before r is returned: the reads fill it
		return r, err
	}, func(r creditRead) (credit.Change, error) { return decide(r.c, r.u, r.found) },
		func(r creditRead, ch credit.Change) error { return s.writeCreditChange(ctx, r.c, ch) })
}

// creditRead is what one round of UpdateCredit reads: the credit and, if
// asked, the directory user the decision is about.
type creditRead struct {
	c     credit.Credit
	u     credit.User
	found bool
}

// writeCreditChange writes a decided change of c (read just before).
// Errors: ErrConflict (read again and decide again).
func (s *Store) writeCreditChange(ctx context.Context, c credit.Credit, ch credit.Change) error {
	if ch.Op != credit.OpNone && ch.Event.ID == "" {
		return errors.New("store: a credit change without its audit event")
	}
	switch ch.Op {
	case credit.OpNone:
		return nil
	case credit.OpAssign:
		return s.assignCredit(ctx, c, ch.Assignment, ch.Event)
	case credit.OpRemove:
		return s.removeCreditHolder(ctx, c, ch.UserID, ch.Event)
	case credit.OpTransfer:
		return s.transferCredit(ctx, c, ch.Assignment, ch.Event)
	}
	return fmt.Errorf("store: unknown credit change %d", ch.Op)
}

// Credit reads one credit line with its state and holders: one strongly
// consistent Query of the benefit's items. A benefit that is not a credit,
// or another partner's, is apperr.ErrNotFound.
func (s *Store) Credit(ctx context.Context, partnerID, benefitID string) (c credit.Credit, err error) {
	defer wrap(&err, "get credit %s", benefitID)
	in := s.benefitQuery(partnerID, benefitID)
	in.ConsistentRead = aws.Bool(true)
	var (
		found   bool
		line    benefitItem
		holders []credit.Holder
	)
	if err := s.queryEach(ctx, in, func(raw map[string]types.AttributeValue) error {
		switch typeOf(raw) {
		case typeBenefit:
			if err := attributevalue.UnmarshalMap(raw, &line); err != nil {
				return err
			}
		case typeCredit:
			var it creditItem
			if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
				return err
			}
			c, found = it.domain(), true
		case typeSeat:
			var it seatItem
			if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
				return err
			}
			holders = append(holders, it.holder())
		}
		return nil
	}); err != nil {
		return credit.Credit{}, err
	}
	if !found {
		return credit.Credit{}, apperr.ErrNotFound
	}
	c.Holders = holders
	c.Revoked = c.Revoked || line.Status == string(benefit.Revoked)
	return c, nil
}

func typeOf(raw map[string]types.AttributeValue) string {
	if t, ok := raw["type"].(*types.AttributeValueMemberS); ok {
		return t.Value
	}
	return ""
}

// CreditUser reads what the credit rules need of a directory user: who they
// are and which credit offers they hold. found is false when the user is not
// in the partner's directory.
func (s *Store) CreditUser(ctx context.Context, partnerID, userID string) (u credit.User, found bool, err error) {
	defer wrap(&err, "get user %s", userID)
	var it userItem
	switch err := s.get(ctx, partnerPK(partnerID), userSK(userID), &it); {
	case errors.Is(err, apperr.ErrNotFound):
		return credit.User{}, false, nil
	case err != nil:
		return credit.User{}, false, err
	}
	return credit.User{ID: it.ID, Email: it.Email, DisplayName: it.DisplayName, Offers: it.CreditOffers, Annual: it.AnnualCredit}, true, nil
}

func update(tableName string, k map[string]types.AttributeValue, expr, cond string, names map[string]string, values map[string]types.AttributeValue) types.TransactWriteItem {
	u := &types.Update{TableName: aws.String(tableName), Key: k, UpdateExpression: aws.String(expr),
		ExpressionAttributeValues: values}
	if cond != "" {
		u.ConditionExpression = aws.String(cond)
	}
	if len(names) > 0 {
		u.ExpressionAttributeNames = names
	}
	return types.TransactWriteItem{Update: u}
}

// assignCredit gives a user a seat of c, as decided by c.Assign, in one
// transaction: the credit's seat count (never above its quantity), the seat
// item, and the user's credit offers (the combination rule), each under a
// condition that holds only if nothing changed since c was read.
// Errors: ErrConflict (read again and decide again).
func (s *Store) assignCredit(ctx context.Context, c credit.Credit, a credit.Assignment, ev audit.Event) (err error) {
	defer wrap(&err, "assign credit %s", c.BenefitID)
	pk := partnerPK(c.PartnerID)
	var creditW types.TransactWriteItem
	switch {
	case c.Kind == catalog.CreditAnnual:
		g := a.Grant
		start, end := credit.Enrolment(a.Holder.AssignedAt)
		grant, err := attributevalue.Marshal(grantEntry{Amount: g.Amount, Seats: g.Seats, GrantedAt: g.GrantedAt})
		if err != nil {
			return err
		}
		creditW = update(s.table, key(pk, creditSK(c.BenefitID)),
			"SET seats = :one, holder = :u, enrolledAt = :start, enrolmentEndsAt = :end, balance = balance + :amount, grants.#p = :grant",
			"seats = :zero AND attribute_not_exists(enrolledAt) AND attribute_not_exists(revokedAt)",
			map[string]string{"#p": g.Period.String()},
			map[string]types.AttributeValue{":one": numberAttr(1), ":zero": numberAttr(0), ":u": stringAttr(a.Holder.UserID), ":start": timeValue(start),
				":end": timeValue(end), ":amount": numberAttr(g.Amount), ":grant": grant})
	case a.FirstSeat:
		// The first holder puts the credit in the due index; the month it
		// was due must still be the one read, or the grant job moved it.
		creditW = update(s.table, key(pk, creditSK(c.BenefitID)),
			"SET seats = :one, nextPeriod = :next, GSI1PK = :due, GSI1SK = :dsk",
			"seats = :zero AND nextPeriod = :read AND attribute_not_exists(revokedAt)", nil,
			map[string]types.AttributeValue{":one": numberAttr(1), ":zero": numberAttr(0), ":next": stringAttr(a.NextPeriod.String()),
				":read": stringAttr(c.NextPeriod.String()), ":due": stringAttr(grantDuePK(a.NextPeriod, grantShard(c.BenefitID))),
				":dsk": stringAttr(grantDueSK(c.PartnerID, c.BenefitID))})
	default:
		// Further holders: the credit is already due, only the count moves.
		creditW = update(s.table, key(pk, creditSK(c.BenefitID)),
			"ADD seats :one", "seats > :zero AND seats < :quantity AND attribute_not_exists(revokedAt)", nil,
			map[string]types.AttributeValue{":one": numberAttr(1), ":zero": numberAttr(0), ":quantity": numberAttr(int64(c.Quantity))})
	}
	seat, err := attributevalue.MarshalMap(seatItem{PK: pk, SK: seatSK(c.BenefitID, a.Holder.UserID), Type: typeSeat,
		BenefitID: c.BenefitID, UserID: a.Holder.UserID, Email: a.Holder.Email, DisplayName: a.Holder.DisplayName,
		AssignedAt: a.Holder.AssignedAt})
	if err != nil {
		return err
	}
	writes := []types.TransactWriteItem{creditW, put(s.table, seat, notExists), s.takeOffer(c, a.Holder.UserID)}
	return s.creditTransaction(ctx, writes, ev)
}

// takeOffer records on the user's directory item that they hold credit c.
// Annual: only a user with no credit offer; other credits: only a user with
// no annual credit. Two racing assignments both write this item, so at most
// one of them commits.
func (s *Store) takeOffer(c credit.Credit, userID string) types.TransactWriteItem {
	values := map[string]types.AttributeValue{":b": stringSetAttr(c.BenefitID)}
	if c.Kind == catalog.CreditAnnual {
		values[":annual"] = stringAttr(c.BenefitID)
		return update(s.table, key(partnerPK(c.PartnerID), userSK(userID)), "SET annualCredit = :annual ADD creditOffers :b",
			"attribute_exists(PK) AND attribute_not_exists(creditOffers)", nil, values)
	}
	return update(s.table, key(partnerPK(c.PartnerID), userSK(userID)), "ADD creditOffers :b",
		"attribute_exists(PK) AND attribute_not_exists(annualCredit)", nil, values)
}

// dropOffer removes credit c from the user's offers (an emptied set is
// removed by DynamoDB, so "no offer" is attribute_not_exists).
func (s *Store) dropOffer(c credit.Credit, userID string) types.TransactWriteItem {
	expr := "DELETE creditOffers :b"
	if c.Kind == catalog.CreditAnnual {
		expr = "REMOVE annualCredit DELETE creditOffers :b"
	}
	return update(s.table, key(partnerPK(c.PartnerID), userSK(userID)), expr, "attribute_exists(PK)", nil,
		map[string]types.AttributeValue{":b": stringSetAttr(c.BenefitID)})
}

// removeCreditHolder frees a monthly credit's seat at once: the seat item,
// the count and the user's offer go together; the last holder also takes
// the credit out of the due index. Errors: ErrConflict.
func (s *Store) removeCreditHolder(ctx context.Context, c credit.Credit, userID string, ev audit.Event) (err error) {
	defer wrap(&err, "remove %s from credit %s", userID, c.BenefitID)
	pk := partnerPK(c.PartnerID)
	var creditW types.TransactWriteItem
	if c.Seats <= 1 {
		creditW = update(s.table, key(pk, creditSK(c.BenefitID)), "SET seats = :zero REMOVE GSI1PK, GSI1SK",
			"seats = :one", nil, map[string]types.AttributeValue{":one": numberAttr(1), ":zero": numberAttr(0)})
	} else {
		creditW = update(s.table, key(pk, creditSK(c.BenefitID)), "ADD seats :minus", "seats > :one", nil,
			map[string]types.AttributeValue{":one": numberAttr(1), ":minus": numberAttr(-1)})
	}
	writes := []types.TransactWriteItem{
		creditW,
		{Delete: &types.Delete{TableName: aws.String(s.table), Key: key(pk, seatSK(c.BenefitID, userID)),
			ConditionExpression: aws.String("attribute_exists(PK)")}},
		s.dropOffer(c, userID),
	}
	return s.creditTransaction(ctx, writes, ev)
}

// transferCredit moves an annual credit from its holder to a.Holder: the
// holder on the credit (fenced by the one read), both seat items and both
// users' offers, in one transaction. The money stays where it is.
// Errors: ErrConflict.
func (s *Store) transferCredit(ctx context.Context, c credit.Credit, a credit.Assignment, ev audit.Event) (err error) {
	defer wrap(&err, "transfer credit %s", c.BenefitID)
	pk := partnerPK(c.PartnerID)
	seat, err := attributevalue.MarshalMap(seatItem{PK: pk, SK: seatSK(c.BenefitID, a.Holder.UserID), Type: typeSeat,
		BenefitID: c.BenefitID, UserID: a.Holder.UserID, Email: a.Holder.Email, DisplayName: a.Holder.DisplayName,
		AssignedAt: a.Holder.AssignedAt})
	if err != nil {
		return err
	}
	writes := []types.TransactWriteItem{
		update(s.table, key(pk, creditSK(c.BenefitID)), "SET holder = :to",
			"holder = :from AND attribute_not_exists(revokedAt)", nil,
			map[string]types.AttributeValue{":to": stringAttr(a.Holder.UserID), ":from": stringAttr(c.Holder)}),
		{Delete: &types.Delete{TableName: aws.String(s.table), Key: key(pk, seatSK(c.BenefitID, c.Holder)),
			ConditionExpression: aws.String("attribute_exists(PK)")}},
		put(s.table, seat, notExists),
		s.dropOffer(c, c.Holder),
		s.takeOffer(c, a.Holder.UserID),
	}
	return s.creditTransaction(ctx, writes, ev)
}

// creditTransaction runs a seat change with its audit event; any
// cancellation (a condition, or a concurrent transaction on the same items)
// means "read again".
func (s *Store) creditTransaction(ctx context.Context, writes []types.TransactWriteItem, ev audit.Event) error {
	w, err := s.auditPut(ev)
	if err != nil {
		return err
	}
	writes = append(writes, w)
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: writes})
	if cancelReasons(err) != nil {
		return ErrConflict
	}
	return err
}

// DueCredits reads one page of the credits due for p in one shard of GSI1
// (eventually consistent: every write the job makes is conditional on the
// base item, so a stale entry can never cause a second grant).
func (s *Store) DueCredits(ctx context.Context, p credit.Period, shard int, cursor string, limit int) (cs []credit.Credit, next string, err error) {
	defer wrap(&err, "due credits %s/%02d", p, shard)
	in := s.gsi1Query(grantDuePK(p, shard))
	in.Limit = aws.Int32(int32(max(1, min(limit, 1000))))
	if cursor != "" {
		if in.ExclusiveStartKey, err = decodeKey(cursor); err != nil {
			return nil, "", err
		}
	}
	out, err := s.db.Query(ctx, in)
	if err != nil {
		return nil, "", err
	}
	for _, raw := range out.Items {
		var it creditItem
		if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
			return nil, "", err
		}
		cs = append(cs, it.domain())
	}
	if len(out.LastEvaluatedKey) > 0 {
		next, err = encodeKey(out.LastEvaluatedKey)
	}
	return cs, next, err
}

// encodeKey turns a LastEvaluatedKey of string attributes into a cursor.
func encodeKey(k map[string]types.AttributeValue) (string, error) {
	m := map[string]string{}
	for name, v := range k {
		s, ok := v.(*types.AttributeValueMemberS)
		if !ok {
			return "", errors.New("store: key attribute " + name + " is not a string")
		}
		m[name] = s.Value
	}
	b, err := json.Marshal(m)
	return base64.RawURLEncoding.EncodeToString(b), err
}

func decodeKey(cursor string) (map[string]types.AttributeValue, error) {
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return nil, err
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	k := map[string]types.AttributeValue{}
	for name, v := range m {
		k[name] = stringAttr(v)
	}
	return k, nil
}

// ApplyGrants writes the grant job's steps in one transaction, each an
// UpdateItem of one credit item fenced by the state it was planned from:
// still due for the month (GSI1PK) with the same seat count, and for a
// grant, no ledger entry for the month yet. A grant's ledger entry, its
// balance and the move to the next month's partition are that one write.
// A step whose condition fails comes back with the credit as it is now;
// the others of a cancelled transaction come back to be retried as they are.
func (s *Store) ApplyGrants(ctx context.Context, steps []credit.Step) (outs []credit.Outcome, err error) {
	defer wrap(&err, "apply %d grant steps", len(steps))
	writes := make([]types.TransactWriteItem, len(steps))
	for i, st := range steps {
		if writes[i], err = s.grantWrite(st); err != nil {
			return nil, err
		}
	}
	outs = make([]credit.Outcome, len(steps))
	// A grant refused for load waits and goes again (the bulk policy):
	// the job slows down rather than leaving credits due.
	err = retryThrottled(ctx, func() error {
		_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: writes})
		return err
	})
	var tce *types.TransactionCanceledException
	switch {
	case err == nil:
		for i := range outs {
			outs[i].Applied = true
		}
		return outs, nil
	case !errors.As(err, &tce):
		return nil, err
	}
	for i, r := range tce.CancellationReasons {
		if i >= len(outs) || aws.ToString(r.Code) != "ConditionalCheckFailed" {
			continue // None, TransactionConflict, throttling: retry as is
		}
		fresh, err := s.freshCredit(ctx, steps[i].Credit, r.Item)
		if err != nil {
			return nil, err
		}
		outs[i].Fresh = &fresh
	}
	return outs, nil
}

// freshCredit is the credit as the failed condition saw it: the item the
// cancellation returned, or a consistent read where it returned none.
func (s *Store) freshCredit(ctx context.Context, c credit.Credit, raw map[string]types.AttributeValue) (credit.Credit, error) {
	var it creditItem
	if len(raw) == 0 {
		if err := s.get(ctx, partnerPK(c.PartnerID), creditSK(c.BenefitID), &it); err != nil {
			return credit.Credit{}, err
		}
	} else if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
		return credit.Credit{}, err
	}
	return it.domain(), nil
}

func (s *Store) grantWrite(st credit.Step) (types.TransactWriteItem, error) {
	c := st.Credit
	shard := grantShard(c.BenefitID)
	values := map[string]types.AttributeValue{":due": stringAttr(grantDuePK(st.Period, shard))}
	names := map[string]string{}
	var set []string
	var remove string
	cond := "GSI1PK = :due"
	if st.Action == credit.ActionGrant || st.Action == credit.ActionAdvance {
		if st.Next.IsZero() {
			// No month of the credit's life is left: it leaves the index.
			remove = " REMOVE GSI1PK, GSI1SK"
			set = append(set, "nextPeriod = :next")
			values[":next"] = stringAttr(st.Period.Next().String())
		} else {
			set = append(set, "nextPeriod = :next", "GSI1PK = :nextDue")
			values[":next"] = stringAttr(st.Next.String())
			values[":nextDue"] = stringAttr(grantDuePK(st.Next, shard))
		}
	}
	switch st.Action {
	case credit.ActionGrant:
		grant, err := attributevalue.Marshal(grantEntry{Amount: st.Grant.Amount, Seats: st.Grant.Seats, GrantedAt: st.Grant.GrantedAt})
		if err != nil {
			return types.TransactWriteItem{}, err
		}
		names["#p"] = st.Period.String()
		values[":amount"], values[":grant"], values[":seats"] = numberAttr(st.Grant.Amount), grant, numberAttr(int64(st.Grant.Seats))
		set = append(set, "balance = balance + :amount", "grants.#p = :grant")
		cond += " AND seats = :seats AND attribute_not_exists(grants.#p) AND attribute_not_exists(revokedAt)"
	case credit.ActionAdvance:
		names["#p"] = st.Period.String()
		cond += " AND attribute_exists(grants.#p)"
	case credit.ActionRetire:
		values[":seats"] = numberAttr(int64(c.Seats))
		cond += " AND seats = :seats"
		remove = " REMOVE GSI1PK, GSI1SK"
	}
	expr := strings.TrimSpace(setClause(set) + remove)
	w := update(s.table, key(partnerPK(c.PartnerID), creditSK(c.BenefitID)), expr, cond, names, values)
	w.Update.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
	return w, nil
}

func setClause(parts []string) string {
	if len(parts) == 0 {
		return ""
	}
	return "SET " + strings.Join(parts, ", ")
}

// jobStateItem records the last month the grant job completed.
type jobStateItem struct {
	PK          string
	SK          string
	Type        string    `dynamodbav:"type"`
	Through     string    `dynamodbav:"through"`
	CompletedAt time.Time `dynamodbav:"completedAt"`
}

// GrantedThrough is the last month a grant run completed (zero if none).
func (s *Store) GrantedThrough(ctx context.Context) (p credit.Period, err error) {
	defer wrap(&err, "grant job state")
	var it jobStateItem
	switch err := s.get(ctx, grantJobPK, jobStateSK, &it); {
	case errors.Is(err, apperr.ErrNotFound):
		return credit.Period{}, nil
	case err != nil:
		return credit.Period{}, err
	}
	return credit.ParsePeriod(it.Through)
}

// SetGrantedThrough records that every credit due up to p was handled; a
// later month already recorded stays (a re-run of a past month).
func (s *Store) SetGrantedThrough(ctx context.Context, p credit.Period, at time.Time) (err error) {
	defer wrap(&err, "set grant job state")
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.table),
		Key:                       key(grantJobPK, jobStateSK),
		UpdateExpression:          aws.String("SET #type = :type, through = :p, completedAt = :at"),
		ConditionExpression:       aws.String("attribute_not_exists(through) OR through < :p"),
		ExpressionAttributeNames:  map[string]string{"#type": "type"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":type": stringAttr(typeJobState), ":p": stringAttr(p.String()), ":at": timeValue(at)},
	})
	if isConditionFailed(err) {
		return nil
	}
	return err
}

// LoadDueCredits bulk-writes credit items that are due for their
// NextPeriod, with plain BatchWriteItem (no conditions): for benchmarks and
// data loads, never for requests. Each credit needs PartnerID, BenefitID,
// Kind, Quantity, PerSeat, Seats, NextPeriod and ExpiresAt.
func (s *Store) LoadDueCredits(ctx context.Context, cs []credit.Credit, workers int) (err error) {
	defer wrap(&err, "load %d credits", len(cs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(1, workers))
	for start := 0; start < len(cs); start += 25 {
		batch := cs[start:min(start+25, len(cs))]
		g.Go(func() error {
			reqs := make([]types.WriteRequest, len(batch))
			for i, c := range batch {
				it := creditItem{PK: partnerPK(c.PartnerID), SK: creditSK(c.BenefitID), Type: typeCredit, BenefitID: c.BenefitID,
					PartnerID: c.PartnerID, Kind: string(c.Kind), Product: c.Product, Quantity: c.Quantity, PerSeat: c.PerSeat,
					Seats: c.Seats, Grants: map[string]grantEntry{}, NextPeriod: c.NextPeriod.String(), ExpiresAt: c.ExpiresAt,
					GSI1PK: grantDuePK(c.NextPeriod, grantShard(c.BenefitID)), GSI1SK: grantDueSK(c.PartnerID, c.BenefitID)}
				item, err := attributevalue.MarshalMap(it)
				if err != nil {
					return err
				}
				reqs[i] = types.WriteRequest{PutRequest: &types.PutRequest{Item: item}}
			}
			return s.batchWrite(gctx, reqs)
		})
	}
	return g.Wait()
}
