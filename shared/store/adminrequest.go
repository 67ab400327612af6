package store

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/pbs/benefits/shared/access"
	"github.com/pbs/benefits/shared/adminrequest"
	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/audit"
	"github.com/pbs/benefits/shared/mail"
	"github.com/pbs/benefits/shared/partner"
	"github.com/pbs/benefits/shared/table"
)

// The global-admin requests' use cases' store.
var _ adminrequest.Store = (*Store)(nil)

// adminRequestItem is a request (the partner's copy, and the operator's
// copy of one that went to the operator).
type adminRequestItem struct {
	PK             string
	SK             string
	Type           string    `dynamodbav:"type"`
	ID             string    `dynamodbav:"id"`
	PartnerID      string    `dynamodbav:"partnerId"`
	RequestedBy    string    `dynamodbav:"requestedBy"`
	RequesterEmail string    `dynamodbav:"requesterEmail"`
	RequesterName  string    `dynamodbav:"requesterName"`
	Reason         string    `dynamodbav:"reason"`
	Via            string    `dynamodbav:"via"`
	Status         string    `dynamodbav:"status"`
	RequestedAt    time.Time `dynamodbav:"requestedAt"`
	// ExpiresAt is in dueLayout (fixed width), so conditions compare it as
	// a string.
	ExpiresAt string     `dynamodbav:"expiresAt"`
	DecidedBy string     `dynamodbav:"decidedBy,omitempty"`
	DecidedAt *time.Time `dynamodbav:"decidedAt,omitempty"`
	GSI1PK    string     `dynamodbav:",omitempty"`
	GSI1SK    string     `dynamodbav:",omitempty"`
	GSI2PK    string     `dynamodbav:",omitempty"`
	GSI2SK    string     `dynamodbav:",omitempty"`
}

func newAdminRequestItems(r adminrequest.Request) (own adminRequestItem, operator *adminRequestItem) {
	own = adminRequestItem{PK: partnerPK(r.PartnerID), SK: adminReqSK(r.ID), Type: typeAdminRequest, ID: r.ID, PartnerID: r.PartnerID,
		RequestedBy: r.RequestedBy, RequesterEmail: r.RequesterEmail, RequesterName: r.RequesterName, Reason: r.Reason,
		Via: string(r.Via), Status: string(r.Status), RequestedAt: r.RequestedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC().Format(dueLayout),
		GSI2PK: adminReqMinePK(r.PartnerID, r.RequestedBy), GSI2SK: r.ID}
	if r.Via == adminrequest.ViaOperator {
		c := own
		c.PK, c.SK, c.GSI2PK, c.GSI2SK = adminReqCopyPK(r.ID), adminReqCopySK, "", ""
		c.GSI1PK, c.GSI1SK = adminReqListPK, adminReqListSK(r)
		operator = &c
	}
	return own, operator
}

func (i adminRequestItem) domain() adminrequest.Request {
	exp, _ := time.Parse(dueLayout, i.ExpiresAt)
	r := adminrequest.Request{ID: i.ID, PartnerID: i.PartnerID, RequestedBy: i.RequestedBy, RequesterEmail: i.RequesterEmail,
		RequesterName: i.RequesterName, Reason: i.Reason, Via: adminrequest.Via(i.Via), Status: adminrequest.Status(i.Status),
		RequestedAt: i.RequestedAt, ExpiresAt: exp, DecidedBy: i.DecidedBy}
	if i.DecidedAt != nil {
		r.DecidedAt = *i.DecidedAt
	}
	return r
}

// adminReqOpenItem marks a user's open request: one per user, put only if
// absent or its request expired; TTL removes it some time after expiry.
type adminReqOpenItem struct {
	PK        string
	SK        string
	Type      string `dynamodbav:"type"`
	RequestID string `dynamodbav:"requestId"`
	ExpiresAt string `dynamodbav:"expiresAt"` // dueLayout
	TTL       int64  `dynamodbav:"ttl"`
}

// globalAdminsAttr is the partner profile's count of its directory's
// global admins, kept in the transaction of every change of it (creating
// the partner or a user, approving a request: grantGlobalAdmin).
const globalAdminsAttr = "globalAdmins"

