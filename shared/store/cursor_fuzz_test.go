package store

import (
	"context"
	"encoding/base64"
	"errors"
	"maps"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/pbs/benefits/shared/table"
)

// cursorDB answers the reads a listing makes with empty pages and records
// the ExclusiveStartKey each Query was given; the other operations of API
// are nil and would panic, which no listing should reach.
type cursorDB struct {
	API
	starts []map[string]types.AttributeValue
}

func (d *cursorDB) Query(_ context.Context, in *dynamodb.QueryInput, _ ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	d.starts = append(d.starts, in.ExclusiveStartKey)
	return &dynamodb.QueryOutput{}, nil
}

func (d *cursorDB) GetItem(_ context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	return &dynamodb.GetItemOutput{Item: maps.Clone(in.Key)}, nil
}

func str(t *testing.T, k map[string]types.AttributeValue, name string) string {
	t.Helper()
	v, ok := k[name].(*types.AttributeValueMemberS)
	if !ok {
		t.Fatalf("start key %v has no string %s", k, name)
	}
	return v.Value
}

// cursorSeeds are cursors this store issues and hostile strings.
func cursorSeeds(f *testing.F) {
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for _, s := range []string{
		b64("users\nusr_1"), b64("advisory\nadv_1"), b64("seats:ben_1\nusr_1"), b64("audit:\n" + auditPrefix + "2026-11-24T09:00:00Z#evt_1"),
		b64("audit:ben_1\n" + auditPrefix + "x"), b64("service-requests:\npending#2026-11-24#sr_1"),
		b64("service-requests:pending\ncompleted#2026-11-24#sr_1"), b64("service-requests:completed\nAUDIT#x#y"), b64("users\n"), b64("\n"),
		b64("usr_1"), b64("adv_1"), b64(auditPrefix + "2026-11-24T09:00:00Z#evt_1"), b64("pending#2026-11-24#sr_1"),
		b64("usr#1"), b64("#"), b64(""), b64("\x00"), b64(strings.Repeat("a", 129)), b64(strings.Repeat("a", 128)),
		b64(auditPrefix + strings.Repeat("x", 300)), b64("AUDIT#../PARTNER#ptn_other"), b64("a#PARTNER#ptn_other"),
		b64("\xff\xfe"), b64("\ufeffusr_1"), b64(`{"PK":"PARTNER#ptn_other","SK":"USER#x"}`),
		encodeKeyOrEmpty(map[string]types.AttributeValue{table.PK: stringAttr("PARTNER#ptn_other"), table.SK: stringAttr("USER#x")}),
		"", "=", "usr_1", "dXNyXzE=", "dXNyXzE", "dXNyXzE\n", "dX Nye", "+/+/", "-_-_", "\x00", "\ufeff", "é",
		strings.Repeat("A", 10000), "%00", "null", "e30",
	} {
		f.Add(s)
	}
}

func encodeKeyOrEmpty(k map[string]types.AttributeValue) string {
	s, _ := encodeKey(k)
	return s
}

