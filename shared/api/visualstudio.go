package api

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/httpapi"
	"github.com/pbs/benefits/shared/partner"
	"github.com/pbs/benefits/shared/store"
	"github.com/pbs/benefits/shared/visualstudio"
)

type assignmentView struct {
	UserID         string    `json:"userId"`
	Email          string    `json:"email"`
	DisplayName    string    `json:"displayName"`
	AssignedAt     time.Time `json:"assignedAt"`
	ReassignableAt time.Time `json:"reassignableAt"`
}

func viewAssignment(s visualstudio.Seat) assignmentView {
	return assignmentView{UserID: s.UserID, Email: s.Email, DisplayName: s.DisplayName, AssignedAt: s.AssignedAt,
		ReassignableAt: s.ReassignableAt()}
}

// seatRow is one requested assignment: the body of a single POST, or one
// row of a bulk request.
type seatRow struct {
	UserID         string `json:"userId"`
	ReplacesUserID string `json:"replacesUserId,omitempty"`
}

// seatResult is what became of one row.
type seatResult struct {
	change visualstudio.Change
	err    error
	done   bool
}

// errSeatsBusy: the subscription kept changing under us; the client retries.
var errSeatsBusy = apperr.New(apperr.Conflict, "seats_busy", "This subscription is being changed by other requests; retry.")

// assignSeats decides and writes rows in order against one consistent read
// of the subscription and of the users the rows name. A row the rules
// refuse gets its error; the others are written, each all or nothing. When
// a write loses a race, everything from the first unwritten row on is read
// and decided again (at most seatAttempts rounds).
func (s *Service) assignSeats(ctx context.Context, r *httpapi.Request, benefitID string, rows []seatRow) ([]seatResult, error) {
	results := make([]seatResult, len(rows))
	from := 0 // rows before from are final
	for attempt := 0; from < len(rows); attempt++ {
		if attempt == seatAttempts {
			for i := from; i < len(rows); i++ {
				results[i] = seatResult{err: errSeatsBusy, done: true}
			}
			break
		}
		if attempt > 0 {
			time.Sleep(time.Duration(rand.IntN(10<<attempt)) * time.Millisecond)
		}
		var (
			sub   visualstudio.Subscription
			users map[string]partner.User
		)
		ids := make([]string, 0, len(rows)-from)
		for _, row := range rows[from:] {
			if httpapi.ValidID(row.UserID) {
				ids = append(ids, row.UserID)
			}
		}
		g, gctx := errgroup.WithContext(ctx)
		g.Go(func() (err error) { sub, err = s.Store.VisualStudio(gctx, r.Caller.PartnerID, benefitID); return err })
		if len(ids) > 0 {
			g.Go(func() (err error) { users, err = s.Store.DirectoryUsers(gctx, r.Caller.PartnerID, ids); return err })
		}
		if err := g.Wait(); err != nil {
			return nil, err
		}
		now := s.Clock.Now()
		var (
			changes []visualstudio.Change
			events  []audit.Event
			rowOf   []int
		)
		for i := from; i < len(rows); i++ {
			row := rows[i]
			u, found := users[row.UserID]
			c, err := sub.Assign(visualstudio.User{ID: u.ID, Email: u.Email, DisplayName: u.DisplayName}, found, row.ReplacesUserID, now)
			if err != nil && (errors.Is(err, apperr.ErrNotFound) || isLineError(err)) {
				return nil, err // the benefit itself: the whole request fails
			}
			results[i] = seatResult{change: c, err: err}
			if err != nil || c.Kind == visualstudio.Unchanged {
				continue
			}
			ev := s.event(r, audit.VisualStudioAssigned, benefitID).About(row.UserID, nil)
			if c.Kind == visualstudio.Move {
				ev = s.event(r, audit.VisualStudioMoved, benefitID).About(row.UserID, map[string]string{"fromUserId": c.From.UserID})
			}
			changes, events, rowOf = append(changes, c), append(events, ev), append(rowOf, i)
		}
		applied, err := s.Store.ApplySeatChanges(ctx, sub.Line, changes, events)
		switch {
		case errors.Is(err, store.ErrSeatsChanged):
			from = rowOf[applied]
		case err != nil:
			return nil, err
		default:
			from = len(rows)
		}
	}
	return results, nil
}

// isLineError: the rules refused the benefit itself (revoked, expired).
func isLineError(err error) bool {
	var e *apperr.Error
	return errors.As(err, &e) && (e.Code == "benefit_revoked" || e.Code == "benefit_expired")
}

// assignVisualStudio gives a user a seat (201), or moves replacesUserId's
// seat to them (201); 200 when the user already holds the seat.
func (s *Service) assignVisualStudio(ctx context.Context, r *httpapi.Request, in seatRow) (httpapi.Response, error) {
	benefitID := r.Path("benefitId")
	if err := checkRow(in); err != nil {
		return httpapi.Response{}, err
	}
	res, err := s.assignSeats(ctx, r, benefitID, []seatRow{in})
	if err != nil {
		return httpapi.Response{}, err
	}
	if res[0].err != nil {
		return httpapi.Response{}, res[0].err
	}
	status := http.StatusCreated
	if res[0].change.Kind == visualstudio.Unchanged {
		status = http.StatusOK
	}
	out := struct {
		BenefitID string `json:"benefitId"`
		assignmentView
		ReplacedUserID string `json:"replacedUserId,omitempty"`
	}{BenefitID: benefitID, assignmentView: viewAssignment(res[0].change.Seat), ReplacedUserID: res[0].change.From.UserID}
	return httpapi.JSON(status, out)
}