// grantGlobalAdmin is every write that makes directory user u (as read) a
// global admin: the role added to the user (only while it exists and does
// not hold it; its rev moved, so a directory change decided on the older
// roles loses its round), its search tokens rewritten with the new roles
// (the role filter reads them), and the partner's count raised by one. A
// change of roles that grants or takes global-admin keeps the count the
// same way (writeMember).
func (s *Store) grantGlobalAdmin(u partner.User) ([]types.TransactWriteItem, error) {
	after := u
	after.Roles = append(slices.Clone(u.Roles), access.GlobalAdmin)
	tokens, err := s.tokenPuts(after)
	if err != nil {
		return nil, err
	}
	return append([]types.TransactWriteItem{
		update(s.table, key(partnerPK(u.PartnerID), userSK(u.ID)), "SET #roles = list_append(#roles, :roles) ADD rev :one",
			"attribute_exists(PK) AND NOT contains(#roles, :role)", map[string]string{"#roles": "roles"},
			map[string]types.AttributeValue{":roles": &types.AttributeValueMemberL{Value: []types.AttributeValue{stringAttr(string(access.GlobalAdmin))}},
				":role": stringAttr(string(access.GlobalAdmin)), ":one": numberAttr(1)}),
		update(s.table, key(partnerPK(u.PartnerID), profileSK), "ADD #n :one", "attribute_exists(PK)",
			map[string]string{"#n": globalAdminsAttr}, map[string]types.AttributeValue{":one": numberAttr(1)}),
	}, tokens...), nil
}

// UpdateAsk reads the asker's state (askState), lets decide choose and
// commits it (writeAsk): two round trips, three when the profile's count
// says the partner has no global admin (countGlobalAdmins reads the
// directory to be sure).
func (s *Store) UpdateAsk(ctx context.Context, partnerID, userID string, decide func(adminrequest.AskState) (adminrequest.Asked, error)) error {
	return Update(ctx, adminrequest.Attempts, adminrequest.ErrBusy,
		func() (adminrequest.AskState, error) { return s.askState(ctx, partnerID, userID) }, decide,
		func(_ adminrequest.AskState, ch adminrequest.Asked) error { return s.writeAsk(ctx, userID, ch) })
}

// askState reads the profile, the user and their open marker (with its
// request) in one BatchGetItem, strongly consistent.
func (s *Store) askState(ctx context.Context, partnerID, userID string) (st adminrequest.AskState, err error) {
	defer wrap(&err, "admin request state of %s", userID)
	pk := partnerPK(partnerID)
	var profile *partnerItem
	var marker *adminReqOpenItem
	err = s.batchRead(ctx, []map[string]types.AttributeValue{key(pk, profileSK), key(pk, userSK(userID)), key(pk, adminReqOpenSK(userID))}, true,
		func(raw map[string]types.AttributeValue) error {
			switch sk := raw[table.SK].(*types.AttributeValueMemberS).Value; {
			case sk == profileSK:
				profile = &partnerItem{}
				if n, ok := raw[globalAdminsAttr].(*types.AttributeValueMemberN); ok {
					st.GlobalAdmins, _ = strconv.Atoi(n.Value)
				}
				return attributevalue.UnmarshalMap(raw, profile)
			case strings.HasPrefix(sk, userPrefix):
				var u userItem
				st.InDirectory = true
				err := attributevalue.UnmarshalMap(raw, &u)
				st.User = u.domain()
				return err
			default:
				marker = &adminReqOpenItem{}
				return attributevalue.UnmarshalMap(raw, marker)
			}
		})
	if err != nil {
		return st, err
	}
	if profile == nil {
		return st, apperr.ErrNotFound
	}
	st.Partner = profile.domain()
	if marker != nil {
		// The marker says enough: an expired one blocks nothing, a live one
		// names its request.
		exp, _ := time.Parse(dueLayout, marker.ExpiresAt)
		st.Open, st.HasOpen = adminrequest.Request{ID: marker.RequestID, Status: adminrequest.Open, ExpiresAt: exp}, true
	}
	if st.GlobalAdmins <= 0 {
		// No count, or none: a partner created before the count, or one
		// whose count a change outside it left behind. Read the directory
		// (rare: only partners without a global admin come here).
		if st.GlobalAdmins, err = s.countDirectoryAdmins(ctx, partnerID); err != nil {
			return st, err
		}
	}
	return st, nil
}

