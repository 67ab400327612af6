package store

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/pbs/benefits/shared/table"
)

// pageDB serves one key range, in the order given, the way DynamoDB pages
// a Query: after ExclusiveStartKey, at most Limit items, and a
// LastEvaluatedKey whenever it stopped at Limit. It counts the calls.
type pageDB struct {
	API
	items         []map[string]types.AttributeValue
	queries, gets int
}

func (d *pageDB) sortKey(index *string) string {
	if index != nil {
		return table.GSI1SK
	}
	return table.SK
}

func (d *pageDB) Query(_ context.Context, in *dynamodb.QueryInput, _ ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	d.queries++
	sk := d.sortKey(in.IndexName)
	from := 0
	if in.ExclusiveStartKey != nil {
		after := in.ExclusiveStartKey[sk].(*types.AttributeValueMemberS).Value
		from = 1 + slices.IndexFunc(d.items, func(it map[string]types.AttributeValue) bool {
			return it[sk].(*types.AttributeValueMemberS).Value == after
		})
	}
	rest := d.items[from:]
	out := &dynamodb.QueryOutput{Items: rest[:min(len(rest), int(aws.ToInt32(in.Limit)))]}
	if len(out.Items) == int(aws.ToInt32(in.Limit)) {
		last := out.Items[len(out.Items)-1]
		out.LastEvaluatedKey = map[string]types.AttributeValue{table.PK: last[table.PK], table.SK: last[table.SK], sk: last[sk]}
	}
	return out, nil
}

func (d *pageDB) GetItem(_ context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	d.gets++
	for _, it := range d.items {
		if it[table.SK].(*types.AttributeValueMemberS).Value == in.Key[table.SK].(*types.AttributeValueMemberS).Value {
			return &dynamodb.GetItemOutput{Item: it}, nil
		}
	}
	return &dynamodb.GetItemOutput{}, nil
}

// idsOf lists what id says of each of items.
func idsOf[T any](items []T, id func(i int) string) []string {
	var out []string
	for i := range items {
		out = append(out, id(i))
	}
	return out
}

