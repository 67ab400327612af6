package store

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// RevokeSubscription revokes a Visual Studio line as a committed
// cancellation does (the line's write of CancelPurchase's transaction), for
// the Visual Studio contract (storetest.VisualStudioStore); production
// revokes only by cancelling.
func (s *Store) RevokeSubscription(ctx context.Context, partnerID, benefitID string, at time.Time) error {
	b, err := s.Benefit(ctx, partnerID, benefitID)
	if err != nil {
		return err
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{
		TransactItems: []types.TransactWriteItem{s.revokeLine(b, "#status = :read", nil, at)}})
	return err
}
