package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"

	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/httpapi"
	"github.com/pbs/benefits/shared/license"
	"github.com/pbs/benefits/shared/partner"
)

// Body limits of the operator's uploads. A catalogue is stored as sent in
// one item (twice: the version and CURRENT), so 256 KiB keeps it well under
// DynamoDB's 400 KB with room for the item's other attributes; a key import
// must fit Lambda's 6 MB request payload, which is about 200,000 keys of 29
// characters.
const (
	maxCatalogBytes   = 256 << 10
	maxKeyImportBytes = 6 << 20
)

type partnerBody struct {
	Name         string `json:"name"`
	Currency     string `json:"currency"`
	AccountEmail string `json:"accountEmail"`
	Language     string `json:"language"`
}

// createPartner creates a partner and its first directory user, a
// global-admin with the account email.
func (s *Service) createPartner(ctx context.Context, _ *httpapi.Request, in partnerBody) (httpapi.Response, error) {
	p, admin, err := s.directory().AddPartner(ctx, partner.PartnerInput(in), s.Clock.Now())
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusCreated, map[string]string{"id": p.ID, "adminUserId": admin.ID})
}

// getCatalog returns the live catalogue document as it was published.
func (s *Service) getCatalog(ctx context.Context, _ *httpapi.Request) (httpapi.Response, error) {
	_, doc, err := s.Store.CurrentCatalog(ctx)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.Response{StatusCode: http.StatusOK, Headers: map[string]string{"Content-Type": "application/json"}, Body: string(doc)}, nil
}

// publishCatalog validates a catalogue document and makes it the live
// version; versions are immutable, so a label can be published once.
func (s *Service) publishCatalog(ctx context.Context, r *httpapi.Request, raw json.RawMessage) (httpapi.Response, error) {
	cat, err := catalog.Publisher{Store: s.Store}.Publish(ctx, raw, r.Caller.UserID, s.Clock.Now())
	if err != nil {
		return httpapi.Response{}, err
	}
	s.forgetCatalog()
	return httpapi.JSON(http.StatusCreated, map[string]string{"version": cat.Version})
}

// keyRE is the shape of an imported key. It is compiled on the first import:
// its {0,255} costs about 0.4 ms and 240 KB to compile, which every cold
// start of every HTTP function paid before.
var keyRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9+/=._:-]{0,255}$`) })

// maxLineErrors caps the field errors reported for one import.
const maxLineErrors = 20

// importKeys adds keys to a product's pool from CSV (one key per line,
// optional "key" header) or JSON lines ({"key": "..."}). Keys are secrets:
// they are never logged and never echoed in errors.
func (s *Service) importKeys(ctx context.Context, r *httpapi.Request) (httpapi.Response, error) {
	pools := license.Pools{Store: s.Store, Catalog: s.catalog}
	imported, dups, err := pools.Import(ctx, r.Path("product"), func() ([]string, error) { return parseKeys(r) }, s.Clock.Now())
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, map[string]int{"imported": imported, "duplicates": dups})
}

// parseKeys reads the keys of an import in the request's media type.
func parseKeys(r *httpapi.Request) ([]string, error) {
	body, err := r.Body()
	if err != nil {
		return nil, err
	}
	switch mt := r.MediaType(); mt {
	case "text/csv":
		return parseCSVKeys(body)
	case "application/x-ndjson", "application/jsonl", "application/jsonlines":
		return parseJSONLKeys(body)
	default:
		return nil, apperr.New(apperr.Unsupported, "unsupported_media_type", "Send keys as text/csv or application/x-ndjson.")
	}
}

func parseCSVKeys(body []byte) ([]string, error) {
	rd := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")))) // a spreadsheet's BOM
	rd.FieldsPerRecord = -1
	rd.TrimLeadingSpace = true
	var keys []string
	var f apperr.Fields
	for line := 1; ; line++ {
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			f.Add(fmt.Sprintf("line[%d]", line), apperr.Format, "not valid CSV")
			break
		}
		k := strings.TrimSpace(rec[0])
		if line == 1 && strings.EqualFold(k, "key") {
			continue
		}
		addKey(&keys, &f, line, k)
	}
	return keys, lineErrors(f)
}

func parseJSONLKeys(body []byte) ([]string, error) {
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	var keys []string
	var f apperr.Fields
	for line := 1; sc.Scan(); line++ {
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		var rec struct {
			Key string `json:"key"`
		}
		if err := json.Unmarshal(text, &rec); err != nil {
			if len(f) < maxLineErrors {
				f.Add(fmt.Sprintf("line[%d]", line), apperr.Format, `must be a JSON object {"key": "..."}`)
			}
			continue
		}
		addKey(&keys, &f, line, strings.TrimSpace(rec.Key))
	}
	if err := sc.Err(); err != nil {
		f.Add("body", apperr.TooLong, "a line is longer than 64 KiB")
	}
	return keys, lineErrors(f)
}

func addKey(keys *[]string, f *apperr.Fields, line int, k string) {
	switch {
	case k == "":
		// blank lines are ignored
	case !keyRE().MatchString(k):
		if len(*f) < maxLineErrors {
			f.Add(fmt.Sprintf("line[%d]", line), apperr.Format, "a key is 1–256 letters, digits and + / = . _ : -")
		}
	default:
		*keys = append(*keys, k)
	}
}

func lineErrors(f apperr.Fields) error {
	if len(f) == 0 {
		return nil
	}
	return f.Err()
}
