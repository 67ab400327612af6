package store

import (
	"context"
	"encoding/base64"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// A page cursor is base64url("<list>\n<position>"): the list that issued it,
// with its filter (whose seats, whose history, which status), and the last
// item's position in it. A list takes only its own cursors, so one used on
// another list, or with another filter, is ErrBadCursor rather than a page
// that starts somewhere in a different list. The tag is no signature: the
// position is still checked against the list's key condition.
func listCursor(list, position string) []byte { return []byte(list + "\n" + position) }

// cursorIn returns the position of a decoded cursor that list issued.
func cursorIn(list string, raw []byte) (string, bool) {
	l, position, ok := strings.Cut(string(raw), "\n")
	return position, ok && l == list
}

// pageOf is one paged listing: the tag of its cursors and how its items
// stand in it. T is a pointer to the stored item (*userItem), so that every
// listing shares one instantiation of page: each function's binary, and so
// its cold start, stays as small as it was.
type pageOf[T any] struct {
	// list tags every cursor the listing issues, with its filter.
	list string
	// startKey turns a cursor's position into the Query's start key, or
	// refuses it (ErrBadCursor) unless it lies within the key condition.
	startKey func(position string) (map[string]types.AttributeValue, error)
	// decode reads one item; keep false passes over an item of another type
	// in the key range. Nil unmarshals every item into a new T.
	decode func(raw map[string]types.AttributeValue) (item T, keep bool, err error)
	// position is what the next page's cursor holds of a page's last item.
	position func(T) string
}

// page reads one page of at most limit items after cursor, and the cursor
// of the next page, "" on the last. It asks for one item more than limit,
// which tells whether another page exists, in one Query unless items of
// another type (or DynamoDB's 1 MB page) leave it short.
func page[T any](ctx context.Context, s *Store, in *dynamodb.QueryInput, p pageOf[T], limit int, cursor string) (items []T, next string, err error) {
	in.Limit = aws.Int32(int32(limit) + 1)
	if cursor != "" {
		raw, derr := base64.RawURLEncoding.DecodeString(cursor)
		position, ok := cursorIn(p.list, raw)
		if derr != nil || !ok {
			return nil, "", ErrBadCursor
		}
		if in.ExclusiveStartKey, err = p.startKey(position); err != nil {
			return nil, "", err
		}
	}
	decode := p.decode
	if decode == nil {
		decode = func(raw map[string]types.AttributeValue) (it T, keep bool, err error) {
			return it, true, attributevalue.UnmarshalMap(raw, &it)
		}
	}
	for len(items) <= limit {
		out, err := s.db.Query(ctx, in)
		if err != nil {
			return nil, "", err
		}
		for _, raw := range out.Items {
			it, keep, err := decode(raw)
			if err != nil {
				return nil, "", err
			}
			if keep {
				items = append(items, it)
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			break
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
	if len(items) > limit {
		items = items[:limit]
		next = base64.RawURLEncoding.EncodeToString(listCursor(p.list, p.position(items[limit-1])))
	}
	return items, next, nil
}

// idPosition reports whether position can be a list's item id: a start key
// built from it stays among that list's items.
func idPosition(position string) bool {
	return len(position) > 0 && len(position) <= 128 && !strings.ContainsAny(position, "#")
}
