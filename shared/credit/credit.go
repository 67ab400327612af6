// Package credit holds the rules of cloud credits (usage based):
// who may hold a credit, when it may change hands, and what the monthly
// grant job grants. It is plain Go: the store reads and fences the state,
// these functions decide.
package credit

import (
	"slices"
	"time"

	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/money"
)

// Credit is the state of one credit benefit line: its seats, the money
// granted so far and, for monthly credits, the next month owed.
type Credit struct {
	BenefitID string
	PartnerID string
	Kind      catalog.Kind // CreditMonthly or CreditAnnual
	Product   string
	// Quantity is the number of credit subscriptions (seats); annual
	// credits have one.
	Quantity int
	// PerSeat is granted per seat and month (monthly) or once per
	// enrolment year (annual), in the partner's currency.
	PerSeat money.Money
	// Seats is the number of users holding the credit now.
	Seats   int
	Balance int64 // minor units of PerSeat.Currency: everything granted
	Grants  []Grant
	// NextPeriod is, for monthly credits, the first month not granted yet.
	NextPeriod Period
	// Holder, EnrolledAt and EnrolmentEndsAt describe an annual credit once
	// it is assigned: the enrolment year starts at the first assignment.
	Holder          string
	EnrolledAt      time.Time
	EnrolmentEndsAt time.Time
	ExpiresAt       time.Time
	// Revoked is set when the purchase is cancelled: no seat changes and
	// no grants from then on.
	Revoked bool
	// DueFor is the month whose due-index partition holds the credit (zero
	// when it is not in the index).
	DueFor Period
	// Holders are the users on the credit (read with it, not stored on it).
	Holders []Holder
}

// Grant is one entry of the ledger.
type Grant struct {
	Period    Period
	Amount    int64
	Seats     int
	GrantedAt time.Time
}

// Holder is a directory user holding a seat of a credit.
type Holder struct {
	UserID      string
	Email       string
	DisplayName string
	AssignedAt  time.Time
}

// User is what the rules need to know of a directory user.
type User struct {
	ID          string
	Email       string
	DisplayName string
	// Offers are the credit benefit ids the user holds; Annual is the one
	// annual credit among them, if any.
	Offers []string
	Annual string
}

// Errors of the credit rules.
var (
	ErrNoSeatsLeft    = apperr.New(apperr.Conflict, "no_seats_left", "Every subscription of this credit already has a user; remove one first.")
	ErrNotCombinable  = apperr.New(apperr.Conflict, "offer_not_combinable", "A user holding an annual credit cannot hold any other credit offer.")
	ErrNotRemovable   = apperr.New(apperr.Conflict, "credit_not_removable", "An annual credit's user is never removed; transfer it to another user instead.")
	ErrWindowClosed   = apperr.New(apperr.Conflict, "transfer_window_closed", "The enrolment year of this credit has ended; it can no longer be transferred.")
	ErrNotTransferred = apperr.New(apperr.Conflict, "credit_not_transferable", "Only annual credits are transferred; for a monthly credit remove the user and add another.")
	ErrNotAssigned    = apperr.New(apperr.Conflict, "credit_not_assigned", "This credit has no user yet; assign one first.")
	ErrUserNotFound   = apperr.New(apperr.Unprocessable, "user_not_found", "No user with that id in this partner's directory.")
	ErrNotAHolder     = apperr.New(apperr.NotFound, "not_found", "That user does not hold this credit.")
)

// EnrolmentMonths is the length of an annual credit's enrolment year.
const EnrolmentMonths = 12

// usable applies the line rules every seat change shares.
func (c Credit) usable(now time.Time) error {
	if c.Revoked {
		return benefit.ErrRevoked
	}
	if !now.Before(c.ExpiresAt) {
		return benefit.ErrExpired
	}
	return nil
}

// Holds reports whether the user holds a seat of this credit.
func (c Credit) Holds(userID string) bool {
	return slices.ContainsFunc(c.Holders, func(h Holder) bool { return h.UserID == userID })
}

// Assignment is the decided change for a new holder.
type Assignment struct {
	// Already: the user holds a seat already; nothing is written.
	Already bool
	Holder  Holder
	// Monthly: the first seat puts the credit in the due index from
	// NextPeriod on.
	FirstSeat  bool
	NextPeriod Period
	// Annual: the first assignment starts the enrolment year and grants it.
	Grant *Grant
}

