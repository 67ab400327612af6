package store

import (
	"context"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/pbs/benefits/shared/mail"
	"github.com/pbs/benefits/shared/table"
)

// outboxItem is an email owed by a state change. It is written in the same
// transaction as the change; while pending or sending it sits in GSI1's
// DUE#OUTBOX partition sorted by when it falls due, which the sender drains.
// Sent and dead messages leave the index (the state machine is in
// shared/mail/sender.go).
type outboxItem struct {
	PK        string
	SK        string
	Type      string            `dynamodbav:"type"`
	ID        string            `dynamodbav:"id"`
	To        []string          `dynamodbav:"to,omitempty"`
	AdminsOf  string            `dynamodbav:"adminsOf,omitempty"` // an audience, resolved by the sender
	Template  string            `dynamodbav:"template"`
	Language  string            `dynamodbav:"language"`
	Data      map[string]string `dynamodbav:"data"`
	CreatedAt time.Time         `dynamodbav:"createdAt"`
	Status    string            `dynamodbav:"status"` // mail.Status*
	Attempts  int               `dynamodbav:"attempts"`
	// DueAt (epoch milliseconds) is when the message may next be claimed:
	// its creation, its retry time or the end of a sender's lease. A number,
	// because conditions compare it and RFC 3339 strings do not sort within
	// a second. While sending it doubles as the lease's fencing token.
	DueAt     int64  `dynamodbav:"dueAt"`
	LastError string `dynamodbav:"lastError,omitempty"`
	GSI1PK    string `dynamodbav:",omitempty"`
	GSI1SK    string `dynamodbav:",omitempty"`
}

func (s *Store) outboxPut(m mail.Message) (types.TransactWriteItem, error) {
	item, err := outboxItemOf(m)
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	return put(s.table, item, notExists), nil
}

// outboxItemOf is a new pending message's item; a message the outbox must
// not hold (mail.Message.Validate) is an error.
func outboxItemOf(m mail.Message) (map[string]types.AttributeValue, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return attributevalue.MarshalMap(outboxItem{
		PK: outboxPK(m.ID), SK: outboxSK, Type: typeOutbox, ID: m.ID, To: m.To, AdminsOf: m.AdminsOf, Template: m.Template,
		Language: m.Language, Data: m.Data, CreatedAt: m.CreatedAt, Status: mail.StatusPending,
		DueAt: m.CreatedAt.UnixMilli(), GSI1PK: outboxDuePK(m.ID), GSI1SK: outboxDueSK(m.CreatedAt, m.ID),
	})
}

// outboxDueSK sorts the due index by due time: fixed-width UTC to the
// millisecond, so that string order is time order.
func outboxDueSK(due time.Time, id string) string {
	return due.UTC().Format(dueLayout) + "#" + id
}

const dueLayout = "2006-01-02T15:04:05.000Z"

func (i outboxItem) queued() mail.Queued {
	return mail.Queued{
		Message: mail.Message{ID: i.ID, To: i.To, AdminsOf: i.AdminsOf, Template: i.Template, Language: i.Language, Data: i.Data,
			CreatedAt: i.CreatedAt},
		Status: i.Status, Attempts: i.Attempts, DueAt: time.UnixMilli(i.DueAt).UTC(),
	}
}