// countDirectoryAdmins says whether the directory has a global admin (1)
// or not (0), reading it until it finds one.
func (s *Store) countDirectoryAdmins(ctx context.Context, partnerID string) (int, error) {
	in := s.prefixQuery(partnerPK(partnerID), userPrefix)
	in.FilterExpression = aws.String("contains(#roles, :admin)")
	in.ProjectionExpression = aws.String("PK")
	in.ExpressionAttributeNames = map[string]string{"#roles": "roles"}
	in.ExpressionAttributeValues[":admin"] = stringAttr(string(access.GlobalAdmin))
	in.ConsistentRead = aws.Bool(true)
	for {
		out, err := s.db.Query(ctx, in)
		if err != nil {
			return 0, err
		}
		if len(out.Items) > 0 {
			return 1, nil
		}
		if len(out.LastEvaluatedKey) == 0 {
			return 0, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// writeAsk commits a new request in one transaction: the marker (absent,
// or its request expired), the request (and its operator copy), the user
// fenced (in the directory, not a global admin), the profile fenced on the
// side of the count the route was chosen by, the mail and the event.
// Errors: ErrConflict (read again and decide again).
func (s *Store) writeAsk(ctx context.Context, userID string, ch adminrequest.Asked) (err error) {
	r := ch.Request
	defer wrap(&err, "ask %s", r.ID)
	if ch.Event.ID == "" {
		return errors.New("store: a request without its audit event")
	}
	pk := partnerPK(r.PartnerID)
	now := stringAttr(r.RequestedAt.UTC().Format(dueLayout))
	marker, err := attributevalue.MarshalMap(adminReqOpenItem{PK: pk, SK: adminReqOpenSK(userID), Type: typeAdminRequestOpen,
		RequestID: r.ID, ExpiresAt: r.ExpiresAt.UTC().Format(dueLayout), TTL: r.ExpiresAt.Unix()})
	if err != nil {
		return err
	}
	own, op := newAdminRequestItems(r)
	item, err := attributevalue.MarshalMap(own)
	if err != nil {
		return err
	}
	// The route was chosen by the count as read: fence it (a partner
	// created before the count has none to fence; its directory was read).
	profileCond := "attribute_exists(PK) AND (attribute_not_exists(#n) OR #n > :zero)"
	if r.Via == adminrequest.ViaOperator {
		profileCond = "attribute_exists(PK) AND (attribute_not_exists(#n) OR #n <= :zero)"
	}
	writes := []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String(s.table), Item: marker,
			ConditionExpression:       aws.String("attribute_not_exists(PK) OR expiresAt <= :now"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":now": now}}},
		put(s.table, item, notExists),
		{ConditionCheck: &types.ConditionCheck{TableName: aws.String(s.table), Key: key(pk, userSK(userID)),
			ConditionExpression:       aws.String("attribute_exists(PK) AND NOT contains(#roles, :role)"),
			ExpressionAttributeNames:  map[string]string{"#roles": "roles"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":role": stringAttr(string(access.GlobalAdmin))}}},
		{ConditionCheck: &types.ConditionCheck{TableName: aws.String(s.table), Key: key(pk, profileSK),
			ConditionExpression: aws.String(profileCond), ExpressionAttributeNames: map[string]string{"#n": globalAdminsAttr},
			ExpressionAttributeValues: map[string]types.AttributeValue{":zero": numberAttr(0)}}},
	}
	if op != nil {
		copyItem, err := attributevalue.MarshalMap(*op)
		if err != nil {
			return err
		}
		writes = append(writes, put(s.table, copyItem, notExists))
	}
	return s.commitWithNotes(ctx, writes, ch.Mail, ch.Event)
}

// UpdateDecision reads a request with its partner and requester
// (decisionState), lets decide choose and commits it (writeDecision):
// three round trips.
func (s *Store) UpdateDecision(ctx context.Context, partnerID, id string, decide func(adminrequest.DecideState) (adminrequest.Decided, error)) error {
	return Update(ctx, adminrequest.Attempts, adminrequest.ErrBusy,
		func() (adminrequest.DecideState, error) { return s.decisionState(ctx, partnerID, id) }, decide,
		func(_ adminrequest.DecideState, ch adminrequest.Decided) error { return s.writeDecision(ctx, ch) })
}

