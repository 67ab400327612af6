package store_test

import (
	"testing"

	"github.com/pbs/benefits/shared/store"
	"github.com/pbs/benefits/shared/store/storetest"
	"github.com/pbs/benefits/shared/testenv"
)

// TestVisualStudioContract runs the Visual Studio contract on DynamoDB
// Local; the fake runs the same cases in storetest
// (TestVisualStudioContractOnTheFake).
func TestVisualStudioContract(t *testing.T) {
	db := testenv.DynamoDB(t)
	storetest.VisualStudioContract(t, func(t *testing.T) storetest.VisualStudioStore {
		return store.New(db, testenv.NewTable(t, db))
	})
}
