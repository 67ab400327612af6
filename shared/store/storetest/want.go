package storetest

import (
	"testing"

	"github.com/pbs/benefits/shared/apperr"
)

// WantCode fails the test unless err is an *apperr.Error with code, and
// returns it: how the use-case tests check a refusal.
func WantCode(t testing.TB, err error, code string) *apperr.Error {
	t.Helper()
	ae, ok := apperr.As(err)
	if !ok || ae.Code != code {
		t.Fatalf("err %v, want %s", err, code)
	}
	return ae
}
