package storetest_test

import (
	"testing"

	"github.com/pbs/benefits/shared/store/storetest"
)

// TestVisualStudioContractOnTheFake runs the Visual Studio contract on the
// in-memory fake; shared/store's TestVisualStudioContract runs it on
// DynamoDB Local.
func TestVisualStudioContractOnTheFake(t *testing.T) {
	storetest.VisualStudioContract(t, func(*testing.T) storetest.VisualStudioStore { return storetest.New() })
}
