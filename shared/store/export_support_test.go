package store

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/pbs/benefits/shared/benefit"
)

// RevokeLine revokes a line as a committed cancellation does (the write of
// FinishCancellation), for the support and advisory contracts
// (storetest.SupportStore); production revokes only by cancelling.
func (s *Store) RevokeLine(ctx context.Context, partnerID, benefitID string, at time.Time) error {
	return s.updateItem(ctx, update(s.table, key(partnerPK(partnerID), benefitSK(benefitID)), revokeExpr, "attribute_exists(PK)",
		map[string]string{"#status": "status"},
		map[string]types.AttributeValue{":revoked": sv(string(benefit.Revoked)), ":at": timeValue(at)}).Update)
}
