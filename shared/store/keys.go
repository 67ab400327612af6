package store

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"slices"
	"time"

	"github.com/pbs/benefits/shared/adminrequest"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/credit"
)

// Every key string of the table is built here and nowhere else; the access
// patterns they serve are listed in ACCESS_PATTERNS.md.
//
// A partner's data lives in one item collection, PK = PARTNER#<id>, so every
// read is scoped by the key itself: another partner's id simply is not there
// (404, never 403). The dashboard items share the SK prefix DASH#, so one
// Query with begins_with(SK, "DASH#") returns the whole dashboard.

const (
	dashPrefix = "DASH#"
	userPrefix = "USER#"
	profileSK  = "PROFILE"
	catalogPK  = "CATALOG"
	currentSK  = "CURRENT"
	idemSK     = "IDEMPOTENCY"
	outboxSK   = "OUTBOX"
)

// Item types, stored in the "type" attribute.
const (
	typePartner     = "partner"
	typeUser        = "user"
	typeUserEmail   = "user-email"
	typeUserToken   = "user-token"
	typePurchase    = "purchase"
	typeBenefit     = "benefit"
	typeCatalog     = "catalog"
	typePoolKey     = "pool-key"
	typePoolFree    = "pool-free"
	typePoolCount   = "pool-count"
	typeIdempotency = "idempotency"
	typeOutbox      = "outbox"
	typeCredit      = "credit"
	typeSeat        = "seat"
	typeJobState    = "job-state"
	typeAudit       = "audit"
	typeLock        = "seat-lock"
	typeTenantSub   = "tenant-subscription"
	typeSupport     = "support"
	typeIncident    = "incident"
	typeAdvisory    = "advisory-request"
	typeGTMContact  = "gtm-contact"
	typeGTMToken    = "gtm-token"
	typeCancel      = "service-request"
	typeRateLimit   = "rate-limit"
	// A request to become a global admin, and a user's open-request marker.
	typeAdminRequest     = "admin-request"
	typeAdminRequestOpen = "admin-request-open"
)

func partnerPK(partnerID string) string      { return "PARTNER#" + partnerID }
func userSK(userID string) string            { return userPrefix + userID }
func userEmailSK(emailKey string) string     { return "EMAIL#" + emailKey }
func purchaseSK(purchaseID string) string    { return dashPrefix + "PURCHASE#" + purchaseID }
func benefitSK(benefitID string) string      { return dashPrefix + "BENEFIT#" + benefitID }
func catalogVersionSK(version string) string { return "VERSION#" + version }

// A directory user's search tokens (partner.SearchTokens), one item each:
// DIR#<token>#<userId>. A search for q reads begins_with(SK, "DIR#<q>");
// the user id makes two users' equal tokens two items. No other sort key
// of a partner starts with DIR#.
const dirPrefix = "DIR#"

func dirSK(token, userID string) string { return dirPrefix + token + "#" + userID }

// A benefit's own items sort right after its line, DASH#BENEFIT#<id>: the
// credit state (#CREDIT), one item per seat holder (#SEAT#<userId>) and
// per locked seat (#LOCK#…). So one Query of the range benefitItems reads a
// benefit with everything about it, and the dashboard Query reads them all.
func creditSK(benefitID string) string       { return benefitSK(benefitID) + "#CREDIT" }
func seatSK(benefitID, userID string) string { return benefitSK(benefitID) + "#SEAT#" + userID }

// benefitItems is the sort-key range of exactly one benefit's items: its
// line and every key under "<line>#". Not begins_with(SK, line): a path's
// id that is a prefix of a real id would read that benefit. '$' sorts right
// after '#' and before every character an id may hold, and no id holds it,
// so another benefit's keys (DASH#BENEFIT#<id><more>) fall outside.
func benefitItems(benefitID string) (first, last string) {
	return benefitSK(benefitID), benefitSK(benefitID) + "$"
}

// Monthly credits owed a grant sit in GSI1 under the month they are due,
// spread over credit.DueShards partitions by a hash of the benefit id.
func grantDuePK(p credit.Period, shard int) string {
	return fmt.Sprintf("%s%s#%02d", grantDuePrefix, p, shard)
}

const grantDuePrefix = "DUE#GRANT#"

func grantDueSK(partnerID, benefitID string) string { return partnerID + "#" + benefitID }

