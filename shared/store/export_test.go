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