// decisionState reads, strongly consistent: for a partner, its request and
// profile (one BatchGetItem), then the requester (GetItem); for the
// operator (partnerID ""), the operator's copy (GetItem), then the
// partner's request, profile and requester (one BatchGetItem). Errors:
// apperr.ErrNotFound.
func (s *Store) decisionState(ctx context.Context, partnerID, id string) (st adminrequest.DecideState, err error) {
	defer wrap(&err, "admin request %s", id)
	keys := []map[string]types.AttributeValue{key(partnerPK(partnerID), adminReqSK(id)), key(partnerPK(partnerID), profileSK)}
	if partnerID == "" {
		var c adminRequestItem
		if err := s.get(ctx, adminReqCopyPK(id), adminReqCopySK, &c); err != nil {
			return st, err
		}
		pk := partnerPK(c.PartnerID)
		keys = []map[string]types.AttributeValue{key(pk, adminReqSK(id)), key(pk, profileSK), key(pk, userSK(c.RequestedBy))}
	}
	var req *adminRequestItem
	var profile *partnerItem
	each := func(raw map[string]types.AttributeValue) error {
		switch sk := raw[table.SK].(*types.AttributeValueMemberS).Value; {
		case sk == profileSK:
			profile = &partnerItem{}
			return attributevalue.UnmarshalMap(raw, profile)
		case strings.HasPrefix(sk, userPrefix):
			var u userItem
			st.InDirectory = true
			err := attributevalue.UnmarshalMap(raw, &u)
			st.Requester = u.domain()
			return err
		default:
			req = &adminRequestItem{}
			return attributevalue.UnmarshalMap(raw, req)
		}
	}
	if err := s.batchRead(ctx, keys, true, each); err != nil {
		return st, err
	}
	if req == nil || profile == nil {
		return st, apperr.ErrNotFound
	}
	st.Request, st.Partner = req.domain(), profile.domain()
	if partnerID != "" {
		raw, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.table), Key: key(partnerPK(partnerID), userSK(st.Request.RequestedBy)), ConsistentRead: aws.Bool(true)})
		if err != nil {
			return st, err
		}
		if raw.Item != nil {
			if err := each(raw.Item); err != nil {
				return st, err
			}
		}
	}
	return st, nil
}

// writeDecision commits a decision in one transaction: the request closed
// (only while open and unexpired at the decision), its operator copy too,
// the requester's marker removed (unless it names a newer request), the
// role granted (grantGlobalAdmin) when ch.Grant, the mail and the event.
// Errors: ErrConflict (read again and decide again).
func (s *Store) writeDecision(ctx context.Context, ch adminrequest.Decided) (err error) {
	r := ch.Request
	defer wrap(&err, "decide %s", r.ID)
	if ch.Event.ID == "" {
		return errors.New("store: a decision without its audit event")
	}
	pk := partnerPK(r.PartnerID)
	names := map[string]string{"#status": "status"}
	values := map[string]types.AttributeValue{":status": stringAttr(string(r.Status)), ":open": stringAttr(string(adminrequest.Open)),
		":by": stringAttr(r.DecidedBy), ":at": timeValue(r.DecidedAt), ":now": stringAttr(r.DecidedAt.UTC().Format(dueLayout))}
	expr := "SET #status = :status, decidedBy = :by, decidedAt = :at"
	writes := []types.TransactWriteItem{
		update(s.table, key(pk, adminReqSK(r.ID)), expr, "#status = :open AND expiresAt > :now", names, values),
		{Delete: &types.Delete{TableName: aws.String(s.table), Key: key(pk, adminReqOpenSK(r.RequestedBy)),
			ConditionExpression:       aws.String("attribute_not_exists(PK) OR requestId = :id"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":id": stringAttr(r.ID)}}},
	}
	if r.Via == adminrequest.ViaOperator {
		copyValues := map[string]types.AttributeValue{":sk": stringAttr(adminReqListSK(r))}
		for k, v := range values {
			if k != ":now" {
				copyValues[k] = v
			}
		}
		writes = append(writes, update(s.table, key(adminReqCopyPK(r.ID), adminReqCopySK), expr+", GSI1SK = :sk", "#status = :open", names, copyValues))
	}
	if ch.Grant {
		grant, err := s.grantGlobalAdmin(ch.Requester)
		if err != nil {
			return err
		}
		writes = append(writes, grant...)
	}
	return s.commitWithNotes(ctx, writes, ch.Mail, ch.Event)
}

