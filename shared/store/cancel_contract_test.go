package store_test

import (
	"testing"

	"github.com/pbs/benefits/shared/store"
	"github.com/pbs/benefits/shared/store/storetest"
	"github.com/pbs/benefits/shared/testenv"
)

// TestCancelContract runs the cancellation contract on DynamoDB Local; the
// fake runs the same cases in storetest (TestCancelContractOnTheFake).
func TestCancelContract(t *testing.T) {
	db := testenv.DynamoDB(t)
	storetest.CancelContract(t, func(t *testing.T) storetest.CancelStore {
		return store.New(db, testenv.NewTable(t, db))
	})
}