// checkRow validates one row's fields: a missing or over-long userId is a
// 400; an id this service could never have issued is simply not in the
// directory.
func checkRow(row seatRow) error {
	var f apperr.Fields
	if row.UserID == "" {
		f.Add("userId", "required")
	}
	f.Long("userId", row.UserID, httpapi.MaxIDLen)
	f.Long("replacesUserId", row.ReplacesUserID, httpapi.MaxIDLen)
	if err := f.Err(); err != nil {
		return err
	}
	if !httpapi.ValidID(row.UserID) {
		return visualstudio.ErrUserNotFound
	}
	if row.ReplacesUserID != "" && !httpapi.ValidID(row.ReplacesUserID) {
		return visualstudio.ErrNotAssigned
	}
	return nil
}

// maxBulkRows keeps a bulk report, which an Idempotency-Key stores for
// replay in one item, under the 64 KB every partner-written item stays
// under: at most 50 rows of ids of at most 128 characters, each with the
// seat's user (an email of 254 and a name of 256 characters), is about
// 185 KB of JSON at the very worst (every character escaped), stored
// compressed (see store.CompleteIdempotency) in about 35 KB;
// TestBulkReportStoredSize measures it.
const maxBulkRows = 50

type bulkRowView struct {
	Row            int             `json:"row"`
	UserID         string          `json:"userId"`
	ReplacesUserID string          `json:"replacesUserId,omitempty"`
	Result         string          `json:"result"` // assigned, reassigned, unchanged, failed
	Assignment     *assignmentView `json:"assignment,omitempty"`
	Error          map[string]any  `json:"error,omitempty"`
}

// bulkAssignVisualStudio applies a CSV or JSON list of assignments, each row
// all or nothing, and reports every row. The report is 200 even when rows
// failed: the request itself was carried out.
func (s *Service) bulkAssignVisualStudio(ctx context.Context, r *httpapi.Request) (httpapi.Response, error) {
	benefitID := r.Path("benefitId")
	rows, err := bulkRows(r)
	if err != nil {
		return httpapi.Response{}, err
	}
	line, err := s.Store.Benefit(ctx, r.Caller.PartnerID, benefitID)
	if err != nil {
		return httpapi.Response{}, err
	}
	if line.Kind != catalog.VisualStudio {
		return httpapi.Response{}, apperr.ErrNotFound
	}
	if len(rows) > line.Quantity {
		var f apperr.Fields
		f.Add("assignments", fmt.Sprintf("at most %d rows: the subscription's seat count", line.Quantity))
		return httpapi.Response{}, f.Err()
	}
	// Rows that fail validation are reported, not sent to the rules.
	out := struct {
		BenefitID string         `json:"benefitId"`
		Summary   map[string]int `json:"summary"`
		Rows      []bulkRowView  `json:"rows"`
	}{BenefitID: benefitID, Summary: map[string]int{"rows": len(rows), "assigned": 0, "reassigned": 0, "unchanged": 0, "failed": 0},
		Rows: make([]bulkRowView, len(rows))}
	var valid []seatRow
	var at []int
	for i, row := range rows {
		out.Rows[i] = bulkRowView{Row: i + 1, UserID: row.UserID, ReplacesUserID: row.ReplacesUserID}
		if err := checkRow(row); err != nil {
			out.Rows[i].Result, out.Rows[i].Error = "failed", httpapi.ProblemOf(err)
			continue
		}
		valid, at = append(valid, row), append(at, i)
	}
	res, err := s.assignSeats(ctx, r, benefitID, valid)
	if err != nil {
		return httpapi.Response{}, err
	}
	for j, rr := range res {
		v := &out.Rows[at[j]]
		switch {
		case rr.err != nil:
			v.Result, v.Error = "failed", httpapi.ProblemOf(rr.err)
		case rr.change.Kind == visualstudio.Unchanged:
			v.Result = "unchanged"
		case rr.change.Kind == visualstudio.Move:
			v.Result = "reassigned"
		default:
			v.Result = "assigned"
		}
		if rr.err == nil {
			a := viewAssignment(rr.change.Seat)
			v.Assignment = &a
		}
	}
	for _, v := range out.Rows {
		out.Summary[v.Result]++
	}
	return httpapi.JSON(http.StatusOK, out)
}

