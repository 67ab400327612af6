package store

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/pbs/benefits/shared/advisory"
	"github.com/pbs/benefits/shared/apperr"
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
}

func (i supportItem) domain() support.Activation {
	return support.Activation{AccessID: i.AccessID, ContractID: i.ContractID, ActivatedAt: i.ActivatedAt, ActivatedBy: i.ActivatedBy}
}

// ActivateSupport writes the partner's contract once, with its audit event.
// When one exists already (an earlier or a racing activation) it returns
// that one and created = false, so every caller gets the same ids.
func (s *Store) ActivateSupport(ctx context.Context, partnerID string, a support.Activation, ev audit.Event) (got support.Activation, created bool, err error) {
	defer wrap(&err, "activate support of %s", partnerID)
	item, err := attributevalue.MarshalMap(supportItem{PK: partnerPK(partnerID), SK: supportSK, Type: typeSupport,
		AccessID: a.AccessID, ContractID: a.ContractID, ActivatedAt: a.ActivatedAt, ActivatedBy: a.ActivatedBy})
	if err != nil {
		return got, false, err
	}
	record, err := s.auditPut(ev)
	if err != nil {
		return got, false, err
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		put(s.table, item, notExists), record}})
	if failedAt(cancelReasons(err), 0) {
		existing, found, rerr := s.Support(ctx, partnerID)
		if rerr != nil || !found {
			return got, false, errors.Join(err, rerr)
		}
		return existing, false, nil
	}
	if err != nil {
		return got, false, err
	}
	return a, true, nil
}

// Support reads the partner's contract (found = false before activation).
func (s *Store) Support(ctx context.Context, partnerID string) (a support.Activation, found bool, err error) {
	defer wrap(&err, "support of %s", partnerID)
	var it supportItem
	switch err := s.get(ctx, partnerPK(partnerID), supportSK, &it); {
	case errors.Is(err, apperr.ErrNotFound):
		return a, false, nil
	case err != nil:
		return a, false, err
	}
	return it.domain(), true, nil
}

// liveStatuses are the statuses of a line that can still be drawn from.
var liveStatuses = []string{string(benefit.Available), string(benefit.Activated), string(benefit.Pending), string(benefit.Active)}

// drawWrite takes n units of a line: used moves up by n only while the line
// is live and keeps at least 0 left, so concurrent draws never overdraw.
func (s *Store) drawWrite(t benefit.Take) types.TransactWriteItem {
	values := map[string]types.AttributeValue{":n": nv(int64(t.Amount)), ":max": nv(int64(t.Line.Quantity - t.Amount))}
	cond := "used <= :max AND #status IN ("
	for i, st := range liveStatuses {
		k := ":s" + string(rune('0'+i))
		values[k] = sv(st)
		if i > 0 {
			cond += ", "
		}
		cond += k
	}
	return update(s.table, key(partnerPK(t.Line.PartnerID), benefitSK(t.Line.ID)), "ADD used :n", cond+")",
		map[string]string{"#status": "status"}, values)
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

// OpenIncident records an incident and counts it against line in one
// transaction. Errors: ErrBenefitChanged (the line changed: read again).
func (s *Store) OpenIncident(ctx context.Context, in support.Incident, line benefit.Benefit, ev audit.Event) (err error) {
	defer wrap(&err, "open incident on %s", line.ID)
	item, err := attributevalue.MarshalMap(incidentItem{PK: partnerPK(in.PartnerID), SK: incidentSK(in.ID), Type: typeIncident, ID: in.ID,
		Category: string(in.Category), Product: in.Product, ProductVersion: in.ProductVersion, BenefitID: line.ID,
		OpenedBy: in.OpenedBy, OpenedAt: in.OpenedAt, Status: "open"})
	if err != nil {
		return err
	}
	return s.drawTransaction(ctx, []benefit.Take{{Line: line, Amount: 1}}, item, ev)
}

// drawTransaction draws from lines and puts the request that drew, with
// its audit event. Errors: ErrBenefitChanged.
func (s *Store) drawTransaction(ctx context.Context, takes []benefit.Take, item map[string]types.AttributeValue, ev audit.Event) error {
	record, err := s.auditPut(ev)
	if err != nil {
		return err
	}
	var writes []types.TransactWriteItem
	for _, t := range takes {
		writes = append(writes, s.drawWrite(t))
	}
	writes = append(writes, put(s.table, item, notExists), record)
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: writes})
	if cancelReasons(err) != nil {
		return ErrBenefitChanged
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

// RequestAdvisory records a request and takes its hours off the lines it
// was decided to draw from, in one transaction. Errors: ErrBenefitChanged.
func (s *Store) RequestAdvisory(ctx context.Context, r advisory.Request, ev audit.Event) (err error) {
	defer wrap(&err, "request %d advisory hours", r.Hours)
	takes := map[string]int{}
	for _, t := range r.Takes {
		takes[t.Line.ID] = t.Amount
	}
	item, err := attributevalue.MarshalMap(advisoryItem{PK: partnerPK(r.PartnerID), SK: advisorySK(r.ID), Type: typeAdvisory, ID: r.ID,
		Topic: r.Topic, Hours: r.Hours, RequestedBy: r.RequestedBy, RequestedAt: r.RequestedAt, Takes: takes})
	if err != nil {
		return err
	}
	return s.drawTransaction(ctx, r.Takes, item, ev)
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
