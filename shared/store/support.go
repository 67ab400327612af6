package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/pbs/benefits/shared/advisory"
	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/support"
)

// supportItem is a partner's support contract, written once.
type supportItem struct {
	PK          string
	SK          string
	Type        string    `dynamodbav:"type"`
	AccessID    string    `dynamodbav:"accessId"`
	ContractID  string    `dynamodbav:"contractId"`
	ActivatedAt time.Time `dynamodbav:"activatedAt"`
	ActivatedBy string    `dynamodbav:"activatedBy"`
	// GSI2: in the partner's holdings (contractDraw).
	GSI2PK string `dynamodbav:",omitempty"`
	GSI2SK string `dynamodbav:",omitempty"`
}

func (i supportItem) domain() support.Activation {
	return support.Activation{AccessID: i.AccessID, ContractID: i.ContractID, ActivatedAt: i.ActivatedAt, ActivatedBy: i.ActivatedBy}
}

// Stores of the support and advisory use cases.
var (
	_ support.Store  = (*Store)(nil)
	_ advisory.Store = (*Store)(nil)
)

// SupportHoldings reads what the support summary shows of a partner, its
// contract and the lines that can still be drawn on: one Query of GSI2
// (readHoldings), whatever the partner's size.
func (s *Store) SupportHoldings(ctx context.Context, partnerID string) (support.Holdings, error) {
	h, err := s.readHoldings(ctx, partnerID, false)
	return support.Holdings{Lines: h.lines, Activation: h.activation}, err
}

// supportDecision reads what the support rules decide on: the summary's
// holdings and the partner's best active purchase (a second Query, in
// parallel).
func (s *Store) supportDecision(ctx context.Context, partnerID string) (support.Holdings, error) {
	h, err := s.readHoldings(ctx, partnerID, true)
	return support.Holdings{Purchases: h.purchases, Lines: h.lines, Activation: h.activation}, err
}

// AdvisoryHoldings reads the lines the advisory balance counts: one Query
// of GSI2, as SupportHoldings.
func (s *Store) AdvisoryHoldings(ctx context.Context, partnerID string) (advisory.Holdings, error) {
	h, err := s.readHoldings(ctx, partnerID, false)
	return advisory.Holdings{Lines: h.lines}, err
}

// UpdateSupport runs one support change, read–decide–write: it reads the
// holdings (supportDecision), lets decide choose the change, and writes
// it with its audit event in one transaction whose conditions hold only if
// what the decision read still holds: no contract yet, or the support line
// still live with an incident left. On a lost condition the holdings are
// read and decided again (RetryConflicts, benefit.DrawAttempts rounds, then
// benefit.ErrBusy), so a racing activation answers with the winner's ids
// and a racing incident with the right refusal (no_incidents_left, …).
// decide's errors come back as they are, with nothing written.
func (s *Store) UpdateSupport(ctx context.Context, partnerID string, decide support.Decide) error {
	return Update(ctx, benefit.DrawAttempts, benefit.ErrBusy,
		func() (support.Holdings, error) { return s.supportDecision(ctx, partnerID) }, decide,
		func(_ support.Holdings, ch support.Change) error { return s.writeSupportChange(ctx, partnerID, ch) })
}

// writeSupportChange writes a decided change. Errors: ErrConflict (read
// again and decide again).
func (s *Store) writeSupportChange(ctx context.Context, partnerID string, ch support.Change) error {
	if ch.Op != support.OpNone && ch.Event.ID == "" {
		return errors.New("store: a support change without its audit event")
	}
	switch ch.Op {
	case support.OpNone:
		return nil
	case support.OpActivate:
		return s.activateSupport(ctx, partnerID, ch.Activation, ch.Event)
	case support.OpOpenIncident:
		return s.openIncident(ctx, partnerID, ch.Incident, ch.Line, ch.Event)
	}
	return fmt.Errorf("store: unknown support change %d", ch.Op)
}

// UpdateAdvisory runs one advisory request, read–decide–write, as
// UpdateSupport: the lines drawn from are fenced on their status and used
// count as read.
func (s *Store) UpdateAdvisory(ctx context.Context, partnerID string, decide advisory.Decide) error {
	return Update(ctx, benefit.DrawAttempts, benefit.ErrBusy,
		func() (advisory.Holdings, error) {
			h, err := s.readHoldings(ctx, partnerID, true)
			return advisory.Holdings{Purchases: h.purchases, Lines: h.lines}, err
		}, decide,
		func(_ advisory.Holdings, ch advisory.Change) error {
			if ch.Event.ID == "" || len(ch.Request.Takes) == 0 {
				return errors.New("store: an advisory request without its audit event or hours")
			}
			return s.requestAdvisory(ctx, partnerID, ch.Request, ch.Event)
		})
}

