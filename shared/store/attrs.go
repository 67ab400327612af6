package store

import (
	"strconv"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Attribute values for hand-written expressions (conditions, updates, key
// conditions); whole items go through attributevalue.MarshalMap instead.

func stringAttr(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }

func numberAttr(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

// stringSetAttr is a one-element string set, for ADD and DELETE on a set.
func stringSetAttr(s string) types.AttributeValue {
	return &types.AttributeValueMemberSS{Value: []string{s}}
}
