package storetest_test

import (
	"testing"

	"github.com/pbs/benefits/shared/store/storetest"
)

// TestAdminRequestContractOnTheFake runs the contract on the in-memory
// fake; shared/store's TestAdminRequestContract runs it on DynamoDB Local.
func TestAdminRequestContractOnTheFake(t *testing.T) {
	storetest.AdminRequestContract(t, func(*testing.T) storetest.AdminRequestStore { return storetest.New() })
}