func grantShard(benefitID string) int { return hashMod(benefitID, credit.DueShards) }

// The grant job's state: the last month a run completed.
const (
	grantJobPK = "JOB#monthly-credit-grant"
	jobStateSK = "STATE"
)

// A key pool keeps one registry item per key ever imported (so a key handed
// out once is still a duplicate on re-import) and one "free" item per key not
// yet handed out; allocation deletes the free item under a condition. A pool
// is spread over poolShards partitions by a hash of the key, so a large
// import is not throttled on one partition key. Each shard counts its free
// and taken keys in one item whose sort key is the free-key prefix itself:
// it sorts first among the free keys, so the Query that finds free keys
// reads it too. A pool imported before the shard counters has one counter
// for the whole product (META under poolMetaPK) until an import recounts
// its shards and removes it.
const (
	poolShards     = 16
	poolFreePrefix = "FREE#"
	poolCountSK    = poolFreePrefix // no key is empty, so no FREE#<key> is it
	poolMetaSK     = "META"
)

func poolPK(product string, shard int) string { return fmt.Sprintf("POOL#%s#%02d", product, shard) }
func poolMetaPK(product string) string        { return "POOL#" + product }
func poolKeySK(key string) string             { return "KEY#" + key }
func poolFreeSK(key string) string            { return poolFreePrefix + key }

func shardOf(key string) int { return hashMod(key, poolShards) }

// hashMod is FNV-1a (32-bit) of s modulo n: a stable shard number.
func hashMod(s string, n int) int {
	h := fnv.New32a()
	h.Write([]byte(s))
	return int(h.Sum32() % uint32(n))
}

// Idempotency records are scoped to the caller; the client's key is hashed
// so that any printable key fits and none leaks into key-shaped logs.
func idemPK(scope, key string) string {
	sum := sha256.Sum256([]byte(key))
	return "IDEMPOTENCY#" + scope + "#" + hex.EncodeToString(sum[:16])
}

func outboxPK(messageID string) string { return "OUTBOX#" + messageID }

// A partner's history: AUDIT#<time>#<eventId> under the partner, newest last
// in key order, so a backward Query reads it newest first. An event about a
// benefit also sits in GSI1 under AUDIT#<partnerId>#<benefitId>, the one
// benefit's history, with the same sort key.
const auditPrefix = "AUDIT#"

func auditSK(at time.Time, eventID string) string {
	return auditPrefix + at.UTC().Format(dueLayout) + "#" + eventID
}
func auditBenefitPK(partnerID, benefitID string) string {
	return auditPrefix + partnerID + "#" + benefitID
}

// A Visual Studio seat taken from its holder within 90 days of assignment
// stays locked until the 90 days are over: #LOCK#<userId>#<assignedAt>.
func lockSK(benefitID, userID string, assignedAt time.Time) string {
	return benefitSK(benefitID) + "#LOCK#" + userID + "#" + assignedAt.UTC().Format(dueLayout)
}

// A tenant's subscription to a licence product, which redemptions add seats
// to or extend.
func tenantSK(tenantID, product string) string { return "TENANT#" + tenantID + "#" + product }

// The support contract sorts in the dashboard collection (DASH#SUPPORT), so
// the dashboard's one Query also says whether support is activated.
const supportSK = dashPrefix + "SUPPORT"

// Incidents and advisory requests are the partner's own, in id (time) order.
const (
	incidentPrefix = "INCIDENT#"
	advisoryPrefix = "ADVISORY#"
)

func incidentSK(id string) string { return incidentPrefix + id }
func advisorySK(id string) string { return advisoryPrefix + id }

// The marketing contact is one item per partner. A confirmation link's
// token is found by its hash alone (the link carries no partner id), so it
// has its own partition; only the hash is stored.
const (
	contactSK     = "GTMCONTACT"
	gtmTokenSK    = "GTMTOKEN"
	gtmTokenAfter = 30 * 24 * time.Hour // kept past expiry, then TTL removes it
)

func gtmTokenPK(hash string) string { return "GTMTOKEN#" + hash }

