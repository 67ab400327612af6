package store

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/pbs/benefits/shared/mail"
)

// outboxItem is an email owed by a state change. It is written in the same
// transaction as the change; while unsent it sits in GSI1's DUE#OUTBOX
// partition, which the sender drains. Sending removes it from the index.
type outboxItem struct {
	PK        string
	SK        string
	Type      string            `dynamodbav:"type"`
	ID        string            `dynamodbav:"id"`
	To        []string          `dynamodbav:"to"`
	Template  string            `dynamodbav:"template"`
	Language  string            `dynamodbav:"language"`
	Data      map[string]string `dynamodbav:"data"`
	CreatedAt time.Time         `dynamodbav:"createdAt"`
	Status    string            `dynamodbav:"status"` // pending, sent
	Attempts  int               `dynamodbav:"attempts"`
	GSI1PK    string            `dynamodbav:",omitempty"`
	GSI1SK    string            `dynamodbav:",omitempty"`
}

func (s *Store) outboxPut(m mail.Message) (types.TransactWriteItem, error) {
	item, err := attributevalue.MarshalMap(outboxItem{
		PK: outboxPK(m.ID), SK: outboxSK, Type: typeOutbox, ID: m.ID, To: m.To, Template: m.Template,
		Language: m.Language, Data: m.Data, CreatedAt: m.CreatedAt, Status: "pending",
		GSI1PK: outboxDuePK, GSI1SK: m.CreatedAt.UTC().Format(time.RFC3339Nano) + "#" + m.ID,
	})
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	return put(s.table, item, notExists), nil
}