// PendingMail returns up to limit unsent messages due at now, earliest due
// first: one Query of each GSI1 outbox shard up to now (limit items each,
// all at once), merged. Messages in backoff or under a live lease sort
// after now and are not returned.
func (s *Store) PendingMail(ctx context.Context, now time.Time, limit int) (out []mail.Queued, err error) {
	defer wrap(&err, "pending mail")
	if limit <= 0 {
		limit = 25
	}
	limit = min(limit, 1000)
	pages, err := s.queryShards(ctx, shardKeys(outboxDuePrefix, outboxShards), func(ctx context.Context, pk string) ([]map[string]types.AttributeValue, error) {
		res, err := s.db.Query(ctx, &dynamodb.QueryInput{
			TableName:              aws.String(s.table),
			IndexName:              aws.String(table.GSI1),
			KeyConditionExpression: aws.String("#pk = :pk AND #sk < :upto"),
			ExpressionAttributeNames: map[string]string{
				"#pk": table.GSI1PK, "#sk": table.GSI1SK,
			},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":pk": &types.AttributeValueMemberS{Value: pk},
				// '$' sorts right after '#': every id due at this millisecond.
				":upto": &types.AttributeValueMemberS{Value: now.UTC().Format(dueLayout) + "$"},
			},
			Limit: aws.Int32(int32(limit)),
		})
		if err != nil {
			return nil, err
		}
		return res.Items, nil
	})
	if err != nil {
		return nil, err
	}
	for _, raw := range mergeByDue(pages) {
		if len(out) == limit {
			break
		}
		var it outboxItem
		if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
			return nil, err
		}
		out = append(out, it.queued())
	}
	return out, nil
}

// ClaimMail leases a due message to the caller until now+lease: a
// conditional update from pending (due) or from sending with a lapsed lease,
// so of any number of concurrent claimers exactly one wins. The item stays
// in the due index under the lease's end, so a sender that crashes leaves a
// message that falls due again. Errors: mail.ErrNotClaimable.
func (s *Store) ClaimMail(ctx context.Context, id string, now time.Time, lease time.Duration) (c mail.Claim, err error) {
	defer wrap(&err, "claim mail %s", id)
	// The lease end must grow with every claim to fence older claimers.
	until := now.Add(max(lease, time.Millisecond))
	res, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(s.table),
		Key:                 key(outboxPK(id), outboxSK),
		ConditionExpression: aws.String("attribute_exists(#gsi1pk) AND #status IN (:pending, :sending) AND dueAt <= :now"),
		UpdateExpression:    aws.String("SET #status = :sending, dueAt = :until, #gsi1sk = :sk"),
		ExpressionAttributeNames: map[string]string{
			"#status": "status", "#gsi1pk": table.GSI1PK, "#gsi1sk": table.GSI1SK,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pending": &types.AttributeValueMemberS{Value: mail.StatusPending},
			":sending": &types.AttributeValueMemberS{Value: mail.StatusSending},
			":now":     millis(now),
			":until":   millis(until),
			":sk":      &types.AttributeValueMemberS{Value: outboxDueSK(until, id)},
		},
		ReturnValues: types.ReturnValueAllNew,
	})
	if isConditionFailed(err) {
		return mail.Claim{}, mail.ErrNotClaimable
	}
	if err != nil {
		return mail.Claim{}, err
	}
	var it outboxItem
	if err := attributevalue.UnmarshalMap(res.Attributes, &it); err != nil {
		return mail.Claim{}, err
	}
	q := it.queued()
	return mail.Claim{Queued: q, Until: q.DueAt}, nil
}

// MarkMailSent moves a claimed message to sent and out of the due index.
// Errors: mail.ErrLeaseLost when another sender has claimed it since.
func (s *Store) MarkMailSent(ctx context.Context, c mail.Claim, now time.Time) (err error) {
	defer wrap(&err, "mark mail %s sent", c.ID)
	return s.markClaimed(ctx, c, "SET #status = :sent, sentAt = :now REMOVE #gsi1pk, #gsi1sk",
		map[string]string{"#gsi1pk": table.GSI1PK, "#gsi1sk": table.GSI1SK},
		map[string]types.AttributeValue{":sent": stringAttr(mail.StatusSent), ":now": timeValue(now)})
}

