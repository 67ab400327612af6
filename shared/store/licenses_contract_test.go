package store_test

import (
	"testing"

	"github.com/pbs/benefits/shared/store"
	"github.com/pbs/benefits/shared/store/storetest"
	"github.com/pbs/benefits/shared/testenv"
)

// TestLicenseContract runs the licence contract on DynamoDB Local; the fake
// runs the same cases in storetest (TestLicenseContractOnTheFake).
func TestLicenseContract(t *testing.T) {
	db := testenv.DynamoDB(t)
	storetest.LicenseContract(t, func(t *testing.T) storetest.LicenseStore {
		return store.New(db, testenv.NewTable(t, db))
	})
}
