package storetest_test

import (
	"testing"

	"github.com/pbs/benefits/shared/store/storetest"
)

// TestGTMContractOnTheFake runs the go-to-market contract on the fake;
// shared/store's TestGTMContract runs it on DynamoDB Local.
func TestGTMContractOnTheFake(t *testing.T) {
	storetest.GTMContract(t, func(*testing.T) storetest.GTMStore { return storetest.New() })
}