// activateSupport writes the partner's contract, only if it has none, with
// its audit event. Errors: ErrConflict (one exists now: read it).
func (s *Store) activateSupport(ctx context.Context, partnerID string, a support.Activation, ev audit.Event) (err error) {
	defer wrap(&err, "activate support of %s", partnerID)
	item, err := attributevalue.MarshalMap(supportItem{PK: partnerPK(partnerID), SK: supportSK, Type: typeSupport,
		AccessID: a.AccessID, ContractID: a.ContractID, ActivatedAt: a.ActivatedAt, ActivatedBy: a.ActivatedBy,
		GSI2PK: holdingsPK(partnerID), GSI2SK: contractDraw})
	if err != nil {
		return err
	}
	record, err := s.auditPut(ev)
	if err != nil {
		return err
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		put(s.table, item, notExists), record}})
	if cancelReasons(err) != nil {
		return ErrConflict
	}
	return err
}

// liveStatuses are the statuses of a line that can still be drawn from.
var liveStatuses = []string{string(benefit.Available), string(benefit.Activated), string(benefit.Pending), string(benefit.Active)}

// drawWrite takes n units of a line: used moves up by n only while the line
// is live and keeps at least 0 left, so concurrent draws never overdraw.
func (s *Store) drawWrite(partnerID string, t benefit.Take) types.TransactWriteItem {
	values := map[string]types.AttributeValue{":n": numberAttr(int64(t.Amount)), ":max": numberAttr(int64(t.Line.Quantity - t.Amount))}
	return update(s.table, key(partnerPK(partnerID), benefitSK(t.Line.ID)), "ADD used :n", "used <= :max AND "+liveCond(values),
		map[string]string{"#status": "status"}, values)
}

// liveCond is the condition "#status is live", its values added to values.
func liveCond(values map[string]types.AttributeValue) string {
	keys := make([]string, len(liveStatuses))
	for i, st := range liveStatuses {
		keys[i] = fmt.Sprintf(":s%d", i)
		values[keys[i]] = stringAttr(st)
	}
	return "#status IN (" + strings.Join(keys, ", ") + ")"
}

// incidentItem is one support incident.
type incidentItem struct {
	PK             string
	SK             string
	Type           string    `dynamodbav:"type"`
	ID             string    `dynamodbav:"id"`
	Category       string    `dynamodbav:"category"`
	Product        string    `dynamodbav:"product"`
	ProductVersion string    `dynamodbav:"productVersion,omitempty"`
	BenefitID      string    `dynamodbav:"benefitId"`
	OpenedBy       string    `dynamodbav:"openedBy"`
	OpenedAt       time.Time `dynamodbav:"openedAt"`
	Status         string    `dynamodbav:"status"`
}

// Incidents pages through a partner's incidents, newest first: one Query of
// its INCIDENT# items backwards (ids are time-ordered), limit+1 to know
// whether a next page exists (page).
func (s *Store) Incidents(ctx context.Context, partnerID string, limit int, cursor string) (out []support.Incident, next string, err error) {
	defer wrap(&err, "incidents of %s", partnerID)
	pk := partnerPK(partnerID)
	in := s.prefixQuery(pk, incidentPrefix)
	in.ScanIndexForward = aws.Bool(false)
	items, next, err := page(ctx, s, in, pageOf[*incidentItem]{list: "incidents",
		startKey: func(id string) (map[string]types.AttributeValue, error) {
			if !idPosition(id) {
				return nil, ErrBadCursor
			}
			return key(pk, incidentSK(id)), nil
		},
		position: func(it *incidentItem) string { return it.ID }}, limit, cursor)
	if err != nil {
		return nil, "", err
	}
	for _, it := range items {
		out = append(out, support.Incident{ID: it.ID, PartnerID: partnerID, Category: support.Category(it.Category), Product: it.Product,
			ProductVersion: it.ProductVersion, BenefitID: it.BenefitID, OpenedBy: it.OpenedBy, OpenedAt: it.OpenedAt})
	}
	return out, next, nil
}

