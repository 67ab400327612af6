// Package table describes the single DynamoDB table once. The CDK stack and
// the local tooling (make dev, integration tests) both build the table from
// this description, so the deployed and the local table cannot drift.
// Every key string is built in shared/store/keys.go; this package only names
// the attributes.
package table

// Attribute names. All key attributes are strings.
const (
	PK     = "PK"
	SK     = "SK"
	GSI1PK = "GSI1PK"
	GSI1SK = "GSI1SK"
	GSI2PK = "GSI2PK"
	GSI2SK = "GSI2SK"
	// TTL holds epoch seconds; DynamoDB deletes the item some time after it.
	// Readers still check expiry themselves because deletion is lazy.
	TTL = "ttl"
)

// Index is a global secondary index projecting all attributes.
type Index struct {
	Name         string
	PartitionKey string
	SortKey      string
}

// Definition is the table's shape, independent of any SDK.
type Definition struct {
	PartitionKey string
	SortKey      string
	Indexes      []Index
	TTLAttribute string
}

// GSI1 is the due index: work that falls due on a date (monthly credit
// grants, expiries and their reminders). It is sparse: only items carrying
// GSI1PK appear in it. See shared/store/ACCESS_PATTERNS.md.
const GSI1 = "GSI1"

// GSI2 is the second sparse index, of small per-partner sets read whole:
// today a partner's live holdings (the support and advisory lines that can
// still be drawn on, its support contract, its active purchases by plan).
// Its name is generic: another pattern may use other partition values.
const GSI2 = "GSI2"

// Table is the definition used everywhere.
var Table = Definition{
	PartitionKey: PK,
	SortKey:      SK,
	Indexes: []Index{
		{Name: GSI1, PartitionKey: GSI1PK, SortKey: GSI1SK},
		{Name: GSI2, PartitionKey: GSI2PK, SortKey: GSI2SK},
	},
	TTLAttribute: TTL,
}

// AttributeNames lists every key attribute (table and indexes) once.
func (d Definition) AttributeNames() []string {
	names := []string{d.PartitionKey, d.SortKey}
	for _, ix := range d.Indexes {
		names = append(names, ix.PartitionKey, ix.SortKey)
	}
	return names
}