// TestListPages pages every cursor-paged list two items at a time and pins
// what clients and the per-route cost table rely on: each cursor's encoded
// form (base64url of "<list>\n<position>"), every item once and in order,
// no cursor on the last page, and the reads each page takes.
func TestListPages(t *testing.T) {
	const partnerID, benefitID = "ptn_a", "ben_1"
	pk := partnerPK(partnerID)
	marshal := func(v any) map[string]types.AttributeValue {
		m, err := attributevalue.MarshalMap(v)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	var users, advisories, events, benefitEvents, srs, pendings, seats []map[string]types.AttributeValue
	for i := range 5 {
		id := fmt.Sprintf("id_%d", i)
		users = append(users, marshal(userItem{PK: pk, SK: userSK(id), Type: typeUser, ID: id}))
		advisories = append(advisories, marshal(advisoryItem{PK: pk, SK: advisorySK(id), Type: typeAdvisory, ID: id}))
		sk := fmt.Sprintf("%s2026-11-2%dT00:00:00Z#%s", auditPrefix, 9-i, id)
		events = append(events, marshal(auditItem{PK: pk, SK: sk, Type: typeAudit, ID: id}))
		benefitEvents = append(benefitEvents, marshal(auditItem{PK: pk, SK: sk, Type: typeAudit, ID: id, BenefitID: benefitID,
			GSI1PK: auditBenefitPK(partnerID, benefitID), GSI1SK: sk}))
		status := []string{"pending", "completed"}[i%2]
		srs = append(srs, marshal(serviceRequestItem{PK: srPK(id), SK: srSK, Type: typeCancel, ID: id, Status: status,
			GSI1PK: srListPK, GSI1SK: fmt.Sprintf("%s#2026-11-2%d#%s", status, 9-i, id)}))
		pendings = append(pendings, marshal(serviceRequestItem{PK: srPK(id), SK: srSK, Type: typeCancel, ID: id, Status: "pending",
			GSI1PK: srListPK, GSI1SK: fmt.Sprintf("pending#2026-11-2%d#%s", 9-i, id)}))
	}
	// A line's range: the line, then its seats with a lock among them,
	// which a page passes over and still fills two seats.
	seats = append(seats, marshal(benefitItem{PK: pk, SK: benefitSK(benefitID), Type: typeBenefit, ID: benefitID}))
	for _, id := range []string{"usr_1", "usr_10", "usr_2", "usr_3", "usr_4", "usr_5"} {
		typ := typeSeat
		if id == "usr_10" {
			typ = typeLock
		}
		seats = append(seats, marshal(seatItem{PK: pk, SK: seatSK(benefitID, id), Type: typ, BenefitID: benefitID, UserID: id}))
	}

	ids := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("id_%d", i)
		}
		return out
	}
	type read struct{ queries, gets int }
	cases := []struct {
		name    string
		items   []map[string]types.AttributeValue
		list    func(s *Store, cursor string) ([]string, string, error)
		want    []string // ids in list order
		cursors []string // each page's next cursor, decoded
		reads   []read   // each page's reads
	}{
		{"Users", users, func(s *Store, c string) ([]string, string, error) {
			us, next, err := s.Users(context.Background(), partnerID, 2, c)
			return idsOf(us, func(i int) string { return us[i].ID }), next, err
		}, ids(5), []string{"users\nid_1", "users\nid_3", ""}, []read{{1, 0}, {1, 0}, {1, 0}}},
		{"AdvisoryRequests", advisories, func(s *Store, c string) ([]string, string, error) {
			rs, next, err := s.AdvisoryRequests(context.Background(), partnerID, 2, c)
			return idsOf(rs, func(i int) string { return rs[i].ID }), next, err
		}, ids(5), []string{"advisory\nid_1", "advisory\nid_3", ""}, []read{{1, 0}, {1, 0}, {1, 0}}},
		{"Audit", events, func(s *Store, c string) ([]string, string, error) {
			es, next, err := s.Audit(context.Background(), partnerID, "", 2, c)
			return idsOf(es, func(i int) string { return es[i].ID }), next, err
		}, ids(5), []string{"audit:\nAUDIT#2026-11-28T00:00:00Z#id_1", "audit:\nAUDIT#2026-11-26T00:00:00Z#id_3", ""},
			[]read{{1, 0}, {1, 0}, {1, 0}}},
		{"Audit of a benefit", benefitEvents, func(s *Store, c string) ([]string, string, error) {
			es, next, err := s.Audit(context.Background(), partnerID, benefitID, 2, c)
			return idsOf(es, func(i int) string { return es[i].ID }), next, err
		}, ids(5), []string{"audit:ben_1\nAUDIT#2026-11-28T00:00:00Z#id_1", "audit:ben_1\nAUDIT#2026-11-26T00:00:00Z#id_3", ""},
			[]read{{1, 0}, {1, 0}, {1, 0}}},
		{"ServiceRequests", srs, func(s *Store, c string) ([]string, string, error) {
			rs, next, err := s.ServiceRequests(context.Background(), "", 2, c)
			return idsOf(rs, func(i int) string { return rs[i].ID }), next, err
		}, ids(5), []string{"service-requests:\ncompleted#2026-11-28#id_1", "service-requests:\ncompleted#2026-11-26#id_3", ""},
			[]read{{1, 0}, {1, 0}, {1, 0}}},
		{"ServiceRequests pending", pendings, func(s *Store, c string) ([]string, string, error) {
			rs, next, err := s.ServiceRequests(context.Background(), "pending", 2, c)
			return idsOf(rs, func(i int) string { return rs[i].ID }), next, err
		}, ids(5), []string{"service-requests:pending\npending#2026-11-28#id_1", "service-requests:pending\npending#2026-11-26#id_3", ""},
			[]read{{1, 0}, {1, 0}, {1, 0}}},
		{"Seats", seats, func(s *Store, c string) ([]string, string, error) {
			line, ss, next, err := s.Seats(context.Background(), partnerID, benefitID, 2, c)
			if err == nil && line.ID != benefitID {
				return nil, "", fmt.Errorf("line %q, want %s", line.ID, benefitID)
			}
			return idsOf(ss, func(i int) string { return ss[i].UserID }), next, err
		}, []string{"usr_1", "usr_2", "usr_3", "usr_4", "usr_5"}, []string{"seats:ben_1\nusr_2", "seats:ben_1\nusr_4", ""},
			// The first page passes over the line and the lock: one more Query.
			// A later page reads the line apart.
			[]read{{2, 0}, {1, 1}, {1, 1}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			db := &pageDB{items: c.items}
			s := New(db, "t")
			var got []string
			cursor := ""
			for page := range c.cursors {
				before := read{db.queries, db.gets}
				listed, next, err := c.list(s, cursor)
				if err != nil {
					t.Fatalf("page %d: %v", page+1, err)
				}
				got = append(got, listed...)
				if r := (read{db.queries - before.queries, db.gets - before.gets}); r != c.reads[page] {
					t.Errorf("page %d read %+v, want %+v", page+1, r, c.reads[page])
				}
				want := ""
				if c.cursors[page] != "" {
					want = base64.RawURLEncoding.EncodeToString([]byte(c.cursors[page]))
				}
				if next != want {
					t.Fatalf("page %d: cursor %q, want %q (%q)", page+1, next, want, c.cursors[page])
				}
				cursor = next
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("listed %v, want %v", got, c.want)
			}
		})
	}
}
