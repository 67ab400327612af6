package testenv

import (
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/pbs/benefits/shared/table"
)

// TestTableSchemaAndConditionalTransaction checks that NewTable builds the
// table from shared/table and that DynamoDB Local enforces conditions inside
// TransactWriteItems, which the service's ledger relies on.
func TestTableSchemaAndConditionalTransaction(t *testing.T) {
	t.Parallel()
	db := DynamoDB(t)
	name := NewTable(t, db)
	ctx := t.Context()

	desc, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	if err != nil {
		t.Fatalf("DescribeTable: %v", err)
	}
	tb := desc.Table
	if tb.TableStatus != types.TableStatusActive {
		t.Errorf("status = %s, want ACTIVE", tb.TableStatus)
	}
	if got, want := keySchema(tb.KeySchema), table.PK+" HASH,"+table.SK+" RANGE"; got != want {
		t.Errorf("key schema = %q, want %q", got, want)
	}
	if tb.BillingModeSummary == nil || tb.BillingModeSummary.BillingMode != types.BillingModePayPerRequest {
		t.Errorf("billing mode = %+v, want PAY_PER_REQUEST", tb.BillingModeSummary)
	}
	for _, ad := range tb.AttributeDefinitions {
		if ad.AttributeType != types.ScalarAttributeTypeS {
			t.Errorf("attribute %s has type %s, want S", aws.ToString(ad.AttributeName), ad.AttributeType)
		}
	}
	if len(tb.GlobalSecondaryIndexes) != len(table.Table.Indexes) {
		t.Fatalf("got %d GSIs, want %d", len(tb.GlobalSecondaryIndexes), len(table.Table.Indexes))
	}
	for _, ix := range table.Table.Indexes {
		i := slices.IndexFunc(tb.GlobalSecondaryIndexes, func(g types.GlobalSecondaryIndexDescription) bool { return aws.ToString(g.IndexName) == ix.Name })
		if i < 0 {
			t.Errorf("no GSI %s", ix.Name)
			continue
		}
		gsi := tb.GlobalSecondaryIndexes[i]
		if got, want := keySchema(gsi.KeySchema), ix.PartitionKey+" HASH,"+ix.SortKey+" RANGE"; got != want {
			t.Errorf("%s key schema = %q, want %q", ix.Name, got, want)
		}
		if gsi.Projection == nil || gsi.Projection.ProjectionType != types.ProjectionTypeAll {
			t.Errorf("%s projection = %+v, want ALL", ix.Name, gsi.Projection)
		}
	}

	ttl, err := db.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(name)})
	if err != nil {
		t.Fatalf("DescribeTimeToLive: %v", err)
	}
	if d := ttl.TimeToLiveDescription; d == nil || aws.ToString(d.AttributeName) != table.TTL || d.TimeToLiveStatus != types.TimeToLiveStatusEnabled {
		t.Errorf("TTL = %+v, want %s ENABLED", ttl.TimeToLiveDescription, table.TTL)
	}

	// Two puts that must not exist yet: the first transaction succeeds, the
	// same one again is cancelled with ConditionalCheckFailed for both items.
	newTx := func() *dynamodb.TransactWriteItemsInput {
		return &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
			{Put: &types.Put{
				TableName: aws.String(name),
				Item: map[string]types.AttributeValue{
					table.PK:     &types.AttributeValueMemberS{Value: "PARTNER#p1"},
					table.SK:     &types.AttributeValueMemberS{Value: "GRANT#2026-01"},
					table.GSI1PK: &types.AttributeValueMemberS{Value: "DUE#2026-02-01"},
					table.GSI1SK: &types.AttributeValueMemberS{Value: "PARTNER#p1"},
				},
				ConditionExpression:      aws.String("attribute_not_exists(#pk)"),
				ExpressionAttributeNames: map[string]string{"#pk": table.PK},
			}},
			{Put: &types.Put{
				TableName: aws.String(name),
				Item: map[string]types.AttributeValue{
					table.PK: &types.AttributeValueMemberS{Value: "PARTNER#p1"},
					table.SK: &types.AttributeValueMemberS{Value: "LEDGER#0001"},
				},
				ConditionExpression:      aws.String("attribute_not_exists(#pk)"),
				ExpressionAttributeNames: map[string]string{"#pk": table.PK},
			}},
		}}
	}
	first := newTx()
	if _, err := db.TransactWriteItems(ctx, first); err != nil {
		t.Fatalf("first TransactWriteItems: %v", err)
	}
	// The SDK stored its generated ClientRequestToken in the input; sending
	// the same input again is an idempotent replay that DynamoDB answers
	// with success without checking the conditions again.
	if aws.ToString(first.ClientRequestToken) == "" {
		t.Fatal("SDK did not fill ClientRequestToken")
	}
	if _, err := db.TransactWriteItems(ctx, first); err != nil {
		t.Fatalf("replay with the same ClientRequestToken: %v", err)
	}
	_, err = db.TransactWriteItems(ctx, newTx())
	tce, ok := errors.AsType[*types.TransactionCanceledException](err)
	if !ok {
		t.Fatalf("second TransactWriteItems: err = %v, want TransactionCanceledException", err)
	}
	if len(tce.CancellationReasons) != 2 {
		t.Fatalf("cancellation reasons = %d, want 2", len(tce.CancellationReasons))
	}
	for i, r := range tce.CancellationReasons {
		if aws.ToString(r.Code) != "ConditionalCheckFailed" {
			t.Errorf("reason %d = %s, want ConditionalCheckFailed", i, aws.ToString(r.Code))
		}
	}

	// The sparse index holds only the item carrying GSI1PK.
	q, err := db.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(name),
		IndexName:                 aws.String(table.GSI1),
		KeyConditionExpression:    aws.String("#pk = :pk"),
		ExpressionAttributeNames:  map[string]string{"#pk": table.GSI1PK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "DUE#2026-02-01"}},
	})
	if err != nil {
		t.Fatalf("Query GSI1: %v", err)
	}
	if q.Count != 1 {
		t.Errorf("GSI1 query returned %d items, want 1", q.Count)
	}
}

