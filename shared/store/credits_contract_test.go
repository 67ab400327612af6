package store_test

import (
	"testing"

	"github.com/pbs/benefits/shared/store"
	"github.com/pbs/benefits/shared/store/storetest"
	"github.com/pbs/benefits/shared/testenv"
)

// TestCreditContract runs the credit contract on DynamoDB Local; the fake
// runs the same cases in storetest (TestCreditContractOnTheFake).
func TestCreditContract(t *testing.T) {
	db := testenv.DynamoDB(t)
	storetest.CreditContract(t, func(t *testing.T) storetest.CreditStore {
		return store.New(db, testenv.NewTable(t, db))
	})
}
