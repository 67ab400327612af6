package storetest_test

import (
	"testing"

	"github.com/pbs/benefits/shared/store/storetest"
)

// TestShopContractOnTheFake runs the buying contract on the in-memory fake;
// shared/store's TestShopContract runs it on DynamoDB Local.
func TestShopContractOnTheFake(t *testing.T) {
	storetest.ShopContract(t, func(*testing.T) storetest.ShopStore { return storetest.New() })
}

// TestDirectoryContractOnTheFake and TestCatalogContractOnTheFake run those
// contracts on the fake; shared/store runs them on DynamoDB Local.
func TestDirectoryContractOnTheFake(t *testing.T) {
	storetest.DirectoryContract(t, func(*testing.T) storetest.DirectoryStore { return storetest.New() })
}

func TestCatalogContractOnTheFake(t *testing.T) {
	storetest.CatalogContract(t, func(*testing.T) storetest.CatalogStore { return storetest.New() })
}

// TestMembersContractOnTheFake runs the directory-changes contract on the fake.
func TestMembersContractOnTheFake(t *testing.T) {
	storetest.MembersContract(t, func(*testing.T) storetest.MemberStore { return storetest.New() })
}
