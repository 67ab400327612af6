package store

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/pbs/benefits/shared/access"
	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/benefit"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/expiry"
	"github.com/pbs/benefits/shared/mail"
)

// ExpiringOn lists the lines whose expiry falls on a UTC day, from the
// day's GSI1 shards, queried at once
// (eventually consistent: every write the job makes is conditional on the
// base item).
func (s *Store) ExpiringOn(ctx context.Context, day time.Time) (lines []benefit.Benefit, err error) {
	defer wrap(&err, "lines expiring on %s", day.Format(time.DateOnly))
	pages, err := s.queryShards(ctx, shardKeys(expiryDayPK(day), expiryShards), func(ctx context.Context, pk string) (items []map[string]types.AttributeValue, err error) {
		err = s.queryEach(ctx, s.gsi1Query(pk), func(raw map[string]types.AttributeValue) error {
			items = append(items, raw)
			return nil
		})
		return items, err
	})
	if err != nil {
		return nil, err
	}
	for _, raw := range mergeByDue(pages) {
		var it benefitItem
		if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
			return nil, err
		}
		lines = append(lines, it.domain())
	}
	return lines, nil
}

// Expire marks a line expired and takes it out of the expiry and holdings
// indexes, with its audit event, if the line is still in the status and
// expiry it was read with; without an event (a revoked or expired line) it
// only leaves the indexes. Errors: expiry.ErrChanged.
func (s *Store) Expire(ctx context.Context, b benefit.Benefit, now time.Time, ev *audit.Event) (err error) {
	defer wrap(&err, "expire %s", b.ID)
	values := map[string]types.AttributeValue{":read": stringAttr(string(b.Status)), ":exp": timeValue(b.ExpiresAt)}
	var set []string
	if ev != nil {
		set = append(set, "#status = :expired", "expiredAt = :now")
		values[":expired"], values[":now"] = stringAttr(string(benefit.Expired)), timeValue(now)
	}
	remove := "GSI1PK, GSI1SK, GSI2PK, GSI2SK"
	if (b.Kind.IsCredit() || b.Kind == catalog.VisualStudio) && (ev != nil || b.Status == benefit.Expired) {
		// Its seats, locks and holders' offers go next, by the release
		// job (DUE#RELEASE), as a cancelled purchase's do.
		set = append(set, "GSI1PK = :release", "GSI1SK = :rsk")
		remove = "GSI2PK, GSI2SK"
		values[":release"], values[":rsk"] = stringAttr(releaseDuePK), stringAttr(b.PartnerID+"#"+b.ID)
	}
	expr := "REMOVE " + remove
	if len(set) > 0 {
		expr = "SET " + strings.Join(set, ", ") + " " + expr
	}
	writes := []types.TransactWriteItem{update(s.table, key(partnerPK(b.PartnerID), benefitSK(b.ID)), expr,
		"#status = :read AND expiresAt = :exp", map[string]string{"#status": "status"}, values)}
	if ev != nil {
		record, err := s.auditPut(*ev)
		if err != nil {
			return err
		}
		writes = append(writes, record)
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: writes})
	if changed(err) {
		return expiry.ErrChanged
	}
	return err
}

// GlobalAdminEmails are the addresses of a partner's global admins (the
// account email when it has none), for the mail sender to resolve an
// audience: one Query of the partner's USER# items, filtered to global
// admins and projected to the address, in 1 MB pages.
func (s *Store) GlobalAdminEmails(ctx context.Context, partnerID string) (to []string, err error) {
	defer wrap(&err, "global admins of %s", partnerID)
	in := s.prefixQuery(partnerPK(partnerID), userPrefix)
	in.FilterExpression = aws.String("contains(#roles, :admin)")
	in.ProjectionExpression = aws.String("email")
	in.ExpressionAttributeNames = map[string]string{"#roles": "roles"}
	in.ExpressionAttributeValues[":admin"] = stringAttr(string(access.GlobalAdmin))
	err = s.queryEach(ctx, in, func(raw map[string]types.AttributeValue) error {
		if e, ok := raw["email"].(*types.AttributeValueMemberS); ok {
			to = append(to, e.Value)
		}
		return nil
	})
	if err != nil || len(to) > 0 {
		return to, err
	}
	p, err := s.Partner(ctx, partnerID)
	if err != nil {
		return nil, err
	}
	return []string{p.AccountEmail}, nil
}

// Remind records, on each line, that its partner was told it expires in
// days (7 also counts as the 30-day reminder), with the mail, in one
// transaction; a line reminded already cancels it. Errors: expiry.ErrChanged.
func (s *Store) Remind(ctx context.Context, lines []benefit.Benefit, days int, owed mail.Message, now time.Time) (err error) {
	defer wrap(&err, "remind %d lines", len(lines))
	attr := "reminded30"
	expr := "SET reminded30 = :now"
	if days == 7 {
		attr, expr = "reminded7", "SET reminded7 = :now, reminded30 = if_not_exists(reminded30, :now)"
	}
	writes := make([]types.TransactWriteItem, 0, len(lines)+1)
	for _, b := range lines {
		writes = append(writes, update(s.table, key(partnerPK(b.PartnerID), benefitSK(b.ID)), expr,
			"attribute_not_exists("+attr+") AND expiresAt = :exp", nil,
			map[string]types.AttributeValue{":now": timeValue(now), ":exp": timeValue(b.ExpiresAt)}))
	}
	msg, err := s.outboxPut(owed)
	if err != nil {
		return err
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: append(writes, msg)})
	if changed(err) {
		return expiry.ErrChanged
	}
	return err
}

// changed reports whether a transaction was cancelled because a line's
// condition failed (it changed since it was read). A cancellation for
// another reason (TransactionConflict, throttling) is returned as an error,
// so the run fails and is retried rather than skipping the line as done.
func changed(err error) bool {
	return slices.Contains(cancelReasons(err), "ConditionalCheckFailed")
}
