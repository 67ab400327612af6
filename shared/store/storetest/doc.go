// Package storetest holds in-memory fakes of the stores the use cases
// declare, and one contract suite per noun that runs against both the fake
// and the real store on DynamoDB Local, so the fake cannot drift from it.
//
// One fake, Fake (fake.go), holds every noun's state, as the real store
// holds one table: partners, their users, purchases, lines and history, and
// per noun what its items hold. Per noun, three files (credits: credits.go,
// credits_fixture.go, credits_contract.go; support and advisory hours, one
// fixture for both: support.go, support_fixture.go, support_contract.go,
// advisory_contract.go):
//   - <noun>.go: Fake's methods of the use case's Store interface (for
//     credits, credit.Store) plus the fixture writes its contract needs, and
//     the noun's state. A mutex guards the state; every write checks the
//     conditions the real store's transaction checks, against the state the
//     decision read, and read–decide–write rounds retry with
//     store.RetryConflicts as the real store does.
//   - <noun>_fixture.go: the <Noun>Store interface the contract runs on (the
//     use case's interface plus fixture writes and checking reads) and
//     Seed<Noun>s, the data both the contract and the use-case tests start
//     from.
//   - <noun>_contract.go: <Noun>Contract(t, newStore), the cases both must
//     pass. The fake runs it in this package's tests (plain go test); the
//     real store runs it in shared/store's external tests under withstack.
//
// Use-case tests (shared/credit/usecase_test.go, …) run on the fakes, in
// milliseconds and without DynamoDB.
package storetest
