package store_test

import (
	"testing"

	"github.com/pbs/benefits/shared/store"
	"github.com/pbs/benefits/shared/store/storetest"
	"github.com/pbs/benefits/shared/testenv"
)

// TestGTMContract runs the go-to-market contract on DynamoDB Local; the
// fake runs the same cases in storetest.
func TestGTMContract(t *testing.T) {
	db := testenv.DynamoDB(t)
	storetest.GTMContract(t, func(t *testing.T) storetest.GTMStore { return store.New(db, testenv.NewTable(t, db)) })
}
