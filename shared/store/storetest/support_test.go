package storetest_test

import (
	"testing"

	"github.com/pbs/benefits/shared/store/storetest"
)

// TestSupportContractOnTheFake and TestAdvisoryContractOnTheFake run the
// contracts on the in-memory fake; shared/store's TestSupportContract and
// TestAdvisoryContract run them on DynamoDB Local.
func TestSupportContractOnTheFake(t *testing.T) {
	storetest.SupportContract(t, func(*testing.T) storetest.SupportStore { return storetest.New() })
}

func TestAdvisoryContractOnTheFake(t *testing.T) {
	storetest.AdvisoryContract(t, func(*testing.T) storetest.SupportStore { return storetest.New() })
}
