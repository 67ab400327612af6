package api

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/pbs/benefits/shared/apperr"
	"github.com/pbs/benefits/shared/catalog"
	"github.com/pbs/benefits/shared/httpapi"
	"github.com/pbs/benefits/shared/license"
	"github.com/pbs/benefits/shared/licensekey"
)

// Signer holds the Ed25519 key that signs licence keys and the public keys
// the service publishes to verify them.
type Signer struct {
	KeyID string             // the current key's id, carried by every key it signs
	Key   ed25519.PrivateKey // the current private key
	// Keys is every public key verifiers should hold, by id: the current
	// one and those of earlier keys whose licence keys are still out there.
	Keys licensekey.Keyring
}

// Sign signs a licence key's claims with the current key.
func (s *Signer) Sign(c licensekey.Claims) (string, error) {
	return licensekey.Sign(s.Key, s.KeyID, c)
}

var errSigningUnavailable = license.ErrSigningUnavailable

// keys is the key and licence use cases over the service's store.
func (s *Service) keys() license.Keys {
	k := license.Keys{Store: s.Store, NewID: s.NewID, Catalog: s.catalog, Watch: s.watchPool}
	if s.Signer != nil { // a nil *Signer in the interface would not be nil
		k.Signer = s.Signer
	}
	return k
}

type keyView struct {
	Key          string `json:"key"`
	Instructions string `json:"instructions"`
}

// getKey returns a software benefit's product key with its instructions. The
// first call takes a key from the product's pool (or signs one) and marks the
// benefit activated; every later call returns the same key with one read.
func (s *Service) getKey(ctx context.Context, r *httpapi.Request) (httpapi.Response, error) {
	b, err := s.keys().SoftwareKey(ctx, r.Caller.PartnerID, r.Caller.UserID, r.Path("benefitId"), s.Clock.Now())
	if err != nil {
		return httpapi.Response{}, err
	}
	cat, err := s.catalog(ctx)
	if err != nil {
		return httpapi.Response{}, err
	}
	resp, err := httpapi.JSON(http.StatusOK, keyView{Key: b.Key, Instructions: cat.Products[b.Product].InstructionsFor(language(r))})
	if err != nil {
		return httpapi.Response{}, err
	}
	resp.Headers["Cache-Control"] = "no-store" // the key is a secret
	return resp, nil
}

// watchPool tells the operator before a pool runs dry: a WARN log and a
// CloudWatch metric (embedded metric format) under the low-water mark, an
// ERROR when a partner met an empty pool.
func (s *Service) watchPool(ctx context.Context, product string, left int64, err error) {
	exhausted := errors.Is(err, license.ErrKeyPoolExhausted)
	if !exhausted && (err != nil || left < 0 || left >= s.KeyPoolLowWater) {
		return
	}
	level, msg := slog.LevelWarn, "key pool low"
	if exhausted {
		level, msg, left = slog.LevelError, "key pool exhausted", 0
	}
	s.Log.Log(ctx, level, msg, "product", product, "lowWater", s.KeyPoolLowWater,
		"_aws", map[string]any{
			"Timestamp": time.Now().UnixMilli(),
			"CloudWatchMetrics": []map[string]any{{
				"Namespace":  "PartnerBenefits",
				"Dimensions": [][]string{{"Product"}},
				"Metrics":    []map[string]string{{"Name": "KeyPoolRemaining", "Unit": "Count"}},
			}},
		}, "Product", product, "KeyPoolRemaining", left)
}

