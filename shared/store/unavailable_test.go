package store

import (
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
)

func TestUnavailable(t *testing.T) {
	op := func(err error) error {
		return fmt.Errorf("get credit x: %w", &smithy.OperationError{ServiceID: "DynamoDB", OperationName: "Query", Err: err})
	}
	cancelled := func(codes ...string) error {
		tce := &types.TransactionCanceledException{Message: aws.String("Transaction cancelled")}
		for _, c := range codes {
			tce.CancellationReasons = append(tce.CancellationReasons, types.CancellationReason{Code: aws.String(c)})
		}
		return op(tce)
	}
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"provisioned throughput exceeded", op(&types.ProvisionedThroughputExceededException{}), true},
		{"throttling (typed)", op(&types.ThrottlingException{}), true},
		{"throttling (generic code)", op(&smithy.GenericAPIError{Code: "ThrottlingException"}), true},
		{"request limit exceeded", op(&types.RequestLimitExceeded{}), true},
		{"internal server error", op(&types.InternalServerError{}), true},
		{"transaction conflict on a single item", op(&types.TransactionConflictException{}), true},
		{"transaction throttled", cancelled("None", "ThrottlingError"), true},
		{"transaction over capacity", cancelled("ProvisionedThroughputExceeded", "None"), true},
		{"transaction conflict", cancelled("TransactionConflict", "None"), true},
		{"a condition failed beside a throttle: the data's answer", cancelled("ConditionalCheckFailed", "ThrottlingError"), false},
		{"a condition failed", cancelled("None", "ConditionalCheckFailed"), false},
		{"condition failed on a single item", op(&types.ConditionalCheckFailedException{}), false},
		{"validation error (a bug)", op(&smithy.GenericAPIError{Code: "ValidationException"}), false},
		{"resource not found (a bug)", op(&types.ResourceNotFoundException{}), false},
		{"not an AWS error", errors.New("boom"), false},
		{"nil", nil, false},
	}
	for _, c := range cases {
		if got := Unavailable(c.err); got != c.want {
			t.Errorf("%s: Unavailable = %v, want %v", c.name, got, c.want)
		}
	}
}
