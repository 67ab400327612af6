package testenv

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Capacity is a DynamoDB capacity simulator for tests: an HTTP transport
// under the SDK client that meters the read and write units of every call
// per partition key (the table's and each index's) and per table in windows
// of one simulated second, the way AWS meters an on-demand table, and
// answers as AWS does when a key or the table passes its limit:
// ProvisionedThroughputExceededException for single calls (which the SDK's
// retryer then retries, as it would on AWS), TransactionCanceledException
// with ThrottlingError reasons for transactions (not retried by the SDK),
// and UnprocessedItems / UnprocessedKeys for the throttled part of a batch.
// DynamoDB Local enforces none of this; the simulator sits below the SDK so
// the code under test meets the same errors, retries included, as on AWS.
//
// Units follow AWS's rules on the request's and response's item sizes
// (attribute names and values): a write 1 WCU per started KB, twice in a
// transaction; an Update or Delete, whose stored size the client does not
// see, 1 KB; a read 1 RCU per started 4 KB, half eventually consistent, a
// Query summed over its items. An item that sets GSI1PK or GSI2PK also
// writes the index partition it names.
type Capacity struct {
	next   http.RoundTripper
	limits CapacityLimits
	now    func() time.Time
	off    atomic.Bool // Enable(false): calls pass unmetered

	mu     sync.Mutex
	window int64              // index of the current window
	used   map[string]float64 // units used in the window, by meter key
	peak   map[string]float64 // the most units any window used, by meter key
	stats  CapacityStats
}

// CapacityLimits are the limits of one simulated second.
type CapacityLimits struct {
	PartitionWCU, PartitionRCU float64 // per partition key of the table or an index
	TableWCU, TableRCU         float64 // the whole table (on demand: its current ceiling)
	// Window is how long one simulated second lasts here. AWS's limits
	// stay as they are and time is scaled instead, so a request's units
	// keep their proportion to the limit: a Window of 2 s stands for a
	// machine that runs the workload half as fast as AWS would.
	Window time.Duration
}

// AWSLimits are AWS's documented limits: a partition serves at most 1,000
// WCU and 3,000 RCU a second; a new on-demand table starts able to serve
// 4,000 WCU and 12,000 RCU a second and doubles its ceiling as traffic
// grows (not simulated: the ceiling here stays).
var AWSLimits = CapacityLimits{PartitionWCU: 1000, PartitionRCU: 3000, TableWCU: 4000, TableRCU: 12000, Window: time.Second}

// CapacityStats counts what the simulator refused.
type CapacityStats struct {
	Calls, Throttled      int // calls seen; calls answered with an exception
	ThrottledTransactions int // of which transactions cancelled
	UnprocessedItems      int // batch items and keys sent back unprocessed
}

// NewCapacity wraps next (nil: http.DefaultTransport) with limits.
func NewCapacity(next http.RoundTripper, limits CapacityLimits) *Capacity {
	if next == nil {
		next = http.DefaultTransport
	}
	if limits.Window <= 0 {
		limits.Window = time.Second
	}
	return &Capacity{next: next, limits: limits, now: time.Now, used: map[string]float64{}, peak: map[string]float64{}}
}

// ThrottledDynamoDB returns a DynamoDB Local client (its own, not the shared
// one) whose calls go through a new capacity simulator with limits.
func ThrottledDynamoDB(tb testing.TB, limits CapacityLimits) (*dynamodb.Client, *Capacity) {
	tb.Helper()
	need(tb, EnvDynamoDB, "DynamoDB Local")
	c := NewCapacity(nil, limits)
	client := dynamodb.NewFromConfig(awsConfig(tb), func(o *dynamodb.Options) {
		o.DisableValidateResponseChecksum = true // as DynamoDB's
		o.HTTPClient = &http.Client{Transport: c}
	})
	return client, c
}

// Enable turns the limits on or off (on when made): a test builds its
// fixture with them off, then measures with them on.
func (c *Capacity) Enable(on bool) { c.off.Store(!on) }

// Stats returns the counts so far.
func (c *Capacity) Stats() CapacityStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats
}