// Assign decides whether u may take a seat at now. A user who already holds
// a seat gets Already, so a retried request is harmless.
func (c Credit) Assign(u User, found bool, now time.Time) (Assignment, error) {
	if err := c.usable(now); err != nil {
		return Assignment{}, err
	}
	if !found {
		return Assignment{}, ErrUserNotFound
	}
	h := Holder{UserID: u.ID, Email: u.Email, DisplayName: u.DisplayName, AssignedAt: now}
	if c.Holds(u.ID) {
		return Assignment{Already: true, Holder: h}, nil
	}
	if c.Seats >= c.Quantity {
		return Assignment{}, ErrNoSeatsLeft
	}
	// Not combinable, in either order: an annual credit needs a user with
	// no credit offer, and nobody joins a user who holds an annual credit.
	if u.Annual != "" || (c.Kind == catalog.CreditAnnual && len(u.Offers) > 0) {
		return Assignment{}, ErrNotCombinable
	}
	a := Assignment{Holder: h}
	switch c.Kind {
	case catalog.CreditMonthly:
		if c.Seats == 0 {
			// A month whose 1st passed with nobody assigned is not owed:
			// the first grant is for the next month that starts.
			a.FirstSeat = true
			a.NextPeriod = c.NextPeriod
			if first := PeriodOf(now).Next(); a.NextPeriod.Before(first) {
				a.NextPeriod = first
			}
		}
	case catalog.CreditAnnual:
		a.Grant = &Grant{Period: PeriodOf(now), Amount: c.PerSeat.Amount, Seats: 1, GrantedAt: now}
	}
	return a, nil
}

// Remove checks that userID may leave the credit at now.
func (c Credit) Remove(userID string, now time.Time) error {
	if c.Kind == catalog.CreditAnnual {
		return ErrNotRemovable
	}
	if err := c.usable(now); err != nil {
		return err
	}
	if !c.Holds(userID) {
		return ErrNotAHolder
	}
	return nil
}

// Transfer decides moving an annual credit to u at now. Transferring to the
// current holder changes nothing (Already).
func (c Credit) Transfer(u User, found bool, now time.Time) (Assignment, error) {
	if c.Kind != catalog.CreditAnnual {
		return Assignment{}, ErrNotTransferred
	}
	// The line's expiry is the deadline to assign the credit; once assigned,
	// its money is granted for the enrolment year, which decides transfers.
	if c.Revoked {
		return Assignment{}, benefit.ErrRevoked
	}
	if c.Holder == "" {
		if err := c.usable(now); err != nil {
			return Assignment{}, err
		}
		return Assignment{}, ErrNotAssigned
	}
	if !now.Before(c.EnrolmentEndsAt) {
		return Assignment{}, ErrWindowClosed.With("enrolmentEndsAt", c.EnrolmentEndsAt)
	}
	if !found {
		return Assignment{}, ErrUserNotFound
	}
	h := Holder{UserID: u.ID, Email: u.Email, DisplayName: u.DisplayName, AssignedAt: now}
	if u.ID == c.Holder {
		return Assignment{Already: true, Holder: h}, nil
	}
	if len(u.Offers) > 0 {
		return Assignment{}, ErrNotCombinable
	}
	return Assignment{Holder: h}, nil
}

// Enrolment returns the enrolment year of an annual credit assigned at t.
func Enrolment(t time.Time) (start, end time.Time) {
	return t, benefit.AddMonths(t, EnrolmentMonths)
}

// BalanceMoney is the balance with its currency.
func (c Credit) BalanceMoney() money.Money {
	return money.Money{Amount: c.Balance, Currency: c.PerSeat.Currency}
}

// After returns the credit as it is once a has been written.
func (c Credit) After(a Assignment) Credit {
	if a.Already {
		return c
	}
	c.Holders = append(slices.Clone(c.Holders), a.Holder)
	c.Seats++
	if a.FirstSeat {
		c.NextPeriod, c.DueFor = a.NextPeriod, a.NextPeriod
	}
	if a.Grant != nil {
		c.Holder = a.Holder.UserID
		c.EnrolledAt, c.EnrolmentEndsAt = Enrolment(a.Holder.AssignedAt)
		c.Balance += a.Grant.Amount
		c.Grants = append(slices.Clone(c.Grants), *a.Grant)
	}
	return c
}

// AfterTransfer returns the credit once it moved to a.Holder.
func (c Credit) AfterTransfer(a Assignment) Credit {
	if a.Already {
		return c
	}
	from := c.Holder
	c.Holders = slices.DeleteFunc(slices.Clone(c.Holders), func(h Holder) bool { return h.UserID == from })
	c.Holders = append(c.Holders, a.Holder)
	c.Holder = a.Holder.UserID
	return c
}
