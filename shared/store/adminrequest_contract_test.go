package store_test

import (
	"testing"

	"github.com/pbs/benefits/shared/store"
	"github.com/pbs/benefits/shared/store/storetest"
	"github.com/pbs/benefits/shared/testenv"
)

// TestAdminRequestContract runs the global-admin request contract on
// DynamoDB Local; the fake runs the same cases in storetest.
func TestAdminRequestContract(t *testing.T) {
	db := testenv.DynamoDB(t)
	storetest.AdminRequestContract(t, func(t *testing.T) storetest.AdminRequestStore {
		return store.New(db, testenv.NewTable(t, db))
	})
}