// Peak is a meter key's most units in one simulated second.
type Peak struct {
	Key   string // "W " or "R " then "table", "PK <value>" or "GSI1 <value>"
	Units float64
}

// Peaks returns the meter keys by their peak, highest first.
func (c *Capacity) Peaks() []Peak {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Peak, 0, len(c.peak))
	for k, v := range c.peak {
		out = append(out, Peak{k, v})
	}
	slices.SortFunc(out, func(a, b Peak) int {
		if a.Units != b.Units {
			return int(math.Copysign(1, b.Units-a.Units))
		}
		return strings.Compare(a.Key, b.Key)
	})
	return out
}

// RoundTrip meters one DynamoDB call and forwards it, or answers it as a
// throttled call.
func (c *Capacity) RoundTrip(req *http.Request) (*http.Response, error) {
	op := strings.TrimPrefix(req.Header.Get("X-Amz-Target"), "DynamoDB_20120810.")
	if req.Body == nil || op == "" || c.off.Load() {
		return c.next.RoundTrip(req)
	}
	body, err := io.ReadAll(req.Body)
	req.Body.Close()
	if err != nil {
		return nil, err
	}
	var in map[string]json.RawMessage
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, fmt.Errorf("capacity: %s request: %w", op, err)
	}
	c.mu.Lock()
	c.stats.Calls++
	c.roll()
	var (
		reject    *http.Response
		throttled batchItems
	)
	switch op {
	case "PutItem", "UpdateItem", "DeleteItem":
		if !c.admit([]write{writeOf(op, body)}, 1) {
			reject = c.throttled(req)
		}
	case "TransactWriteItems":
		reject = c.transaction(req, in)
	case "BatchWriteItem":
		reject, body, throttled = c.batchWrite(req, in, body)
	case "GetItem", "Query", "BatchGetItem":
		// A read is charged by what it returned, so it is refused only
		// once its keys are spent.
		for _, k := range readKeys(op, in) {
			if c.spent("R ", k, c.limits.PartitionRCU) || c.spent("R ", "table", c.limits.TableRCU) {
				reject = c.throttled(req)
				break
			}
		}
	}
	c.mu.Unlock()
	if reject != nil {
		return reject, nil
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.ContentLength = int64(len(body))
	resp, err := c.next.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	switch op {
	case "BatchWriteItem":
		if throttled != nil {
			return withUnprocessed(resp, throttled)
		}
	case "GetItem", "Query", "BatchGetItem":
		out, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		resp.Body = io.NopCloser(bytes.NewReader(out))
		c.mu.Lock()
		c.chargeRead(op, in, out)
		c.mu.Unlock()
	}
	return resp, nil
}

// roll starts a new window when the current one has passed.
func (c *Capacity) roll() {
	w := c.now().UnixNano() / int64(c.limits.Window)
	if w != c.window {
		c.window = w
		clear(c.used)
	}
}

// write is one item's write: the partition keys it touches and its units.
type write struct {
	keys  []string // "PK <v>", "GSI1 <v>"
	units float64
}

// admit charges writes (each units×factor) if every key and the table stay
// within their limits, else charges nothing. A write larger than a whole
// limit is admitted into an empty window, as AWS lets one item through.
func (c *Capacity) admit(ws []write, factor float64) bool {
	need := map[string]float64{}
	total := 0.0
	for _, w := range ws {
		for _, k := range w.keys {
			need[k] += w.units * factor
		}
		total += w.units * factor
	}
	for k, u := range need {
		if c.over("W ", k, u, c.limits.PartitionWCU) {
			return false
		}
	}
	if c.over("W ", "table", total, c.limits.TableWCU) {
		return false
	}
	for k, u := range need {
		c.charge("W "+k, u)
	}
	c.charge("W table", total)
	return true
}

func (c *Capacity) over(kind, key string, units, limit float64) bool {
	used := c.used[kind+key]
	return used > 0 && used+units > limit
}

func (c *Capacity) spent(kind, key string, limit float64) bool { return c.used[kind+key] >= limit }

func (c *Capacity) charge(key string, units float64) {
	c.used[key] += units
	c.peak[key] = max(c.peak[key], c.used[key])
}