// getDownloads gives the link and SHA-256 for a language and OS, or, with
// neither, what is on offer.
func (s *Service) getDownloads(ctx context.Context, r *httpapi.Request) (httpapi.Response, error) {
	b, err := s.keys().Downloads(ctx, r.Caller.PartnerID, r.Path("benefitId"), s.Clock.Now())
	if err != nil {
		return httpapi.Response{}, err
	}
	cat, err := s.catalog(ctx)
	if err != nil {
		return httpapi.Response{}, err
	}
	p := cat.Products[b.Product]
	lang, os := r.Query("language"), r.Query("os")
	if lang == "" && os == "" {
		return httpapi.JSON(http.StatusOK, viewDownloadOptions(b.Product, p))
	}
	if err := bothOrNeither(lang, os); err != nil {
		return httpapi.Response{}, err
	}
	d, err := p.Download(lang, os)
	if err != nil {
		return httpapi.Response{}, err
	}
	// language is what was chosen, requestedLanguage what was asked for.
	return httpapi.JSON(http.StatusOK, map[string]string{"product": b.Product, "language": d.Language, "requestedLanguage": lang,
		"os": d.OS, "url": d.URL, "sha256": d.SHA256})
}

type downloadOption struct {
	Language string `json:"language"`
	OS       string `json:"os"`
}

type downloadOptionsView struct {
	Product   string           `json:"product"`
	Languages []string         `json:"languages"`
	OSes      []string         `json:"oses"`
	Available []downloadOption `json:"available"`
}

// viewDownloadOptions is what a product offers to download.
func viewDownloadOptions(product string, p catalog.Product) downloadOptionsView {
	langs, oses := p.DownloadOptions()
	out := downloadOptionsView{Product: product, Languages: nonNil(langs), OSes: nonNil(oses), Available: []downloadOption{}}
	for _, d := range p.Downloads {
		out.Available = append(out.Available, downloadOption{d.Language, d.OS})
	}
	return out
}

// bothOrNeither refuses a download query with only one of language and os.
func bothOrNeither(lang, os string) error {
	if lang != "" && os != "" {
		return nil
	}
	var f apperr.Fields
	if lang == "" {
		f.Add("language", apperr.Required, "give both language and os, or neither to list what is on offer")
	} else {
		f.Add("os", apperr.Required, "give both language and os, or neither to list what is on offer")
	}
	return f.Err()
}

// signingKeyView is one published public key.
type signingKeyView struct {
	KeyID     string `json:"keyId"`
	PublicKey string `json:"publicKey"`
	Current   bool   `json:"current"`
}

// getSigningKey publishes the public keys that verify signed licence keys:
// the current one at the top level (as before key rotation) and every key of
// the ring in keys, the current one first, so verifiers can keep old ones.
func (s *Service) getSigningKey(context.Context, *httpapi.Request) (httpapi.Response, error) {
	if s.Signer == nil {
		return httpapi.Response{}, errSigningUnavailable
	}
	current := base64.StdEncoding.EncodeToString(s.Signer.Key.Public().(ed25519.PublicKey))
	keys := []signingKeyView{{KeyID: s.Signer.KeyID, PublicKey: current, Current: true}}
	for _, kid := range slices.Sorted(maps.Keys(s.Signer.Keys)) {
		if kid != s.Signer.KeyID {
			keys = append(keys, signingKeyView{KeyID: kid, PublicKey: base64.StdEncoding.EncodeToString(s.Signer.Keys[kid])})
		}
	}
	resp, err := httpapi.JSON(http.StatusOK, struct {
		Algorithm string           `json:"algorithm"`
		Format    string           `json:"format"`
		KeyID     string           `json:"keyId"`
		PublicKey string           `json:"publicKey"`
		Keys      []signingKeyView `json:"keys"`
	}{"Ed25519", strings.TrimSuffix(licensekey.Prefix, "."), s.Signer.KeyID, current, keys})
	if err == nil {
		resp.Headers["Cache-Control"] = "public, max-age=3600"
	}
	return resp, err
}

// language is the caller's preferred language from Accept-Language.
func language(r *httpapi.Request) string {
	first, _, _ := strings.Cut(r.Header("Accept-Language"), ",")
	tag, _, _ := strings.Cut(first, ";")
	return strings.TrimSpace(tag)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
