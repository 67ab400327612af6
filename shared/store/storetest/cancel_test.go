package storetest_test

import (
	"testing"

	"github.com/pbs/benefits/shared/store/storetest"
)

// TestCancelContractOnTheFake runs the cancellation contract on the
// in-memory fake; shared/store's TestCancelContract runs it on DynamoDB
// Local.
func TestCancelContractOnTheFake(t *testing.T) {
	storetest.CancelContract(t, func(*testing.T) storetest.CancelStore { return storetest.New() })
}
