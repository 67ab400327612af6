package store_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/pbs/benefits/shared/store"
	"github.com/pbs/benefits/shared/testenv"
)

// unprocessing answers the first BatchGetItem with every key unprocessed,
// as DynamoDB may under load, and records whether each call asked for a
// strongly consistent read.
type unprocessing struct {
	store.API
	calls      int
	consistent []bool
}

func (u *unprocessing) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	u.calls++
	for _, ka := range in.RequestItems {
		u.consistent = append(u.consistent, aws.ToBool(ka.ConsistentRead))
	}
	if u.calls == 1 {
		return &dynamodb.BatchGetItemOutput{UnprocessedKeys: in.RequestItems}, nil
	}
	return u.API.BatchGetItem(ctx, in, opts...)
}

// The states a go-to-market decision reads come from one strongly
// consistent BatchGetItem, and keys DynamoDB leaves unprocessed are sent
// again rather than read as missing.
func TestStatesResendUnprocessedKeys(t *testing.T) {
	db := testenv.DynamoDB(t)
	name := testenv.NewTable(t, db)
	mustPartner(t, store.New(db, name), "ptn_batch")
	u := &unprocessing{API: db}
	s := store.New(u, name)
	st, err := s.ContactState(context.Background(), "ptn_batch", "usr_admin_ptn_batch")
	if err != nil || st.Partner.Name != "Partner ptn_batch" || !st.Found || st.HadOld {
		t.Fatalf("state %+v %v", st, err)
	}
	if u.calls != 2 || len(u.consistent) != 2 || !u.consistent[0] || !u.consistent[1] {
		t.Fatalf("%d calls, consistent %v; want 2 calls, both consistent", u.calls, u.consistent)
	}
}
