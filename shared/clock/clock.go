// Package clock is the service's only source of "now". Handlers and jobs take
// a Clock, so the local gateway's /_local/clock moves time for every rule.
package clock

import (
	"sync"
	"time"
)

// Clock returns the current time.
type Clock interface{ Now() time.Time }

// System is the real clock, in UTC.
type System struct{}

// Now returns the wall clock in UTC, to the millisecond: stored and shown
// timestamps need no finer grain, and equal values round-trip exactly.
func (System) Now() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

// Settable is the local gateway's clock. Set shifts it so that it reads the
// given instant and keeps ticking from there; Reset returns to real time.
// A ticking clock keeps timestamps and ordering realistic in demos.
type Settable struct {
	mu     sync.RWMutex
	offset time.Duration
	base   func() time.Time
}

// NewSettable returns a clock reading real time until Set.
func NewSettable() *Settable { return &Settable{base: time.Now} }

// Now returns the shifted time in UTC.
func (s *Settable) Now() time.Time {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.base().Add(s.offset).UTC().Truncate(time.Millisecond)
}

// Set makes the clock read t now.
func (s *Settable) Set(t time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offset = t.Sub(s.base())
}

// Reset returns the clock to real time.
func (s *Settable) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offset = 0
}

// Fixed is a clock stopped at one instant, for tests.
type Fixed time.Time

// Now returns the fixed instant.
func (f Fixed) Now() time.Time { return time.Time(f).UTC() }