// transaction admits a TransactWriteItems whole (2 units per unit, as AWS
// charges a transaction) or cancels it, naming ThrottlingError for each
// item on a key past its limit.
func (c *Capacity) transaction(req *http.Request, in map[string]json.RawMessage) *http.Response {
	var items []map[string]json.RawMessage
	_ = json.Unmarshal(in["TransactItems"], &items)
	ws := make([]write, len(items))
	for i, it := range items {
		for op, body := range it {
			ws[i] = writeOf(map[string]string{"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem", "ConditionCheck": "ConditionCheck"}[op], body)
		}
	}
	if c.admit(ws, 2) {
		return nil
	}
	reasons := make([]map[string]string, len(ws))
	codes := make([]string, len(ws))
	for i, w := range ws {
		codes[i] = "None"
		for _, k := range w.keys {
			if c.over("W ", k, w.units*2, c.limits.PartitionWCU) || c.over("W ", "table", w.units*2, c.limits.TableWCU) {
				codes[i] = "ThrottlingError"
			}
		}
		reasons[i] = map[string]string{"Code": codes[i]}
		if codes[i] == "ThrottlingError" {
			reasons[i]["Message"] = "Throughput exceeds the current capacity of your table or index. DynamoDB is automatically scaling your table or index so please try again shortly."
		}
	}
	if !slices.Contains(codes, "ThrottlingError") && len(codes) > 0 { // over only in sum
		codes[0], reasons[0] = "ThrottlingError", map[string]string{"Code": "ThrottlingError", "Message": "Throughput exceeds the current capacity of your table."}
	}
	c.stats.Throttled++
	c.stats.ThrottledTransactions++
	return errorResponse(req, "TransactionCanceledException", map[string]any{
		"Message":             "Transaction cancelled, please refer cancellation reasons for specific reasons [" + strings.Join(codes, ", ") + "]",
		"CancellationReasons": reasons,
	})
}

// batchWrite admits a BatchWriteItem item by item: it returns the body
// of the admitted items and the throttled ones, which the response gives
// back in UnprocessedItems (all throttled: the exception, as AWS answers
// when it could process none). DynamoDB Local does not check the request's
// signature, so the body may shrink after signing.
func (c *Capacity) batchWrite(req *http.Request, in map[string]json.RawMessage, body []byte) (*http.Response, []byte, batchItems) {
	var items batchItems
	_ = json.Unmarshal(in["RequestItems"], &items)
	admitted, unprocessed := batchItems{}, batchItems{}
	for tbl, reqs := range items {
		for _, r := range reqs {
			var w write
			if put, ok := r["PutRequest"]; ok {
				w = writeOf("PutItem", put)
			} else {
				w = writeOf("DeleteItem", r["DeleteRequest"])
			}
			if c.admit([]write{w}, 1) {
				admitted[tbl] = append(admitted[tbl], r)
			} else {
				unprocessed[tbl] = append(unprocessed[tbl], r)
			}
		}
	}
	switch {
	case len(unprocessed) == 0:
		return nil, body, nil
	case len(admitted) == 0:
		return c.throttled(req), nil, nil
	}
	for _, reqs := range unprocessed {
		c.stats.UnprocessedItems += len(reqs)
	}
	in["RequestItems"], _ = json.Marshal(admitted)
	body, _ = json.Marshal(in)
	return nil, body, unprocessed
}

// batchItems are a batch write's requests by table.
type batchItems map[string][]map[string]json.RawMessage

// withUnprocessed adds a batch's throttled requests to the UnprocessedItems
// of DynamoDB's response to the rest.
func withUnprocessed(resp *http.Response, throttled batchItems) (*http.Response, error) {
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	var out map[string]json.RawMessage
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, err
	}
	left := batchItems{}
	_ = json.Unmarshal(out["UnprocessedItems"], &left)
	for tbl, reqs := range throttled {
		left[tbl] = append(left[tbl], reqs...)
	}
	out["UnprocessedItems"], _ = json.Marshal(left)
	merged, _ := json.Marshal(out)
	resp.Body, resp.ContentLength = io.NopCloser(bytes.NewReader(merged)), int64(len(merged))
	resp.Header.Del("Content-Length")
	resp.Header.Del("X-Amz-Crc32")
	return resp, nil
}

