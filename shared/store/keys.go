package store

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/fnv"
)

// Every key string of the table is built here and nowhere else; the access
// patterns they serve are listed in ACCESS_PATTERNS.md.
//
// A partner's data lives in one item collection, PK = PARTNER#<id>, so every
// read is scoped by the key itself: another partner's id simply is not there
// (404, never 403). The dashboard items share the SK prefix DASH#, so one
// Query with begins_with(SK, "DASH#") returns the whole dashboard.

const (
	dashPrefix  = "DASH#"
	userPrefix  = "USER#"
	profileSK   = "PROFILE"
	catalogPK   = "CATALOG"
	currentSK   = "CURRENT"
	idemSK      = "IDEMPOTENCY"
	outboxSK    = "OUTBOX"
	outboxDuePK = "DUE#OUTBOX" // GSI1 partition of unsent mail (low volume)
)

// Item types, stored in the "type" attribute.
const (
	typePartner     = "partner"
	typeUser        = "user"
	typeUserEmail   = "user-email"
	typePurchase    = "purchase"
	typeBenefit     = "benefit"
	typeCatalog     = "catalog"
	typePoolKey     = "pool-key"
	typePoolFree    = "pool-free"
	typePoolMeta    = "pool-meta"
	typeIdempotency = "idempotency"
	typeOutbox      = "outbox"
)

func partnerPK(partnerID string) string      { return "PARTNER#" + partnerID }
func userSK(userID string) string            { return userPrefix + userID }
func userEmailSK(emailKey string) string     { return "EMAIL#" + emailKey }
func purchaseSK(purchaseID string) string    { return dashPrefix + "PURCHASE#" + purchaseID }
func benefitSK(benefitID string) string      { return dashPrefix + "BENEFIT#" + benefitID }
func catalogVersionSK(version string) string { return "VERSION#" + version }

// A key pool keeps one registry item per key ever imported (so a key handed
// out once is still a duplicate on re-import) and one "free" item per key not
// yet handed out; allocation deletes the free item under a condition. A pool
// is spread over poolShards partitions by a hash of the key, so a large
// import is not throttled on one partition key; META holds an approximate
// count of free keys for the low-water warning.
const (
	poolShards     = 16
	poolFreePrefix = "FREE#"
	poolMetaSK     = "META"
)

func poolPK(product string, shard int) string { return fmt.Sprintf("POOL#%s#%02d", product, shard) }
func poolMetaPK(product string) string        { return "POOL#" + product }
func poolKeySK(key string) string             { return "KEY#" + key }
func poolFreeSK(key string) string            { return poolFreePrefix + key }

func shardOf(key string) int {
	h := fnv.New32a()
	h.Write([]byte(key))
	return int(h.Sum32() % poolShards)
}

// Idempotency records are scoped to the caller; the client's key is hashed
// so that any printable key fits and none leaks into key-shaped logs.
func idemPK(scope, key string) string {
	sum := sha256.Sum256([]byte(key))
	return "IDEMPOTENCY#" + scope + "#" + hex.EncodeToString(sum[:16])
}

func outboxPK(messageID string) string { return "OUTBOX#" + messageID }