// bulkRows reads the rows of a bulk request: text/csv with a header naming
// userId and optionally replacesUserId, or JSON {"assignments": [...]}.
func bulkRows(r *httpapi.Request) ([]seatRow, error) {
	var rows []seatRow
	switch mt := r.MediaType(); {
	case mt == "text/csv":
		body, err := r.Body()
		if err != nil {
			return nil, err
		}
		if rows, err = csvRows(body); err != nil {
			return nil, err
		}
	case mt == "application/json" || strings.HasSuffix(mt, "+json"):
		var in struct {
			Assignments []seatRow `json:"assignments"`
		}
		if err := r.Decode(&in); err != nil {
			return nil, err
		}
		rows = in.Assignments
	default:
		return nil, apperr.New(apperr.Unsupported, "unsupported_media_type", "Send the rows as text/csv or application/json.")
	}
	var f apperr.Fields
	switch {
	case len(rows) == 0:
		f.Add("assignments", "at least one row is required")
	case len(rows) > maxBulkRows:
		f.Add("assignments", fmt.Sprintf("at most %d rows per request", maxBulkRows))
	}
	if len(f) > 0 {
		return nil, f.Err()
	}
	// An over-long id fails the request rather than its row, so the report
	// (stored for replay) never echoes one.
	for i, row := range rows {
		f.Long(fmt.Sprintf("assignments[%d].userId", i), row.UserID, httpapi.MaxIDLen)
		f.Long(fmt.Sprintf("assignments[%d].replacesUserId", i), row.ReplacesUserID, httpapi.MaxIDLen)
	}
	if len(f) > 0 {
		return nil, f.Err()
	}
	return rows, nil
}

// csvRows parses a CSV whose first record names the columns.
func csvRows(body []byte) ([]seatRow, error) {
	bad := func(msg string) error {
		var f apperr.Fields
		f.Add("body", msg)
		return f.Err()
	}
	rd := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))))
	rd.FieldsPerRecord = -1
	rd.TrimLeadingSpace = true
	header, err := rd.Read()
	if err != nil {
		return nil, bad("a header row naming userId (and optionally replacesUserId) is required")
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	userCol, ok := col["userid"]
	if !ok {
		return nil, bad("the header row must name a userId column")
	}
	replCol, hasRepl := col["replacesuserid"]
	var rows []seatRow
	for {
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, bad("not valid CSV: " + err.Error())
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		row := seatRow{}
		if userCol < len(rec) {
			row.UserID = strings.TrimSpace(rec[userCol])
		}
		if hasRepl && replCol < len(rec) {
			row.ReplacesUserID = strings.TrimSpace(rec[replCol])
		}
		rows = append(rows, row)
		if len(rows) > maxBulkRows {
			break
		}
	}
	return rows, nil
}

// removeVisualStudio takes a user's seat away: 204. A seat held under 90
// days stays locked until its 90 days are over (see visualstudio.Remove).
func (s *Service) removeVisualStudio(ctx context.Context, r *httpapi.Request) (httpapi.Response, error) {
	benefitID := r.Path("benefitId")
	userID := r.Path("userId")
	for attempt := range seatAttempts {
		if attempt > 0 {
			time.Sleep(time.Duration(rand.IntN(10<<attempt)) * time.Millisecond)
		}
		sub, err := s.Store.VisualStudio(ctx, r.Caller.PartnerID, benefitID)
		if err != nil {
			return httpapi.Response{}, err
		}
		c, err := sub.Remove(userID, s.Clock.Now())
		if err != nil {
			return httpapi.Response{}, err
		}
		detail := map[string]string{}
		if c.Kind == visualstudio.Release {
			detail["seatLockedUntil"] = c.Lock.ReusableAt().UTC().Format(time.RFC3339)
		}
		ev := s.event(r, audit.VisualStudioRemoved, benefitID).About(userID, detail)
		_, err = s.Store.ApplySeatChanges(ctx, sub.Line, []visualstudio.Change{c}, []audit.Event{ev})
		if errors.Is(err, store.ErrSeatsChanged) {
			continue
		}
		if err != nil {
			return httpapi.Response{}, err
		}
		return httpapi.Response{StatusCode: http.StatusNoContent, Headers: map[string]string{}}, nil
	}
	return httpapi.Response{}, errSeatsBusy
}

// listVisualStudio pages through who holds the subscription's seats.
func (s *Service) listVisualStudio(ctx context.Context, r *httpapi.Request) (httpapi.Response, error) {
	benefitID := r.Path("benefitId")
	limit, cursor, err := r.Paging()
	if err != nil {
		return httpapi.Response{}, err
	}
	line, seats, next, err := s.Store.Seats(ctx, r.Caller.PartnerID, benefitID, limit, cursor)
	if err != nil {
		return httpapi.Response{}, err
	}
	if line.Kind != catalog.VisualStudio {
		return httpapi.Response{}, apperr.ErrNotFound
	}
	return httpapi.JSON(http.StatusOK, struct {
		BenefitID string `json:"benefitId"`
		Product   string `json:"product"`
		Quantity  int    `json:"quantity"`
		Used      int    `json:"used"`
		Status    string `json:"status"`
		page[assignmentView]
	}{line.ID, line.Product, line.Quantity, line.Used, string(line.EffectiveStatus(s.Clock.Now())), pageOf(seats, next, viewAssignment)})
}
