package store

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/sync/errgroup"

	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/partner"
	"github.com/pbs/benefits/shared/visualstudio"
)

// lockItem is a Visual Studio seat freed before its 90 days were over.
type lockItem struct {
	PK         string
	SK         string
	Type       string    `dynamodbav:"type"`
	BenefitID  string    `dynamodbav:"benefitId"`
	UserID     string    `dynamodbav:"userId"`
	AssignedAt time.Time `dynamodbav:"assignedAt"`
	ReusableAt time.Time `dynamodbav:"reusableAt"`
}

// VisualStudio reads a Visual Studio line with its seats and locks: one
// strongly consistent Query of the benefit's items. Another partner's id,
// or no such benefit, is apperr.ErrNotFound; a line of another kind comes
// back as it is and the rules refuse it.
func (s *Store) VisualStudio(ctx context.Context, partnerID, benefitID string) (sub visualstudio.Subscription, err error) {
	defer wrap(&err, "get subscription %s", benefitID)
	in := s.benefitQuery(partnerID, benefitID)
	in.ConsistentRead = aws.Bool(true)
	found := false
	if err := s.queryEach(ctx, in, func(raw map[string]types.AttributeValue) error {
		switch typeOf(raw) {
		case typeBenefit:
			var it benefitItem
			if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
				return err
			}
			sub.Line, found = it.domain(), true
		case typeSeat:
			var it seatItem
			if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
				return err
			}
			sub.Seats = append(sub.Seats, it.vsSeat())
		case typeLock:
			var it lockItem
			if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
				return err
			}
			sub.Locks = append(sub.Locks, visualstudio.Lock{UserID: it.UserID, AssignedAt: it.AssignedAt})
		}
		return nil
	}); err != nil {
		return sub, err
	}
	if !found {
		return sub, apperr.ErrNotFound
	}
	return sub, nil
}

func (i seatItem) vsSeat() visualstudio.Seat {
	return visualstudio.Seat{UserID: i.UserID, Email: i.Email, DisplayName: i.DisplayName, AssignedAt: i.AssignedAt}
}

// Seats lists one page of a Visual Studio line's seats in user id order,
// with the line itself: the line is the first item of the same key range,
// so the first page is one Query; a later page reads the line apart.
func (s *Store) Seats(ctx context.Context, partnerID, benefitID string, limit int, cursor string) (line benefit.Benefit, seats []visualstudio.Seat, next string, err error) {
	defer wrap(&err, "list seats of %s", benefitID)
	pk := partnerPK(partnerID)
	found := false
	items, next, err := page(ctx, s, s.benefitQuery(partnerID, benefitID), pageOf[*seatItem]{list: "seats:" + benefitID,
		startKey: func(id string) (map[string]types.AttributeValue, error) {
			if !idPosition(id) {
				return nil, ErrBadCursor
			}
			// The page after a cursor starts past the line item: read it apart.
			var it benefitItem
			if err := s.get(ctx, pk, benefitSK(benefitID), &it); err != nil {
				return nil, err
			}
			line = it.domain()
			return key(pk, seatSK(benefitID, id)), nil
		},
		// The line is the range's first item; its locks and credit state
		// are passed over.
		decode: func(raw map[string]types.AttributeValue) (it *seatItem, keep bool, err error) {
			switch typeOf(raw) {
			case typeBenefit:
				var b benefitItem
				if err := attributevalue.UnmarshalMap(raw, &b); err != nil {
					return it, false, err
				}
				line, found = b.domain(), true
			case typeSeat:
				it = new(seatItem)
				return it, true, attributevalue.UnmarshalMap(raw, it)
			}
			return it, false, nil
		},
		position: func(it *seatItem) string { return it.UserID }}, limit, cursor)
	if err != nil {
		return line, nil, "", err
	}
	if !found && cursor == "" {
		return line, nil, "", apperr.ErrNotFound
	}
	for _, it := range items {
		seats = append(seats, it.vsSeat())
	}
	return line, seats, next, nil
}

