package store

import (
	"context"
	"encoding/base64"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/pbs/benefits/shared/access"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/partner"
)

// The directory's search index and its changes (ACCESS_PATTERNS.md,
// "Directory search"). Each user has one token item per search token,
// DIR#<token>#<userId>, carrying what a listing shows of the user, written
// and deleted in the user's own transactions: a search page is one Query.

var _ partner.MemberStore = (*Store)(nil)

// userTokenItem is one search token of a user, with the user's listed fields.
type userTokenItem struct {
	PK          string
	SK          string
	Type        string    `dynamodbav:"type"`
	Token       string    `dynamodbav:"token"`
	ID          string    `dynamodbav:"id"`
	Email       string    `dynamodbav:"email"`
	DisplayName string    `dynamodbav:"displayName"`
	Roles       []string  `dynamodbav:"roles"`
	Guest       bool      `dynamodbav:"guest"`
	CreatedAt   time.Time `dynamodbav:"createdAt"`
}

func (it userTokenItem) domain(partnerID string) partner.User {
	return userItem{ID: it.ID, PartnerID: partnerID, Email: it.Email, DisplayName: it.DisplayName, Roles: it.Roles,
		Guest: it.Guest, CreatedAt: it.CreatedAt}.domain()
}

// tokenPuts are the token items of u (partner.SearchTokens).
func (s *Store) tokenPuts(u partner.User) ([]types.TransactWriteItem, error) {
	base := newUserItem(u)
	var out []types.TransactWriteItem
	for _, t := range partner.SearchTokens(u) {
		item, err := attributevalue.MarshalMap(userTokenItem{PK: base.PK, SK: dirSK(t, u.ID), Type: typeUserToken, Token: t,
			ID: u.ID, Email: u.Email, DisplayName: u.DisplayName, Roles: base.Roles, Guest: u.Guest, CreatedAt: u.CreatedAt})
		if err != nil {
			return nil, err
		}
		out = append(out, put(s.table, item, ""))
	}
	return out, nil
}

// tokenDeletes deletes the token items of u that are not among keep.
func (s *Store) tokenDeletes(u partner.User, keep []string) []types.TransactWriteItem {
	var out []types.TransactWriteItem
	for _, t := range partner.SearchTokens(u) {
		if !slices.Contains(keep, t) {
			out = append(out, types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String(s.table), Key: key(partnerPK(u.PartnerID), dirSK(t, u.ID))}})
		}
	}
	return out
}

// SearchUsers reads one page of a partner's directory: with a search text,
// one Query of the token items that start with it (partner.UserQuery.Page
// keeps each user once, at its first matching token); without, one Query
// of the user items in id order. Role and guest filters apply to the page
// read (ACCESS_PATTERNS.md). A partner whose users predate the index is
// indexed first (IndexDirectory), once.
func (s *Store) SearchUsers(ctx context.Context, partnerID string, q partner.UserQuery, limit int, cursor string) (users []partner.User, next string, err error) {
	defer wrap(&err, "search users of %s", partnerID)
	pk, prefix, tag := partnerPK(partnerID), q.Prefix(), q.Tag()
	in := s.prefixQuery(pk, userPrefix)
	valid := idPosition
	position := func(raw map[string]types.AttributeValue) string {
		return strings.TrimPrefix(raw["SK"].(*types.AttributeValueMemberS).Value, userPrefix)
	}
	startKey := func(p string) string { return userSK(p) }
	if prefix != "" {
		if err := s.IndexDirectory(ctx, partnerID); err != nil {
			return nil, "", err
		}
		in = s.prefixQuery(pk, dirPrefix+prefix)
		valid = func(p string) bool { return strings.HasPrefix(p, prefix) && len(p) <= 1024 && strings.Contains(p, "#") }
		position = func(raw map[string]types.AttributeValue) string {
			return strings.TrimPrefix(raw["SK"].(*types.AttributeValueMemberS).Value, dirPrefix)
		}
		startKey = func(p string) string { return dirPrefix + p }
	}
	if cursor != "" {
		raw, derr := base64.RawURLEncoding.DecodeString(cursor)
		p, ok := cursorIn(tag, raw)
		if derr != nil || !ok || !valid(p) {
			return nil, "", ErrBadCursor
		}
		in.ExclusiveStartKey = key(pk, startKey(p))
	}
	in.Limit = aws.Int32(int32(limit) + 1)
	out, err := s.db.Query(ctx, in)
	if err != nil {
		return nil, "", err
	}
	read := make([]partner.Entry, 0, len(out.Items))
	for _, raw := range out.Items {
		e := partner.Entry{Position: position(raw)}
		if prefix == "" {
			var it userItem
			err = attributevalue.UnmarshalMap(raw, &it)
			e.User = it.domain()
		} else {
			var it userTokenItem
			err = attributevalue.UnmarshalMap(raw, &it)
			e.User, e.Token = it.domain(partnerID), it.Token
		}
		if err != nil {
			return nil, "", err
		}
		read = append(read, e)
	}
	users, pos := q.Page(read, limit, len(out.LastEvaluatedKey) > 0 && len(read) <= limit)
	if pos != "" {
		next = base64.RawURLEncoding.EncodeToString(listCursor(tag, pos))
	}
	return users, next, nil
}