// throttled is AWS's answer to a single call over its limit.
func (c *Capacity) throttled(req *http.Request) *http.Response {
	c.stats.Throttled++
	return errorResponse(req, "ProvisionedThroughputExceededException", map[string]any{
		"message": "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.",
	})
}

func errorResponse(req *http.Request, typ string, fields map[string]any) *http.Response {
	fields["__type"] = "com.amazonaws.dynamodb.v20120810#" + typ
	b, _ := json.Marshal(fields)
	return &http.Response{StatusCode: http.StatusBadRequest, Request: req, ContentLength: int64(len(b)),
		Header: http.Header{"Content-Type": {"application/x-amz-json-1.0"}, "X-Amzn-Requestid": {"capacity-simulator"}},
		Body:   io.NopCloser(bytes.NewReader(b))}
}

// writeOf is the write of one PutItem, UpdateItem, DeleteItem or
// ConditionCheck request body (a transaction's item has the same shape).
func writeOf(op string, raw json.RawMessage) write {
	var in struct {
		Item, Key                 map[string]json.RawMessage
		UpdateExpression          string
		ExpressionAttributeValues map[string]json.RawMessage
	}
	_ = json.Unmarshal(raw, &in)
	w := write{units: 1}
	switch op {
	case "PutItem":
		w.keys = append(w.keys, "PK "+stringValue(in.Item["PK"]))
		for _, ix := range indexes {
			if v, ok := in.Item[ix+"PK"]; ok {
				w.keys = append(w.keys, ix+" "+stringValue(v))
			}
		}
		w.units = math.Ceil(itemSize(in.Item) / 1024)
	default:
		w.keys = append(w.keys, "PK "+stringValue(in.Key["PK"]))
		for _, m := range setsIndexKey.FindAllStringSubmatch(in.UpdateExpression, -1) {
			w.keys = append(w.keys, m[1]+" "+stringValue(in.ExpressionAttributeValues[m[2]]))
		}
	}
	return w
}

// indexes are the table's global secondary indexes (shared/table): an item
// that sets <index>PK also writes that index partition.
var indexes = []string{"GSI1", "GSI2"}

// setsIndexKey finds the values an update expression gives GSI1PK or GSI2PK.
var setsIndexKey = regexp.MustCompile(`(GSI[12])PK\s*=\s*(:[A-Za-z0-9_]+)`)

// readKeys are the partition keys a read touches ("PK <v>", "GSI1 <v>").
func readKeys(op string, in map[string]json.RawMessage) []string {
	switch op {
	case "GetItem":
		var key map[string]json.RawMessage
		_ = json.Unmarshal(in["Key"], &key)
		return []string{"PK " + stringValue(key["PK"])}
	case "Query":
		return []string{queryKey(in)}
	case "BatchGetItem":
		var items map[string]struct{ Keys []map[string]json.RawMessage }
		_ = json.Unmarshal(in["RequestItems"], &items)
		var out []string
		for _, t := range items {
			for _, k := range t.Keys {
				out = append(out, "PK "+stringValue(k["PK"]))
			}
		}
		return out
	}
	return nil
}

// queryKey is the partition a Query reads: the value its key condition
// gives the partition key (by name or #placeholder).
func queryKey(in map[string]json.RawMessage) string {
	var q struct {
		IndexName, KeyConditionExpression string
		ExpressionAttributeValues         map[string]json.RawMessage
		ExpressionAttributeNames          map[string]string
	}
	b, _ := json.Marshal(in)
	_ = json.Unmarshal(b, &q)
	attr, prefix := "PK", "PK "
	if q.IndexName != "" {
		attr, prefix = q.IndexName+"PK", q.IndexName+" "
	}
	for _, m := range keyEquals.FindAllStringSubmatch(q.KeyConditionExpression, -1) {
		name := m[1]
		if n, ok := q.ExpressionAttributeNames[name]; ok {
			name = n
		}
		if name == attr {
			return prefix + stringValue(q.ExpressionAttributeValues[m[2]])
		}
	}
	return prefix + "?"
}

