package storetest_test

import (
	"testing"

	"github.com/pbs/benefits/shared/store/storetest"
)

// TestLicenseContractOnTheFake runs the licence contract on the in-memory
// fake; shared/store's TestLicenseContract runs it on DynamoDB Local.
func TestLicenseContractOnTheFake(t *testing.T) {
	storetest.LicenseContract(t, func(*testing.T) storetest.LicenseStore { return storetest.New() })
}