func keySchema(ks []types.KeySchemaElement) string {
	var parts []string
	for _, k := range ks {
		parts = append(parts, aws.ToString(k.AttributeName)+" "+string(k.KeyType))
	}
	return strings.Join(parts, ",")
}

// TestNewTableIsolatesTests checks that each call gets its own, valid,
// usable table name.
func TestNewTableIsolatesTests(t *testing.T) {
	t.Parallel()
	db := DynamoDB(t)
	a, b := NewTable(t, db), NewTable(t, db)
	if a == b {
		t.Fatalf("NewTable returned %q twice", a)
	}
	valid := regexp.MustCompile(`^t-TestNewTableIsolatesTests-[0-9a-f]{12}$`)
	for _, n := range []string{a, b} {
		if !valid.MatchString(n) {
			t.Errorf("table name %q does not match %s", n, valid)
		}
	}
}

func TestTableNameSanitised(t *testing.T) {
	n := tableName("TestX/sub case: é" + strings.Repeat("y", 300))
	if !regexp.MustCompile(`^[A-Za-z0-9_.-]{3,255}$`).MatchString(n) {
		t.Errorf("tableName produced an invalid DynamoDB name %q", n)
	}
	if !strings.HasPrefix(n, "t-TestX-sub-case---") {
		t.Errorf("tableName = %q, want prefix t-TestX-sub-case---", n)
	}
}

// TestSendEmailAppearsInStore sends through the SES v2 SDK client, the way
// the service's mailer does, and finds the message with SentMail.
func TestSendEmailAppearsInStore(t *testing.T) {
	t.Parallel()
	ses := SES(t)
	before := time.Now().Truncate(time.Second)
	to := "partner-" + randomHex(4) + "@example.com" // unique: the store is shared
	out, err := ses.SendEmail(t.Context(), &sesv2.SendEmailInput{
		FromEmailAddress: aws.String("benefits@example.com"),
		Destination:      &sestypes.Destination{ToAddresses: []string{to}},
		Content: &sestypes.EmailContent{Simple: &sestypes.Message{
			Subject: &sestypes.Content{Data: aws.String("Your credit expires soon")},
			Body: &sestypes.Body{
				Text: &sestypes.Content{Data: aws.String("100 credits expire on 2026-02-01.")},
				Html: &sestypes.Content{Data: aws.String("<p>100 credits expire on 2026-02-01.</p>")},
			},
		}},
	})
	if err != nil {
		t.Fatalf("SendEmail: %v", err)
	}
	if aws.ToString(out.MessageId) == "" {
		t.Fatal("SendEmail returned no MessageId")
	}

	var found []Mail
	for _, m := range SentMail(t) {
		if slices.Contains(m.To, to) {
			found = append(found, m)
		}
	}
	if len(found) != 1 {
		t.Fatalf("found %d messages to %s, want 1", len(found), to)
	}
	m := found[0]
	want := Mail{
		MessageID: aws.ToString(out.MessageId),
		From:      "benefits@example.com",
		To:        []string{to},
		Subject:   "Your credit expires soon",
		Text:      "100 credits expire on 2026-02-01.",
		HTML:      "<p>100 credits expire on 2026-02-01.</p>",
	}
	if m.MessageID != want.MessageID || m.From != want.From || !slices.Equal(m.To, want.To) ||
		m.Subject != want.Subject || m.Text != want.Text || m.HTML != want.HTML {
		t.Errorf("stored mail = %+v\nwant %+v", m, want)
	}
	if m.At.Before(before) || m.At.After(time.Now()) {
		t.Errorf("At = %v, want between %v and now", m.At, before)
	}
}

func TestParseStore(t *testing.T) {
	// Recorded from aws-ses-v2-local 2.10.2 (GET /store).
	body := []byte(`{"templates":{},"emails":[{"messageId":"ses-123","from":"a@example.com","replyTo":[],` +
		`"destination":{"to":["b@example.com"],"cc":["c@example.com"],"bcc":[]},"subject":"Hi",` +
		`"body":{"text":"plain"},"attachments":[],"at":1767225600}]}`)
	mails, err := parseStore(http.StatusOK, body)
	if err != nil {
		t.Fatal(err)
	}
	if len(mails) != 1 {
		t.Fatalf("got %d mails, want 1", len(mails))
	}
	m := mails[0]
	if m.MessageID != "ses-123" || m.From != "a@example.com" || !slices.Equal(m.To, []string{"b@example.com"}) ||
		!slices.Equal(m.CC, []string{"c@example.com"}) || m.Subject != "Hi" || m.Text != "plain" || m.HTML != "" ||
		!m.At.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("parsed %+v", m)
	}
	if _, err := parseStore(http.StatusInternalServerError, []byte("boom")); err == nil {
		t.Error("a 500 answer parsed without error")
	}
}