// memberState is what a directory change is decided on, with what its
// write's conditions need.
type memberState struct {
	member partner.Member
	rev    int64
}

// UpdateMember reads a user with what they hold and the partner's global
// admin count (one BatchGetItem of the profile, the user and the marketing
// contact), lets decide choose the change and writes it in one transaction
// (writeMember), again on a lost condition (partner.ChangeAttempts rounds,
// then partner.ErrDirectoryBusy). Errors: partner.ErrUserNotFound, decide's.
func (s *Store) UpdateMember(ctx context.Context, partnerID, userID string, decide func(partner.Member) (partner.MemberChange, error)) error {
	if err := s.IndexDirectory(ctx, partnerID); err != nil {
		return err
	}
	return Update(ctx, partner.ChangeAttempts, partner.ErrDirectoryBusy,
		func() (memberState, error) { return s.member(ctx, partnerID, userID) },
		func(st memberState) (partner.MemberChange, error) { return decide(st.member) },
		func(st memberState, c partner.MemberChange) error { return s.writeMember(ctx, st, c) })
}

func (s *Store) member(ctx context.Context, partnerID, userID string) (st memberState, err error) {
	defer wrap(&err, "read user %s", userID)
	pk := partnerPK(partnerID)
	got, err := s.getItems(ctx, itemKey{pk, profileSK}, itemKey{pk, userSK(userID)}, itemKey{pk, contactSK})
	if err != nil {
		return st, err
	}
	var (
		p       partnerItem
		u       userItem
		contact contactItem
	)
	found, err := got.decode(pk, userSK(userID), &u)
	if err != nil {
		return st, err
	}
	if !found {
		return st, partner.ErrUserNotFound
	}
	if _, err := got.decode(pk, profileSK, &p); err != nil {
		return st, err
	}
	if _, err := got.decode(pk, contactSK, &contact); err != nil {
		return st, err
	}
	m := partner.Member{User: u.domain(), GlobalAdmins: p.GlobalAdmins}
	for _, id := range u.CreditOffers {
		if id != u.AnnualCredit {
			m.Holdings = append(m.Holdings, partner.Holding{Kind: partner.HoldsCreditSeat, BenefitID: id})
		}
	}
	if u.AnnualCredit != "" {
		m.Holdings = append(m.Holdings, partner.Holding{Kind: partner.HoldsAnnualCredit, BenefitID: u.AnnualCredit})
	}
	for _, id := range u.VSSeats {
		m.Holdings = append(m.Holdings, partner.Holding{Kind: partner.HoldsVisualStudioSeat, BenefitID: id})
	}
	if contact.UserID == userID {
		m.Holdings = append(m.Holdings, partner.Holding{Kind: partner.HoldsMarketingContact})
	}
	return memberState{member: m, rev: u.Rev}, nil
}

