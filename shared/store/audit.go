package store

import (
	"context"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/mail"
	"github.com/pbs/benefits/shared/table"
)

// auditItem is one history entry. It is written once, inside the
// transaction of the change it records, and never updated.
type auditItem struct {
	PK        string
	SK        string
	Type      string            `dynamodbav:"type"`
	ID        string            `dynamodbav:"id"`
	At        time.Time         `dynamodbav:"at"`
	Actor     string            `dynamodbav:"actor"`
	Action    string            `dynamodbav:"action"`
	BenefitID string            `dynamodbav:"benefitId,omitempty"`
	UserID    string            `dynamodbav:"userId,omitempty"`
	Detail    map[string]string `dynamodbav:"detail,omitempty"`
	GSI1PK    string            `dynamodbav:",omitempty"`
	GSI1SK    string            `dynamodbav:",omitempty"`
}

// auditPut is the Put of an event, for the transaction of its change.
func (s *Store) auditPut(e audit.Event) (types.TransactWriteItem, error) {
	it := auditItem{PK: partnerPK(e.PartnerID), SK: auditSK(e.At, e.ID), Type: typeAudit, ID: e.ID, At: e.At.UTC(),
		Actor: e.Actor, Action: string(e.Action), BenefitID: e.BenefitID, UserID: e.UserID, Detail: e.Detail}
	if e.BenefitID != "" {
		it.GSI1PK, it.GSI1SK = auditBenefitPK(e.PartnerID, e.BenefitID), it.SK
	}
	item, err := attributevalue.MarshalMap(it)
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	return put(s.table, item, notExists), nil
}

// mailAndAudit are the two items a change that owes an email writes in its
// own transaction: the outbox message and the audit event, in that order.
func (s *Store) mailAndAudit(m mail.Message, e audit.Event) ([]types.TransactWriteItem, error) {
	msg, err := s.outboxPut(m)
	if err != nil {
		return nil, err
	}
	record, err := s.auditPut(e)
	if err != nil {
		return nil, err
	}
	return []types.TransactWriteItem{msg, record}, nil
}

// Audit lists a partner's events newest first, all of them or one benefit's
// (from GSI1), one page of at most limit. The cursor is the last event's
// sort key, rebuilt into a start key under the caller's own partition, so a
// cursor can never reach another partner's events.
func (s *Store) Audit(ctx context.Context, partnerID, benefitID string, limit int, cursor string) (es []audit.Event, next string, err error) {
	defer wrap(&err, "audit of %s", partnerID)
	pk := partnerPK(partnerID)
	in := s.prefixQuery(pk, auditPrefix)
	if benefitID != "" {
		in = s.gsi1Query(auditBenefitPK(partnerID, benefitID))
	}
	in.ScanIndexForward = aws.Bool(false)
	items, next, err := page(ctx, s, in, pageOf[*auditItem]{list: "audit:" + benefitID,
		startKey: func(sk string) (map[string]types.AttributeValue, error) {
			if !strings.HasPrefix(sk, auditPrefix) || len(sk) > 200 {
				return nil, ErrBadCursor
			}
			start := key(pk, sk)
			if benefitID != "" {
				start[table.GSI1PK], start[table.GSI1SK] = stringAttr(auditBenefitPK(partnerID, benefitID)), stringAttr(sk)
			}
			return start, nil
		},
		position: func(it *auditItem) string { return it.SK }}, limit, cursor)
	if err != nil {
		return nil, "", err
	}
	for _, it := range items {
		es = append(es, audit.Event{ID: it.ID, PartnerID: partnerID, At: it.At, Actor: it.Actor, Action: audit.Action(it.Action),
			BenefitID: it.BenefitID, UserID: it.UserID, Detail: it.Detail})
	}
	return es, next, nil
}