// AdminRequests lists a partner's requests newest first, one page: all
// (the partner's collection) or one requester's (GSI2).
func (s *Store) AdminRequests(ctx context.Context, partnerID, requestedBy string, limit int, cursor string) (rs []adminrequest.Request, next string, err error) {
	defer wrap(&err, "admin requests of %s", partnerID)
	pk := partnerPK(partnerID)
	in := s.prefixQuery(pk, adminReqPrefix)
	list := "admin-requests"
	if requestedBy != "" {
		list += ":" + requestedBy
		in = &dynamodb.QueryInput{TableName: aws.String(s.table), IndexName: aws.String(table.GSI2),
			KeyConditionExpression:    aws.String("#pk = :pk"),
			ExpressionAttributeNames:  map[string]string{"#pk": table.GSI2PK},
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": stringAttr(adminReqMinePK(partnerID, requestedBy))}}
	}
	in.ScanIndexForward = aws.Bool(false)
	items, next, err := page(ctx, s, in, pageOf[*adminRequestItem]{list: list,
		startKey: func(id string) (map[string]types.AttributeValue, error) {
			if !idPosition(id) {
				return nil, ErrBadCursor
			}
			start := key(pk, adminReqSK(id))
			if requestedBy != "" {
				start[table.GSI2PK], start[table.GSI2SK] = stringAttr(adminReqMinePK(partnerID, requestedBy)), stringAttr(id)
			}
			return start, nil
		},
		position: func(it *adminRequestItem) string { return it.ID }}, limit, cursor)
	if err != nil {
		return nil, "", err
	}
	for _, it := range items {
		rs = append(rs, it.domain())
	}
	return rs, next, nil
}

// OperatorRequests lists the requests that went to the operator from
// GSI1, by status, then latest expiry (open) or decision first; status ""
// lists all. The cursor holds the last item's GSI1 sort key,
// <status>#<time>#<id>, checked as ServiceRequests checks its own.
func (s *Store) OperatorRequests(ctx context.Context, status adminrequest.Status, limit int, cursor string) (rs []adminrequest.Request, next string, err error) {
	defer wrap(&err, "operator admin requests")
	in := s.gsi1Query(adminReqListPK)
	in.ScanIndexForward = aws.Bool(false)
	if status != "" {
		in.KeyConditionExpression = aws.String("#pk = :pk AND begins_with(#sk, :status)")
		in.ExpressionAttributeNames["#sk"] = table.GSI1SK
		in.ExpressionAttributeValues[":status"] = stringAttr(string(status) + "#")
	}
	items, next, err := page(ctx, s, in, pageOf[*adminRequestItem]{list: "operator-admin-requests:" + string(status),
		startKey: func(sk string) (map[string]types.AttributeValue, error) {
			i := strings.LastIndexByte(sk, '#')
			st, _, _ := strings.Cut(sk, "#")
			known := st == string(adminrequest.Open) || st == string(adminrequest.Approved) || st == string(adminrequest.Declined)
			if i < 0 || len(sk) > 200 || !known || status != "" && st != string(status) || !idPosition(sk[i+1:]) {
				return nil, ErrBadCursor
			}
			start := key(adminReqCopyPK(sk[i+1:]), adminReqCopySK)
			start[table.GSI1PK], start[table.GSI1SK] = stringAttr(adminReqListPK), stringAttr(sk)
			return start, nil
		},
		position: func(it *adminRequestItem) string { return it.GSI1SK }}, limit, cursor)
	if err != nil {
		return nil, "", err
	}
	for _, it := range items {
		rs = append(rs, it.domain())
	}
	return rs, next, nil
}

// commitWithNotes commits writes with the mail they owe (if any) and their
// audit event in one transaction, the end of an ask and of a decision.
// Errors: ErrConflict (a condition or a concurrent transaction: read again
// and decide again).
func (s *Store) commitWithNotes(ctx context.Context, writes []types.TransactWriteItem, owed *mail.Message, ev audit.Event) error {
	if owed != nil {
		msg, err := s.outboxPut(*owed)
		if err != nil {
			return err
		}
		writes = append(writes, msg)
	}
	record, err := s.auditPut(ev)
	if err != nil {
		return err
	}
	err = s.commit(ctx, append(writes, record))
	if cancelReasons(err) != nil {
		return ErrConflict
	}
	return err
}
