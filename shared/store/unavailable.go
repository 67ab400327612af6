package store

import (
	"errors"
	"slices"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
)

// busyCodes are the DynamoDB error codes that mean "not now": the table is
// throttled, over its request rate, or briefly failing on AWS's side. The
// SDK has already retried them; the caller may retry later.
var busyCodes = []string{
	"ProvisionedThroughputExceededException",
	"ThrottlingException",
	"RequestLimitExceeded",
	"InternalServerError",
	"ServiceUnavailable",
	"TransactionConflictException", // a single-item write met a running transaction
}

// busyReasons are the cancellation reasons of a transaction that was refused
// for load, not for the data: retrying it can succeed unchanged.
var busyReasons = []string{"ThrottlingError", "ProvisionedThroughputExceeded", "TransactionConflict"}

// Unavailable reports whether err is DynamoDB saying "not now" (throttled,
// over capacity, a transient server error), as opposed to a bug or a rule:
// the API answers it 503 with Retry-After, since every write of this
// service is safe to retry.
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) {
		// Only when no item failed its condition: a failed condition is the
		// data's answer, which the caller must read, not retry blindly.
		busy := false
		for _, r := range tce.CancellationReasons {
			code := ""
			if r.Code != nil {
				code = *r.Code
			}
			switch {
			case code == "ConditionalCheckFailed":
				return false
			case slices.Contains(busyReasons, code):
				busy = true
			}
		}
		return busy
	}
	var api smithy.APIError
	return errors.As(err, &api) && slices.Contains(busyCodes, api.ErrorCode())
}