// FuzzCursors gives one string as the cursor of every listing that takes a
// caller's cursor: each must refuse it with ErrBadCursor or start within the
// caller's own partition (for service requests, the one list's index).
func FuzzCursors(f *testing.F) {
	cursorSeeds(f)
	const partnerID, benefitID = "ptn_a", "ben_1"
	pk := partnerPK(partnerID)
	f.Fuzz(func(t *testing.T, cursor string) {
		if cursor == "" {
			return // the first page
		}
		ctx := context.Background()
		check := func(name string, err error, db *cursorDB, within func(map[string]types.AttributeValue)) {
			t.Helper()
			if err != nil {
				if !errors.Is(err, ErrBadCursor) {
					t.Fatalf("%s(%q): error %v, want ErrBadCursor", name, cursor, err)
				}
				return
			}
			if len(db.starts) == 0 || db.starts[0] == nil {
				t.Fatalf("%s(%q): no start key", name, cursor)
			}
			within(db.starts[0])
		}
		userish := func(sk, prefix string) {
			id, ok := strings.CutPrefix(sk, prefix)
			if !ok || id == "" || strings.Contains(id, "#") {
				t.Fatalf("cursor %q: start SK %q not one item under %q", cursor, sk, prefix)
			}
		}

		db := &cursorDB{}
		_, _, err := New(db, "t").Users(ctx, partnerID, 10, cursor)
		check("Users", err, db, func(k map[string]types.AttributeValue) {
			if str(t, k, table.PK) != pk {
				t.Fatalf("Users(%q): start %v outside %s", cursor, k, pk)
			}
			userish(str(t, k, table.SK), userPrefix)
		})

		db = &cursorDB{}
		_, _, err = New(db, "t").AdvisoryRequests(ctx, partnerID, 10, cursor)
		check("AdvisoryRequests", err, db, func(k map[string]types.AttributeValue) {
			if str(t, k, table.PK) != pk {
				t.Fatalf("AdvisoryRequests(%q): start %v outside %s", cursor, k, pk)
			}
			userish(str(t, k, table.SK), advisoryPrefix)
		})

		db = &cursorDB{}
		_, _, _, err = New(db, "t").Seats(ctx, partnerID, benefitID, 10, cursor)
		check("Seats", err, db, func(k map[string]types.AttributeValue) {
			if str(t, k, table.PK) != pk {
				t.Fatalf("Seats(%q): start %v outside %s", cursor, k, pk)
			}
			userish(str(t, k, table.SK), seatSK(benefitID, ""))
		})

		for _, b := range []string{"", benefitID} {
			db = &cursorDB{}
			_, _, err = New(db, "t").Audit(ctx, partnerID, b, 10, cursor)
			check("Audit", err, db, func(k map[string]types.AttributeValue) {
				if str(t, k, table.PK) != pk || !strings.HasPrefix(str(t, k, table.SK), auditPrefix) {
					t.Fatalf("Audit(%q): start %v outside %s", cursor, k, pk)
				}
				if b != "" && (str(t, k, table.GSI1PK) != auditBenefitPK(partnerID, b) || str(t, k, table.GSI1SK) != str(t, k, table.SK)) {
					t.Fatalf("Audit(%q, %s): start %v outside its benefit", cursor, b, k)
				}
			})
		}

		for _, status := range []string{"", "pending", "completed"} {
			db = &cursorDB{}
			_, _, err = New(db, "t").ServiceRequests(ctx, status, 10, cursor)
			check("ServiceRequests", err, db, func(k map[string]types.AttributeValue) {
				if str(t, k, table.GSI1PK) != srListPK || !strings.HasPrefix(str(t, k, table.PK), "SR#") || str(t, k, table.SK) != srSK {
					t.Fatalf("ServiceRequests(%q): start %v outside the list", cursor, k)
				}
				// Within the key condition: the filter's status, else a status.
				st, _, _ := strings.Cut(str(t, k, table.GSI1SK), "#")
				if status != "" && st != status || st != "pending" && st != "completed" && st != "rejected" {
					t.Fatalf("ServiceRequests(%q, status %q): start %v outside the key condition", cursor, status, k)
				}
			})
		}
	})
}

// FuzzDecodeKey checks the grant job's cursor codec: any string decodes to
// string attributes or fails, and what decodes re-encodes to the same key.
func FuzzDecodeKey(f *testing.F) {
	cursorSeeds(f)
	f.Fuzz(func(t *testing.T, cursor string) {
		k, err := decodeKey(cursor)
		if err != nil {
			return
		}
		for name, v := range k {
			if _, ok := v.(*types.AttributeValueMemberS); !ok {
				t.Fatalf("decodeKey(%q): %s is %T", cursor, name, v)
			}
		}
		again, err := encodeKey(k)
		if err != nil {
			t.Fatalf("encodeKey of a decoded key: %v", err)
		}
		k2, err := decodeKey(again)
		if err != nil || !sameKey(k, k2) {
			t.Fatalf("decodeKey(%q) = %v, after a round trip %v %v", cursor, k, k2, err)
		}
	})
}

// FuzzEncodeKey round-trips keys of string attributes through a cursor.
// DynamoDB strings are UTF-8, so only valid UTF-8 must survive exactly.
func FuzzEncodeKey(f *testing.F) {
	f.Add("PARTNER#ptn_1", "USER#usr_1", "2026-11#03", "CREDIT#ben_1")
	f.Add("", "", "", "")
	f.Add("\x00", "\ufeff", "\U0010ffff", strings.Repeat("é", 1000))
	f.Add(`"quoted"`, `\`, "<>&", "\u2028\u2029")
	f.Add("\xff", "a", "b", "c")
	f.Fuzz(func(t *testing.T, pk, sk, gpk, gsk string) {
		k := map[string]types.AttributeValue{table.PK: stringAttr(pk), table.SK: stringAttr(sk), table.GSI1PK: stringAttr(gpk), table.GSI1SK: stringAttr(gsk)}
		c, err := encodeKey(k)
		if err != nil {
			t.Fatal(err)
		}
		if strings.ContainsAny(c, "+/=") {
			t.Fatalf("cursor %q is not URL-safe unpadded base64", c)
		}
		back, err := decodeKey(c)
		if err != nil {
			t.Fatalf("decodeKey(encodeKey(%v)): %v", k, err)
		}
		if utf8.ValidString(pk+sk+gpk+gsk) && !sameKey(k, back) {
			t.Fatalf("round trip of %v gave %v", k, back)
		}
	})
}

func sameKey(a, b map[string]types.AttributeValue) bool {
	if len(a) != len(b) {
		return false
	}
	for name, v := range a {
		w, ok := b[name].(*types.AttributeValueMemberS)
		if !ok || v.(*types.AttributeValueMemberS).Value != w.Value {
			return false
		}
	}
	return true
}