// A rate limit is a fixed-window counter, one item per scope, subject and
// window: RATE#<scope>#<hex of the first 16 bytes of SHA-256(subject)> /
// WINDOW#<window start>. The subject (a partner id, an email address) is
// hashed so no address sits in a key; TTL removes the item after its window.
func ratePK(scope, subject string) string {
	sum := sha256.Sum256([]byte(subject))
	return "RATE#" + scope + "#" + hex.EncodeToString(sum[:16])
}
func rateSK(start time.Time) string { return "WINDOW#" + start.UTC().Format(dueLayout) }

// rateAfter is how long a counter is kept past its window before TTL removes it.
const rateAfter = 24 * time.Hour

// A cancellation's service request is stored twice: in the partner's
// dashboard collection (DASH#CANCEL#<purchaseId>, so the purchase and its
// request are one Query) and under its own id (SR#<id>, so the operator
// finds it by id), the latter in GSI1 under SERVICE-REQUESTS sorted by
// status, then time. Both are written and updated in one transaction.
const (
	srSK     = "SR"
	srListPK = "SERVICE-REQUESTS"
	// A cancelled purchase whose seats are still being released sits in
	// GSI1 under DUE#RELEASE until the release is complete.
	releaseDuePK = "DUE#RELEASE"
)

func cancelSK(purchaseID string) string { return dashPrefix + "CANCEL#" + purchaseID }
func srPK(id string) string             { return "SR#" + id }
func srListSK(status string, at time.Time, id string) string {
	return status + "#" + at.UTC().Format(dueLayout) + "#" + id
}

// A partner's live holdings sit in GSI2 under LIVE#<partnerId>, so the
// support and advisory rules read what they need whatever the partner's
// size (ACCESS_PATTERNS.md). The DRAW# range is what the decisions read
// whole: the profile as the mark that the partner's holdings are indexed,
// the support contract, and each support or advisory line while it can be
// drawn on (until it expires or is revoked). The PLAN# range holds each
// active purchase under its plan's rank, so the best plan is the last key.
const (
	drawPrefix    = "DRAW#"
	holdingsMark  = "DRAW#PARTNER" // the profile's GSI2SK
	contractDraw  = "DRAW#SUPPORT" // the support contract's GSI2SK
	planPrefix    = "PLAN#"
	holdingPrefix = "LIVE#"
)

func holdingsPK(partnerID string) string { return holdingPrefix + partnerID }

func drawLineSK(benefitID string) string { return drawPrefix + "LINE#" + benefitID }

// planSK ranks a purchase by its plan's place in catalog.Plans (Action
// Pack, Silver, Gold: 01, 02, 03), then its id.
func planSK(plan catalog.Plan, purchaseID string) string {
	return fmt.Sprintf("%s%02d#%s", planPrefix, slices.Index(catalog.Plans, plan)+1, purchaseID)
}

// drawable: the kinds of line the support and advisory rules draw from,
// the only lines in GSI2.
func drawable(k catalog.Kind) bool { return k == catalog.Support || k == catalog.AdvisoryHours }

// A request to become a global admin sits in its partner's collection
// (ADMINREQ#<id>, ids in time order, so a backward Query is newest first)
// and in GSI2 under its requester (ADMINREQ#<partnerId>#<userId>, by id).
// One that went to the operator also has a copy under its own id
// (ADMINREQ#<id> / ADMINREQ), in GSI1 under ADMIN-REQUESTS by status then
// time, as a cancellation's service request has; both are updated in one
// transaction. A user's open request is named by a marker,
// ADMINREQ-OPEN#<userId> (not under the ADMINREQ# prefix), put only if
// absent or expired: one open request per user.
const (
	adminReqPrefix = "ADMINREQ#"
	adminReqCopySK = "ADMINREQ"
	adminReqListPK = "ADMIN-REQUESTS"
)

func adminReqSK(id string) string         { return adminReqPrefix + id }
func adminReqCopyPK(id string) string     { return adminReqPrefix + id }
func adminReqOpenSK(userID string) string { return "ADMINREQ-OPEN#" + userID }
func adminReqMinePK(partnerID, userID string) string {
	return adminReqPrefix + partnerID + "#" + userID
}

// adminReqListSK is the operator queue's sort key: an open request by its
// expiry (the latest first when read backward, expired ones last), a
// closed one by its decision.
func adminReqListSK(r adminrequest.Request) string {
	at := r.DecidedAt
	if r.Status == adminrequest.Open {
		at = r.ExpiresAt
	}
	return string(r.Status) + "#" + at.UTC().Format(dueLayout) + "#" + r.ID
}
