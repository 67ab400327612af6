package storetest

import "testing"

// caseRunner returns the run function of a contract: each case runs in
// parallel on its own store from newStore, seeded by seed.
func caseRunner[S, F any](t *testing.T, newStore func(*testing.T) S, seed func(testing.TB, S) F) func(name string, f func(*testing.T, S, F)) {
	return func(name string, f func(*testing.T, S, F)) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t)
			f(t, s, seed(t, s))
		})
	}
}
