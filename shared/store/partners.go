package store

import (
	"context"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/pbs/benefits/shared/access"
	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/partner"
)

// ErrPartnerExists means the partner id is taken (ids are generated, so only
// a retried creation with the same id can hit it).
var ErrPartnerExists = partner.ErrPartnerExists

// CreatePartner writes the partner and its first directory user (the global
// admin) in one transaction. Errors: ErrPartnerExists, partner.ErrUserExists.
func (s *Store) CreatePartner(ctx context.Context, p partner.Partner, admin partner.User) (err error) {
	defer wrap(&err, "create partner %s", p.ID)
	item := newPartnerItem(p)
	item.DirectoryIndexed = true
	if slices.Contains(admin.Roles, access.GlobalAdmin) {
		item.GlobalAdmins = 1
	}
	profile, err := attributevalue.MarshalMap(item)
	if err != nil {
		return err
	}
	items := []types.TransactWriteItem{put(s.table, profile, notExists)}
	userItems, err := s.userWrites(admin)
	if err != nil {
		return err
	}
	tokens, err := s.tokenPuts(admin)
	if err != nil {
		return err
	}
	err = s.commit(ctx, append(append(items, userItems...), tokens...))
	if r := cancelReasons(err); r != nil {
		switch {
		case failedAt(r, 0):
			return ErrPartnerExists
		case failedAt(r, 1) || failedAt(r, 2):
			return partner.ErrUserExists
		}
	}
	return err
}

// userWrites returns the two puts that add a user: the email reservation
// first, then the user, each conditional on not existing.
func (s *Store) userWrites(u partner.User) ([]types.TransactWriteItem, error) {
	email, err := attributevalue.MarshalMap(userEmailItem{PK: partnerPK(u.PartnerID), SK: userEmailSK(partner.EmailKey(u.Email)), Type: typeUserEmail, UserID: u.ID})
	if err != nil {
		return nil, err
	}
	user, err := attributevalue.MarshalMap(newUserItem(u))
	if err != nil {
		return nil, err
	}
	return []types.TransactWriteItem{put(s.table, email, notExists), put(s.table, user, notExists)}, nil
}

// Partner returns a partner's profile. Errors: apperr.ErrNotFound.
func (s *Store) Partner(ctx context.Context, partnerID string) (p partner.Partner, err error) {
	defer wrap(&err, "get partner %s", partnerID)
	var item partnerItem
	if err := s.get(ctx, partnerPK(partnerID), profileSK, &item); err != nil {
		return partner.Partner{}, err
	}
	return item.domain(), nil
}

// CreateUser adds a directory user with its search tokens; the email
// reservation item makes the email unique per partner even under
// concurrent requests, and a global admin is counted on the profile.
// Errors: partner.ErrUserExists, apperr.ErrNotFound (no such partner).
func (s *Store) CreateUser(ctx context.Context, u partner.User) (err error) {
	defer wrap(&err, "create user in %s", u.PartnerID)
	writes, err := s.userWrites(u)
	if err != nil {
		return err
	}
	exists := types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
		TableName: aws.String(s.table), Key: key(partnerPK(u.PartnerID), profileSK),
		ConditionExpression: aws.String("attribute_exists(PK)"),
	}}
	if slices.Contains(u.Roles, access.GlobalAdmin) {
		exists = update(s.table, key(partnerPK(u.PartnerID), profileSK), "ADD globalAdmins :one", "attribute_exists(PK)", nil,
			map[string]types.AttributeValue{":one": numberAttr(1)})
	}
	tokens, err := s.tokenPuts(u)
	if err != nil {
		return err
	}
	err = s.commit(ctx, append(append(writes, exists), tokens...))
	if r := cancelReasons(err); r != nil {
		switch {
		case failedAt(r, 0) || failedAt(r, 1):
			return partner.ErrUserExists
		case failedAt(r, 2):
			return apperr.ErrNotFound
		}
	}
	return err
}

// User returns one directory user. Errors: partner.ErrUserNotFound.
func (s *Store) User(ctx context.Context, partnerID, userID string) (u partner.User, err error) {
	defer wrap(&err, "get user %s", userID)
	var item userItem
	if err := s.get(ctx, partnerPK(partnerID), userSK(userID), &item); err != nil {
		if apperr.ErrNotFound.Is(err) {
			return partner.User{}, partner.ErrUserNotFound
		}
		return partner.User{}, err
	}
	return item.domain(), nil
}

// ErrBadCursor is returned for a cursor this store did not issue.
var ErrBadCursor = &apperr.Error{Kind: apperr.Invalid, Code: "validation_failed", Message: "The request has invalid fields.",
	Fields: []apperr.FieldError{{Field: "cursor", Code: apperr.Format, Message: "not a cursor from a previous page"}}}

// Users lists a partner's directory in id (creation) order, one page.
func (s *Store) Users(ctx context.Context, partnerID string, limit int, cursor string) (users []partner.User, next string, err error) {
	defer wrap(&err, "list users of %s", partnerID)
	items, next, err := page(ctx, s, s.prefixQuery(partnerPK(partnerID), userPrefix), pageOf[*userItem]{list: "users",
		startKey: func(id string) (map[string]types.AttributeValue, error) {
			if !idPosition(id) {
				return nil, ErrBadCursor
			}
			return key(partnerPK(partnerID), userSK(id)), nil
		},
		position: func(it *userItem) string { return it.ID }}, limit, cursor)
	if err != nil {
		return nil, "", err
	}
	users = make([]partner.User, len(items))
	for i, it := range items {
		users[i] = it.domain()
	}
	return users, next, nil
}

// get reads one item strongly consistently. Errors: apperr.ErrNotFound.
func (s *Store) get(ctx context.Context, pk, sk string, out any) error {
	res, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.table), Key: key(pk, sk), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return err
	}
	if res.Item == nil {
		return apperr.ErrNotFound
	}
	return attributevalue.UnmarshalMap(res.Item, out)
}