// DirectoryUsers reads directory users by id, strongly consistent: one
// GetItem for one id, BatchGetItem (100 keys a call, batchRead) for more. Ids not in
// the directory are simply absent from the map.
func (s *Store) DirectoryUsers(ctx context.Context, partnerID string, ids []string) (users map[string]partner.User, err error) {
	defer wrap(&err, "get %d users", len(ids))
	users = map[string]partner.User{}
	if len(ids) == 1 {
		var it userItem
		switch err := s.get(ctx, partnerPK(partnerID), userSK(ids[0]), &it); {
		case errors.Is(err, apperr.ErrNotFound):
			return users, nil
		case err != nil:
			return nil, err
		}
		users[it.ID] = it.domain()
		return users, nil
	}
	seen := map[string]bool{}
	var keys []map[string]types.AttributeValue
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			keys = append(keys, key(partnerPK(partnerID), userSK(id)))
		}
	}
	err = s.batchRead(ctx, keys, true, func(raw map[string]types.AttributeValue) error {
		var it userItem
		if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
			return err
		}
		users[it.ID] = it.domain()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return users, nil
}

// SeatChangesPerTransaction bounds the changes written in one transaction:
// each is at most four items (a move: two seats and their two holders'
// vsSeats) and its audit event, plus the line's count: 19 · 5 + 1 = 96.
const SeatChangesPerTransaction = 19

// Store is the Visual Studio use cases' store.
var _ visualstudio.Store = (*Store)(nil)

// UpdateSubscription runs one request's seat changes, read–decide–write: it
// reads the line with its seats and locks (one strongly consistent Query)
// and, in parallel, the directory users userIDs names (one GetItem, or
// BatchGetItem for more), lets decide choose the changes, and writes them
// in order (writeSeats). On a lost condition the changes committed stay,
// and the subscription is read and decided again (RetryConflicts,
// visualstudio.Attempts rounds, then visualstudio.ErrBusy), so the caller
// gets the right refusal (no_seats_left, reassignment_too_soon, …).
// decide's errors come back as they are.
func (s *Store) UpdateSubscription(ctx context.Context, partnerID, benefitID string, userIDs []string, decide visualstudio.Decide, committed func(n int)) error {
	err := RetryConflicts(ctx, visualstudio.Attempts, func() error {
		var (
			sub   visualstudio.Subscription
			users map[string]partner.User
		)
		g, gctx := errgroup.WithContext(ctx)
		g.Go(func() (err error) { sub, err = s.VisualStudio(gctx, partnerID, benefitID); return err })
		if len(userIDs) > 0 {
			g.Go(func() (err error) { users, err = s.DirectoryUsers(gctx, partnerID, userIDs); return err })
		}
		if err := g.Wait(); err != nil {
			return err
		}
		vs := make(map[string]visualstudio.User, len(users))
		for id, u := range users {
			vs[id] = visualstudio.User{ID: u.ID, Email: u.Email, DisplayName: u.DisplayName}
		}
		ws, err := decide(&sub, vs)
		if err != nil {
			return err
		}
		return s.writeSeats(ctx, sub.Line, ws, committed)
	})
	if errors.Is(err, ErrConflict) {
		return visualstudio.ErrBusy
	}
	return err
}

// writeSeats writes decided seat changes in order, each with its audit
// event, in as few transactions as the limits allow. Every change is all or
// nothing: its items carry conditions that hold only if what it was decided
// from is unchanged, and the line's used count moves by the transaction's
// net change under "used <= quantity - added". After each transaction,
// committed (if not nil) hears how many changes are written; a cancelled
// transaction is ErrConflict (read again and decide the rest again).
func (s *Store) writeSeats(ctx context.Context, line benefit.Benefit, ws []visualstudio.Write, committed func(n int)) (err error) {
	defer wrap(&err, "write %d seat changes to %s", len(ws), line.ID)
	for applied := 0; applied < len(ws); {
		var writes []types.TransactWriteItem
		touched := map[string]bool{}
		delta, gives, n := 0, false, 0
		for _, w := range ws[applied:] {
			c := w.Change
			items, keys, err := s.seatWrites(line, c)
			if err != nil {
				return err
			}
			clash := false
			for _, k := range keys {
				clash = clash || touched[k]
			}
			if n == SeatChangesPerTransaction || (clash && n > 0) {
				break
			}
			for _, k := range keys {
				touched[k] = true
			}
			if w.Event.ID == "" {
				return errors.New("store: a seat change without its audit event")
			}
			ev, err := s.auditPut(w.Event)
			if err != nil {
				return err
			}
			writes = append(writes, items...)
			writes = append(writes, ev)
			delta += c.CountDelta()
			gives = gives || c.Kind != visualstudio.Remove && c.Kind != visualstudio.Release
			n++
		}
		writes = append([]types.TransactWriteItem{s.seatCount(line, delta, gives)}, writes...)
		_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: writes})
		if cancelReasons(err) != nil {
			return ErrConflict
		}
		if err != nil {
			return err
		}
		applied += n
		if committed != nil {
			committed(applied)
		}
	}
	return nil
}