// writeMember writes a decided change in one transaction: the user
// (updated, or deleted with its email reservation) under a condition that
// it is as read (rev) and, for a removal, holds nothing (no credit offer,
// no Visual Studio seat, not the marketing contact); its token items; the
// global admin count, never below one; the audit events.
func (s *Store) writeMember(ctx context.Context, st memberState, c partner.MemberChange) (err error) {
	if c.Unchanged() {
		return nil
	}
	before := c.Before
	pk, uk := partnerPK(before.PartnerID), key(partnerPK(before.PartnerID), userSK(before.ID))
	defer wrap(&err, "change user %s", before.ID)
	values := map[string]types.AttributeValue{}
	cond := "attribute_exists(PK) AND attribute_not_exists(rev)"
	if st.rev > 0 {
		cond, values[":rev"] = "attribute_exists(PK) AND rev = :rev", numberAttr(st.rev)
	}
	var writes []types.TransactWriteItem
	if c.After == nil {
		writes = append(writes,
			types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String(s.table), Key: uk, ExpressionAttributeValues: nilIfEmpty(values),
				ConditionExpression: aws.String(cond + " AND attribute_not_exists(creditOffers) AND attribute_not_exists(vsSeats)")}},
			types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String(s.table), Key: key(pk, userEmailSK(partner.EmailKey(before.Email)))}},
			types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{TableName: aws.String(s.table), Key: key(pk, contactSK),
				ConditionExpression:       aws.String("attribute_not_exists(PK) OR userId <> :u"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":u": stringAttr(before.ID)}}})
		writes = append(writes, s.tokenDeletes(before, nil)...)
	} else {
		after := newUserItem(*c.After)
		roles, err := attributevalue.Marshal(after.Roles)
		if err != nil {
			return err
		}
		values[":name"], values[":roles"], values[":next"] = stringAttr(after.DisplayName), roles, numberAttr(st.rev+1)
		writes = append(writes, update(s.table, uk, "SET displayName = :name, #roles = :roles, rev = :next", cond,
			map[string]string{"#roles": "roles"}, values))
		writes = append(writes, s.tokenDeletes(before, partner.SearchTokens(*c.After))...)
		puts, err := s.tokenPuts(*c.After)
		if err != nil {
			return err
		}
		writes = append(writes, puts...)
	}
	if d := c.Admins(); d != 0 {
		cond := "attribute_exists(PK)"
		values := map[string]types.AttributeValue{":d": numberAttr(int64(d))}
		if d < 0 {
			cond += " AND globalAdmins > :one"
			values[":one"] = numberAttr(1)
		}
		writes = append(writes, update(s.table, key(pk, profileSK), "ADD globalAdmins :d", cond, nil, values))
	}
	for _, e := range c.Events {
		ev, err := s.auditPut(e)
		if err != nil {
			return err
		}
		writes = append(writes, ev)
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: writes})
	if cancelReasons(err) != nil {
		return ErrConflict
	}
	return err
}

func nilIfEmpty(m map[string]types.AttributeValue) map[string]types.AttributeValue {
	if len(m) == 0 {
		return nil
	}
	return m
}