var keyEquals = regexp.MustCompile(`(#?[A-Za-z0-9_]+)\s*=\s*(:[A-Za-z0-9_]+)`)

// chargeRead charges a read by the items it returned.
func (c *Capacity) chargeRead(op string, in map[string]json.RawMessage, out []byte) {
	var resp struct {
		Item      map[string]json.RawMessage
		Items     []map[string]json.RawMessage
		Responses map[string][]map[string]json.RawMessage
	}
	_ = json.Unmarshal(out, &resp)
	var consistent bool
	_ = json.Unmarshal(in["ConsistentRead"], &consistent)
	rate := 0.5
	if consistent {
		rate = 1
	}
	total := 0.0
	switch op {
	case "GetItem":
		u := math.Max(1, math.Ceil(itemSize(resp.Item)/4096)) * rate
		c.charge("R "+readKeys(op, in)[0], u)
		total = u
	case "Query":
		size := 0.0
		for _, it := range resp.Items {
			size += itemSize(it)
		}
		u := math.Max(1, math.Ceil(size/4096)) * rate
		c.charge("R "+queryKey(in), u)
		total = u
	case "BatchGetItem":
		var req map[string]struct{ ConsistentRead bool }
		_ = json.Unmarshal(in["RequestItems"], &req)
		for tbl, items := range resp.Responses {
			r := 0.5
			if req[tbl].ConsistentRead {
				r = 1
			}
			for _, it := range items {
				u := math.Max(1, math.Ceil(itemSize(it)/4096)) * r
				c.charge("R PK "+stringValue(it["PK"]), u)
				total += u
			}
		}
	}
	c.charge("R table", total)
}

// itemSize is an item of the wire format's size by ItemSize's rules.
func itemSize(item map[string]json.RawMessage) float64 {
	return float64(ItemSize(wireItem(item)))
}

// wireItem decodes an item of DynamoDB's JSON wire format.
func wireItem(item map[string]json.RawMessage) map[string]types.AttributeValue {
	out := make(map[string]types.AttributeValue, len(item))
	for name, v := range item {
		out[name] = wireValue(v)
	}
	return out
}

func wireValue(raw json.RawMessage) types.AttributeValue {
	var v map[string]json.RawMessage
	_ = json.Unmarshal(raw, &v)
	for typ, val := range v {
		var s string
		var l []string
		switch typ {
		case "S":
			_ = json.Unmarshal(val, &s)
			return &types.AttributeValueMemberS{Value: s}
		case "N":
			_ = json.Unmarshal(val, &s)
			return &types.AttributeValueMemberN{Value: s}
		case "B":
			_ = json.Unmarshal(val, &s)
			b, _ := base64.StdEncoding.DecodeString(s)
			return &types.AttributeValueMemberB{Value: b}
		case "BOOL":
			return &types.AttributeValueMemberBOOL{}
		case "NULL":
			return &types.AttributeValueMemberNULL{}
		case "SS":
			_ = json.Unmarshal(val, &l)
			return &types.AttributeValueMemberSS{Value: l}
		case "NS":
			_ = json.Unmarshal(val, &l)
			return &types.AttributeValueMemberNS{Value: l}
		case "BS":
			_ = json.Unmarshal(val, &l)
			bs := make([][]byte, len(l))
			for i, e := range l {
				bs[i], _ = base64.StdEncoding.DecodeString(e)
			}
			return &types.AttributeValueMemberBS{Value: bs}
		case "L":
			var es []json.RawMessage
			_ = json.Unmarshal(val, &es)
			out := make([]types.AttributeValue, len(es))
			for i, e := range es {
				out[i] = wireValue(e)
			}
			return &types.AttributeValueMemberL{Value: out}
		case "M":
			var m map[string]json.RawMessage
			_ = json.Unmarshal(val, &m)
			return &types.AttributeValueMemberM{Value: wireItem(m)}
		}
	}
	return &types.AttributeValueMemberNULL{}
}

// stringValue is the string of an {"S": …} attribute value.
func stringValue(raw json.RawMessage) string {
	var v struct{ S string }
	_ = json.Unmarshal(raw, &v)
	return v.S
}