// seatCount moves the line's used count, never above the quantity; a
// transaction that gives seats also requires a live line, so a cancelled or
// expired line gets no new holder.
func (s *Store) seatCount(line benefit.Benefit, delta int, gives bool) types.TransactWriteItem {
	values := map[string]types.AttributeValue{":d": numberAttr(int64(delta))}
	names := map[string]string{}
	cond := "attribute_exists(PK)"
	if delta > 0 {
		cond += " AND used <= :max"
		values[":max"] = numberAttr(int64(line.Quantity - delta))
	}
	if delta < 0 {
		cond += " AND used >= :min"
		values[":min"] = numberAttr(int64(-delta))
	}
	if gives {
		cond += " AND #status = :available"
		names["#status"] = "status"
		values[":available"] = stringAttr(string(benefit.Available))
	}
	return update(s.table, key(partnerPK(line.PartnerID), benefitSK(line.ID)), "ADD used :d", cond, names, values)
}

// seatWrites are the items of one change, and their sort keys.
func (s *Store) seatWrites(line benefit.Benefit, c visualstudio.Change) ([]types.TransactWriteItem, []string, error) {
	pk := partnerPK(line.PartnerID)
	var ws []types.TransactWriteItem
	var keys []string
	putSeat := func(seat visualstudio.Seat) error {
		item, err := attributevalue.MarshalMap(seatItem{PK: pk, SK: seatSK(line.ID, seat.UserID), Type: typeSeat, BenefitID: line.ID,
			UserID: seat.UserID, Email: seat.Email, DisplayName: seat.DisplayName, AssignedAt: seat.AssignedAt})
		if err != nil {
			return err
		}
		// The holder must still be in the directory, and their vsSeats
		// names the line, so a removal of the user sees the seat.
		ws = append(ws, put(s.table, item, notExists), holderSeats(s.table, pk, seat.UserID, "ADD", line.ID))
		keys = append(keys, seatSK(line.ID, seat.UserID), userSK(seat.UserID))
		return nil
	}
	deleteSeat := func(seat visualstudio.Seat) {
		ws = append(ws, types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String(s.table),
			Key: key(pk, seatSK(line.ID, seat.UserID)), ConditionExpression: aws.String("assignedAt = :at"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":at": timeValue(seat.AssignedAt)}}},
			holderSeats(s.table, pk, seat.UserID, "DELETE", line.ID))
		keys = append(keys, seatSK(line.ID, seat.UserID), userSK(seat.UserID))
	}
	deleteLock := func(l visualstudio.Lock) {
		sk := lockSK(line.ID, l.UserID, l.AssignedAt)
		ws = append(ws, types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String(s.table),
			Key: key(pk, sk), ConditionExpression: aws.String("attribute_exists(PK)")}})
		keys = append(keys, sk)
	}
	var err error
	switch c.Kind {
	case visualstudio.New:
		err = putSeat(c.Seat)
	case visualstudio.Reclaim, visualstudio.Reuse:
		deleteLock(c.Lock)
		err = putSeat(c.Seat)
	case visualstudio.Move:
		deleteSeat(c.From)
		err = putSeat(c.Seat)
	case visualstudio.Remove:
		deleteSeat(c.Seat)
	case visualstudio.Release:
		deleteSeat(c.Seat)
		sk := lockSK(line.ID, c.Lock.UserID, c.Lock.AssignedAt)
		item, merr := attributevalue.MarshalMap(lockItem{PK: pk, SK: sk, Type: typeLock, BenefitID: line.ID,
			UserID: c.Lock.UserID, AssignedAt: c.Lock.AssignedAt, ReusableAt: c.Lock.ReusableAt()})
		err = merr
		ws = append(ws, put(s.table, item, notExists))
		keys = append(keys, sk)
	default:
		return nil, nil, errors.New("store: nothing to write for an unchanged seat")
	}
	return ws, keys, err
}

// holderSeats adds a Visual Studio line to its holder's vsSeats, or takes
// it away (op ADD or DELETE), on a user who exists: no user is removed
// while holding a seat, so a DELETE always finds them.
func holderSeats(tableName, pk, userID, op, benefitID string) types.TransactWriteItem {
	return update(tableName, key(pk, userSK(userID)), op+" vsSeats :b", "attribute_exists(PK)", nil,
		map[string]types.AttributeValue{":b": stringSetAttr(benefitID)})
}
