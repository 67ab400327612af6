package storetest_test

import (
	"testing"

	"github.com/pbs/benefits/shared/store/storetest"
)

// TestCreditContractOnTheFake runs the credit contract on the in-memory
// fake; shared/store's TestCreditContract runs it on DynamoDB Local.
func TestCreditContractOnTheFake(t *testing.T) {
	storetest.CreditContract(t, func(*testing.T) storetest.CreditStore { return storetest.New() })
}
