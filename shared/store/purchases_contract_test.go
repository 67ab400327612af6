package store_test

import (
	"testing"

	"github.com/pbs/benefits/shared/store"
	"github.com/pbs/benefits/shared/store/storetest"
	"github.com/pbs/benefits/shared/testenv"
)

// TestShopContract, TestDirectoryContract and TestCatalogContract run the
// buying, directory and catalogue contracts on DynamoDB Local; the fake
// runs the same cases in storetest.
func TestShopContract(t *testing.T) {
	db := testenv.DynamoDB(t)
	storetest.ShopContract(t, func(t *testing.T) storetest.ShopStore { return store.New(db, testenv.NewTable(t, db)) })
}

func TestDirectoryContract(t *testing.T) {
	db := testenv.DynamoDB(t)
	storetest.DirectoryContract(t, func(t *testing.T) storetest.DirectoryStore { return store.New(db, testenv.NewTable(t, db)) })
}

func TestCatalogContract(t *testing.T) {
	db := testenv.DynamoDB(t)
	storetest.CatalogContract(t, func(t *testing.T) storetest.CatalogStore { return store.New(db, testenv.NewTable(t, db)) })
}

func TestMembersContract(t *testing.T) {
	db := testenv.DynamoDB(t)
	storetest.MembersContract(t, func(t *testing.T) storetest.MemberStore { return store.New(db, testenv.NewTable(t, db)) })
}
