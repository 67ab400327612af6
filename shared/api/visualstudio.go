package api

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/httpapi"
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

// visualStudio is the Visual Studio use cases over the service's store.
func (s *Service) visualStudio() visualstudio.Seats {
	return visualstudio.Seats{Store: s.Store, NewID: s.NewID}
}

// assignVisualStudio gives a user a seat (201), or moves replacesUserId's
// seat to them (201); 200 when the user already holds the seat.
func (s *Service) assignVisualStudio(ctx context.Context, r *httpapi.Request, in seatRow) (httpapi.Response, error) {
	benefitID := r.Path("benefitId")
	if err := checkRow(in); err != nil {
		return httpapi.Response{}, err
	}
	c, err := s.visualStudio().Assign(ctx, r.Caller.PartnerID, r.Caller.UserID, benefitID,
		visualstudio.Row{UserID: in.UserID, ReplacesUserID: in.ReplacesUserID}, s.Clock.Now())
	if err != nil {
		return httpapi.Response{}, err
	}
	status := http.StatusCreated
	if c.Kind == visualstudio.Unchanged {
		status = http.StatusOK
	}
	out := struct {
		BenefitID string `json:"benefitId"`
		assignmentView
		ReplacedUserID string `json:"replacedUserId,omitempty"`
	}{BenefitID: benefitID, assignmentView: viewAssignment(c.Seat), ReplacedUserID: c.From.UserID}
	return httpapi.JSON(status, out)
}

// checkRow validates one row's fields: a missing or over-long userId is a
// 400; an id this service could never have issued is simply not in the
// directory.
func checkRow(row seatRow) error {
	var f apperr.Fields
	if row.UserID == "" {
		f.Add("userId", apperr.Required, "required")
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
	// Rows that fail validation are reported, not sent to the rules.
	in := make([]visualstudio.Row, len(rows))
	for i, row := range rows {
		in[i] = visualstudio.Row{UserID: row.UserID, ReplacesUserID: row.ReplacesUserID, Err: checkRow(row)}
	}
	res, err := s.visualStudio().AssignMany(ctx, r.Caller.PartnerID, r.Caller.UserID, benefitID, in, s.Clock.Now())
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, viewBulk(benefitID, rows, res))
}

// bulkView is the report of a bulk request: every row and a summary.
type bulkView struct {
	BenefitID string         `json:"benefitId"`
	Summary   map[string]int `json:"summary"`
	Rows      []bulkRowView  `json:"rows"`
}

func viewBulk(benefitID string, rows []seatRow, res []visualstudio.Result) bulkView {
	out := bulkView{BenefitID: benefitID, Summary: map[string]int{"rows": len(rows), "assigned": 0, "reassigned": 0, "unchanged": 0, "failed": 0},
		Rows: make([]bulkRowView, len(rows))}
	for i, rr := range res {
		v := &out.Rows[i]
		*v = bulkRowView{Row: i + 1, UserID: rows[i].UserID, ReplacesUserID: rows[i].ReplacesUserID}
		switch {
		case rr.Err != nil:
			v.Result, v.Error = "failed", httpapi.ProblemOf(rr.Err)
		case rr.Change.Kind == visualstudio.Unchanged:
			v.Result = "unchanged"
		case rr.Change.Kind == visualstudio.Move:
			v.Result = "reassigned"
		default:
			v.Result = "assigned"
		}
		if rr.Err == nil {
			a := viewAssignment(rr.Change.Seat)
			v.Assignment = &a
		}
		out.Summary[v.Result]++
	}
	return out
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
		f.Add("assignments", apperr.Required, "at least one row is required")
	case len(rows) > maxBulkRows:
		f.Add("assignments", apperr.OutOfRange, fmt.Sprintf("at most %d rows per request", maxBulkRows))
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
		f.Add("body", apperr.Format, msg)
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
	err := s.visualStudio().Remove(ctx, r.Caller.PartnerID, r.Caller.UserID, r.Path("benefitId"), r.Path("userId"), s.Clock.Now())
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.Response{StatusCode: http.StatusNoContent, Headers: map[string]string{}}, nil
}

// listVisualStudio pages through who holds the subscription's seats.
func (s *Service) listVisualStudio(ctx context.Context, r *httpapi.Request) (httpapi.Response, error) {
	limit, cursor, err := r.Paging()
	if err != nil {
		return httpapi.Response{}, err
	}
	p, err := s.visualStudio().List(ctx, r.Caller.PartnerID, r.Path("benefitId"), limit, cursor)
	if err != nil {
		return httpapi.Response{}, err
	}
	line := p.Line
	return httpapi.JSON(http.StatusOK, struct {
		BenefitID string `json:"benefitId"`
		Product   string `json:"product"`
		Quantity  int    `json:"quantity"`
		Used      int    `json:"used"`
		Status    string `json:"status"`
		page[assignmentView]
	}{line.ID, line.Product, line.Quantity, line.Used, string(line.EffectiveStatus(s.Clock.Now())), pageOf(p.Seats, p.Next, viewAssignment)})
}