// openIncident records an incident and counts it against line in one
// transaction. Errors: ErrConflict (the line changed: read again).
func (s *Store) openIncident(ctx context.Context, partnerID string, in support.Incident, line benefit.Benefit, ev audit.Event) (err error) {
	defer wrap(&err, "open incident on %s", line.ID)
	item, err := attributevalue.MarshalMap(incidentItem{PK: partnerPK(partnerID), SK: incidentSK(in.ID), Type: typeIncident, ID: in.ID,
		Category: string(in.Category), Product: in.Product, ProductVersion: in.ProductVersion, BenefitID: line.ID,
		OpenedBy: in.OpenedBy, OpenedAt: in.OpenedAt, Status: "open"})
	if err != nil {
		return err
	}
	return s.drawTransaction(ctx, partnerID, []benefit.Take{{Line: line, Amount: 1}}, item, ev)
}

// drawTransaction draws from lines and puts the request that drew, with
// its audit event. Errors: ErrConflict.
func (s *Store) drawTransaction(ctx context.Context, partnerID string, takes []benefit.Take, item map[string]types.AttributeValue, ev audit.Event) error {
	record, err := s.auditPut(ev)
	if err != nil {
		return err
	}
	var writes []types.TransactWriteItem
	for _, t := range takes {
		writes = append(writes, s.drawWrite(partnerID, t))
	}
	writes = append(writes, put(s.table, item, notExists), record)
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: writes})
	if cancelReasons(err) != nil {
		return ErrConflict
	}
	return err
}

// advisoryItem is one request for advisory hours.
type advisoryItem struct {
	PK          string
	SK          string
	Type        string         `dynamodbav:"type"`
	ID          string         `dynamodbav:"id"`
	Topic       string         `dynamodbav:"topic"`
	Hours       int            `dynamodbav:"hours"`
	RequestedBy string         `dynamodbav:"requestedBy"`
	RequestedAt time.Time      `dynamodbav:"requestedAt"`
	Takes       map[string]int `dynamodbav:"takes"` // benefit id → hours
}

// requestAdvisory records a request and takes its hours off the lines it
// was decided to draw from, in one transaction. Errors: ErrConflict.
func (s *Store) requestAdvisory(ctx context.Context, partnerID string, r advisory.Request, ev audit.Event) (err error) {
	defer wrap(&err, "request %d advisory hours", r.Hours)
	takes := map[string]int{}
	for _, t := range r.Takes {
		takes[t.Line.ID] = t.Amount
	}
	item, err := attributevalue.MarshalMap(advisoryItem{PK: partnerPK(partnerID), SK: advisorySK(r.ID), Type: typeAdvisory, ID: r.ID,
		Topic: r.Topic, Hours: r.Hours, RequestedBy: r.RequestedBy, RequestedAt: r.RequestedAt, Takes: takes})
	if err != nil {
		return err
	}
	return s.drawTransaction(ctx, partnerID, r.Takes, item, ev)
}

// AdvisoryRequests lists a partner's requests, newest first, one page.
func (s *Store) AdvisoryRequests(ctx context.Context, partnerID string, limit int, cursor string) (rs []advisory.Request, next string, err error) {
	defer wrap(&err, "advisory requests of %s", partnerID)
	pk := partnerPK(partnerID)
	in := s.prefixQuery(pk, advisoryPrefix)
	in.ScanIndexForward = aws.Bool(false)
	items, next, err := page(ctx, s, in, pageOf[*advisoryItem]{list: "advisory",
		startKey: func(id string) (map[string]types.AttributeValue, error) {
			if !idPosition(id) {
				return nil, ErrBadCursor
			}
			return key(pk, advisorySK(id)), nil
		},
		position: func(it *advisoryItem) string { return it.ID }}, limit, cursor)
	if err != nil {
		return nil, "", err
	}
	for _, it := range items {
		r := advisory.Request{ID: it.ID, PartnerID: partnerID, Topic: it.Topic, Hours: it.Hours, RequestedBy: it.RequestedBy, RequestedAt: it.RequestedAt}
		for id, n := range it.Takes {
			r.Takes = append(r.Takes, benefit.Take{Line: benefit.Benefit{ID: id}, Amount: n})
		}
		rs = append(rs, r)
	}
	return rs, next, nil
}