// markClaimed applies update to a message only while c's lease holds (still
// sending, due at the lease's end), the fence of every mark after a claim.
// names and values are update's own; the fence adds its own to them.
// Errors: mail.ErrLeaseLost when another sender has claimed it since.
func (s *Store) markClaimed(ctx context.Context, c mail.Claim, update string, names map[string]string, values map[string]types.AttributeValue) error {
	names["#status"] = "status"
	values[":sending"], values[":lease"] = stringAttr(mail.StatusSending), millis(c.Until)
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.table),
		Key:                       key(outboxPK(c.ID), outboxSK),
		ConditionExpression:       aws.String("#status = :sending AND dueAt = :lease"),
		UpdateExpression:          aws.String(update),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	})
	if isConditionFailed(err) {
		return mail.ErrLeaseLost
	}
	return err
}

// MarkMailFailed records a failed attempt: the message returns to pending,
// due again at f.RetryAt, or becomes dead and leaves the due index.
// Errors: mail.ErrLeaseLost when another sender has claimed it since.
func (s *Store) MarkMailFailed(ctx context.Context, c mail.Claim, f mail.Failure) (err error) {
	defer wrap(&err, "mark mail %s failed", c.ID)
	values := map[string]types.AttributeValue{
		":attempts": &types.AttributeValueMemberN{Value: strconv.Itoa(f.Attempts)},
		":error":    &types.AttributeValueMemberS{Value: f.Error},
		":at":       timeValue(f.At),
	}
	names := map[string]string{}
	var update string
	if f.Dead {
		update = "SET #status = :dead, attempts = :attempts, lastError = :error, failedAt = :at REMOVE #gsi1pk, #gsi1sk"
		values[":dead"] = &types.AttributeValueMemberS{Value: mail.StatusDead}
		names["#gsi1pk"], names["#gsi1sk"] = table.GSI1PK, table.GSI1SK
	} else {
		update = "SET #status = :pending, attempts = :attempts, lastError = :error, failedAt = :at, dueAt = :retry, #gsi1sk = :sk"
		values[":pending"] = &types.AttributeValueMemberS{Value: mail.StatusPending}
		values[":retry"] = millis(f.RetryAt)
		values[":sk"] = &types.AttributeValueMemberS{Value: outboxDueSK(f.RetryAt, c.ID)}
		names["#gsi1sk"] = table.GSI1SK
	}
	return s.markClaimed(ctx, c, update, names, values)
}

// SplitMail writes the parts of a claimed message addressed to an
// audience, each put only if absent (a split repeated after a crash or a
// lapsed lease writes nothing twice), then moves the message to split and
// out of the due index, fenced by its lease like the other marks.
// Errors: mail.ErrLeaseLost.
func (s *Store) SplitMail(ctx context.Context, c mail.Claim, parts []mail.Message, now time.Time) (err error) {
	defer wrap(&err, "split mail %s", c.ID)
	for _, p := range parts {
		item, err := outboxItemOf(p)
		if err != nil {
			return err
		}
		_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: item,
			ConditionExpression: aws.String(notExists)})
		if err != nil && !isConditionFailed(err) {
			return err
		}
	}
	return s.markClaimed(ctx, c, "SET #status = :split, parts = :parts, splitAt = :now REMOVE #gsi1pk, #gsi1sk",
		map[string]string{"#gsi1pk": table.GSI1PK, "#gsi1sk": table.GSI1SK},
		map[string]types.AttributeValue{":split": stringAttr(mail.StatusSplit), ":parts": numberAttr(int64(len(parts))), ":now": timeValue(now)})
}

// OutboxMail returns one outbox message with its state, for tests and
// support. Errors: apperr.ErrNotFound.
func (s *Store) OutboxMail(ctx context.Context, id string) (q mail.Queued, err error) {
	defer wrap(&err, "get mail %s", id)
	var it outboxItem
	if err := s.get(ctx, outboxPK(id), outboxSK, &it); err != nil {
		return mail.Queued{}, err
	}
	return it.queued(), nil
}

func millis(t time.Time) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(t.UnixMilli(), 10)}
}
