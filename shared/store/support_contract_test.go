package store_test

import (
	"testing"

	"github.com/pbs/benefits/shared/store"
	"github.com/pbs/benefits/shared/store/storetest"
	"github.com/pbs/benefits/shared/testenv"
)

// TestSupportContract and TestAdvisoryContract run the support and advisory
// contracts on DynamoDB Local; the fake runs the same cases in storetest.
func TestSupportContract(t *testing.T) {
	db := testenv.DynamoDB(t)
	storetest.SupportContract(t, func(t *testing.T) storetest.SupportStore {
		return store.New(db, testenv.NewTable(t, db))
	})
}

func TestAdvisoryContract(t *testing.T) {
	db := testenv.DynamoDB(t)
	storetest.AdvisoryContract(t, func(t *testing.T) storetest.SupportStore {
		return store.New(db, testenv.NewTable(t, db))
	})
}
