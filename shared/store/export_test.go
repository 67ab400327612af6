package store

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/pbs/benefits/shared/benefit"
)

// RevokeCredit revokes a credit as a committed cancellation does (the same
// write of CancelPurchase's transaction), for the credit contract
// (storetest.CreditStore); production revokes only by cancelling.
func (s *Store) RevokeCredit(ctx context.Context, partnerID, benefitID string, at time.Time) error {
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{
		TransactItems: []types.TransactWriteItem{s.revokeCredit(partnerID, benefitID, at)}})
	return err
}

// MarkLine writes what a use of a line writes (its status and used count,
// and its key when newKey is not ""), for the cancellation contract
// (storetest.CancelStore); production uses a line through its noun's write.
func (s *Store) MarkLine(ctx context.Context, partnerID, benefitID string, status benefit.Status, used int, newKey string) error {
	values := map[string]types.AttributeValue{":s": stringAttr(string(status)), ":u": numberAttr(int64(used))}
	expr := "SET #status = :s, used = :u"
	names := map[string]string{"#status": "status"}
	if newKey != "" {
		expr += ", #key = :k"
		names["#key"], values[":k"] = "key", stringAttr(newKey)
	}
	return s.updateItem(ctx, update(s.table, key(partnerPK(partnerID), benefitSK(benefitID)), expr, "attribute_exists(PK)", names, values).Update)
}

// DropLineIDs makes a purchase item as it was written before it listed its
// lines, for the test of the cancellation's fallback read.
func (s *Store) DropLineIDs(ctx context.Context, partnerID, purchaseID string) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &s.table, Key: key(partnerPK(partnerID), purchaseSK(purchaseID)),
		UpdateExpression: aws.String("REMOVE lineIds, creditIds")})
	return err
}

// RevokeLine revokes a line as a committed cancellation fences it (status
// as read, no key), for the licence, support and advisory contracts;
// production revokes only by cancelling.
func (s *Store) RevokeLine(ctx context.Context, partnerID, benefitID string, at time.Time) error {
	b, err := s.Benefit(ctx, partnerID, benefitID)
	if err != nil {
		return err
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{
		TransactItems: []types.TransactWriteItem{s.revokeLine(b, "#status = :read AND attribute_not_exists(#key)", nil, at)}})
	return err
}