// IndexDirectory indexes a partner's directory written before the search
// index (ACCESS_PATTERNS.md, "Directory search"): the token items of every
// user, each Visual Studio seat on its holder's vsSeats, the global admin
// count, then the profile's directoryIndexed mark. A partner created since
// has the mark from its creation, and a warm function remembers the
// partners it saw marked, so the check costs nothing after the first
// request. Idempotent: two first requests may both run it.
func (s *Store) IndexDirectory(ctx context.Context, partnerID string) (err error) {
	if _, ok := s.indexed.Load(partnerID); ok {
		return nil
	}
	defer wrap(&err, "index directory of %s", partnerID)
	pk := partnerPK(partnerID)
	for attempt := 0; ; attempt++ {
		var p partnerItem
		if err := s.get(ctx, pk, profileSK, &p); err != nil {
			return err
		}
		if p.DirectoryIndexed {
			s.indexed.Store(partnerID, true)
			return nil
		}
		if attempt == 5 {
			return ErrConflict
		}
		admins, err := s.indexUsers(ctx, partnerID)
		if err != nil {
			return err
		}
		if err := s.indexSeats(ctx, partnerID); err != nil {
			return err
		}
		// The count is set only if no global admin was added since the
		// profile was read (CreateUser ADDs to it); else count again.
		cond := "attribute_exists(PK) AND attribute_not_exists(directoryIndexed) AND attribute_not_exists(globalAdmins)"
		values := map[string]types.AttributeValue{":n": numberAttr(int64(admins)), ":t": &types.AttributeValueMemberBOOL{Value: true}}
		if p.GlobalAdmins != 0 {
			cond = "attribute_exists(PK) AND attribute_not_exists(directoryIndexed) AND globalAdmins = :seen"
			values[":seen"] = numberAttr(int64(p.GlobalAdmins))
		}
		err = s.updateItem(ctx, update(s.table, key(pk, profileSK), "SET globalAdmins = :n, directoryIndexed = :t", cond, nil, values).Update)
		if err != nil && !isConditionFailed(err) {
			return err
		}
	}
}

// indexUsers writes every user's token items and counts the global admins.
func (s *Store) indexUsers(ctx context.Context, partnerID string) (admins int, err error) {
	in := s.prefixQuery(partnerPK(partnerID), userPrefix)
	in.ConsistentRead = aws.Bool(true)
	var reqs []types.WriteRequest
	err = s.queryEach(ctx, in, func(raw map[string]types.AttributeValue) error {
		var it userItem
		if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
			return err
		}
		u := it.domain()
		if slices.Contains(u.Roles, access.GlobalAdmin) {
			admins++
		}
		puts, err := s.tokenPuts(u)
		for _, p := range puts {
			reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: p.Put.Item}})
		}
		return err
	})
	for start := 0; err == nil && start < len(reqs); start += 25 {
		err = s.batchWrite(ctx, reqs[start:min(start+25, len(reqs))])
	}
	return admins, err
}

// indexSeats adds each Visual Studio seat to its holder's vsSeats, in a
// transaction with a check that the seat is still held (a seat removed
// meanwhile stays off).
func (s *Store) indexSeats(ctx context.Context, partnerID string) error {
	pk := partnerPK(partnerID)
	in := s.prefixQuery(pk, dashPrefix)
	in.ConsistentRead = aws.Bool(true)
	vs := map[string]bool{}
	var seats []seatItem
	err := s.queryEach(ctx, in, func(raw map[string]types.AttributeValue) error {
		switch typeOf(raw) {
		case typeBenefit:
			var b benefitItem
			if err := attributevalue.UnmarshalMap(raw, &b); err != nil {
				return err
			}
			vs[b.ID] = catalog.Kind(b.Kind) == catalog.VisualStudio
		case typeSeat:
			var it seatItem
			if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
				return err
			}
			seats = append(seats, it)
		}
		return nil
	})
	for _, seat := range seats {
		if err != nil || !vs[seat.BenefitID] {
			continue
		}
		_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
			update(s.table, key(pk, userSK(seat.UserID)), "ADD vsSeats :b", "attribute_exists(PK)", nil,
				map[string]types.AttributeValue{":b": stringSetAttr(seat.BenefitID)}),
			{ConditionCheck: &types.ConditionCheck{TableName: aws.String(s.table), Key: key(pk, seatSK(seat.BenefitID, seat.UserID)),
				ConditionExpression: aws.String("assignedAt = :at"), ExpressionAttributeValues: map[string]types.AttributeValue{":at": timeValue(seat.AssignedAt)}}},
		}})
		if cancelReasons(err) != nil {
			err = nil
		}
	}
	return err
}
