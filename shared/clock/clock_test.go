package clock

import (
	"testing"
	"time"
)

func TestSettableShiftsAndResets(t *testing.T) {
	real := time.Date(2026, 11, 24, 6, 0, 0, 0, time.UTC)
	s := &Settable{base: func() time.Time { return real }}
	target := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	s.Set(target)
	if !s.Now().Equal(target) {
		t.Fatalf("after Set, Now = %v", s.Now())
	}
	real = real.Add(90 * time.Second) // the set clock keeps ticking
	if want := target.Add(90 * time.Second); !s.Now().Equal(want) {
		t.Errorf("Now = %v, want %v", s.Now(), want)
	}
	s.Reset()
	if !s.Now().Equal(real) {
		t.Errorf("after Reset, Now = %v, want %v", s.Now(), real)
	}
}
