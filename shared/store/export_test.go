package store

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// RevokeCredit revokes a credit as a committed cancellation does (the same
// write of CancelPurchase's transaction), for the credit contract
// (storetest.CreditStore); production revokes only by cancelling.
func (s *Store) RevokeCredit(ctx context.Context, partnerID, benefitID string, at time.Time) error {
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{
		TransactItems: []types.TransactWriteItem{s.revokeCredit(partnerID, benefitID, at)}})
	return err
}

// RevokeLine revokes a line as a committed cancellation fences a software
// or licence line (status as read, no key), for the licence contract
// (storetest.LicenseStore).
func (s *Store) RevokeLine(ctx context.Context, partnerID, benefitID string, at time.Time) error {
	b, err := s.Benefit(ctx, partnerID, benefitID)
	if err != nil {
		return err
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{
		TransactItems: []types.TransactWriteItem{s.revokeLine(b, "#status = :read AND attribute_not_exists(#key)", nil, at)}})
	return err
}
