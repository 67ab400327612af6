package main

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Local tokens are RS256 JWTs signed by a key made at start-up and checked
// the way the HTTP API JWT authorizer checks them: signature, issuer,
// audience and expiry. Only the authorizer's output reaches handlers.
const (
	localAudience = "partner-benefits-api"
	localKeyID    = "local-1"
	tokenTTL      = 12 * time.Hour
)

type tokens struct {
	key    *rsa.PrivateKey
	issuer string
	now    func() time.Time // real time: token expiry is not moved by /_local/clock
}

func newTokens(issuer string) (*tokens, error) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("generate signing key: %w", err)
	}
	return &tokens{key: k, issuer: issuer, now: time.Now}, nil
}

// issue signs a token for a partner user or, with no partner, the operator.
func (t *tokens) issue(partnerID, userID string, roles []string) (string, time.Time, error) {
	now := t.now()
	exp := now.Add(tokenTTL)
	claims := jwt.MapClaims{
		"iss": t.issuer, "aud": localAudience, "sub": userID,
		"iat": now.Unix(), "exp": exp.Unix(), "roles": roles,
	}
	if partnerID != "" {
		claims["partner_id"] = partnerID
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = localKeyID
	s, err := tok.SignedString(t.key)
	return s, exp, err
}

// verify checks a bearer token and returns its claims as the authorizer
// hands them to Lambda: every value a string, arrays as "[a b]".
func (t *tokens) verify(authorization string) (map[string]string, bool) {
	raw, ok := strings.CutPrefix(authorization, "Bearer ")
	if !ok {
		return nil, false
	}
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(strings.TrimSpace(raw), claims, func(*jwt.Token) (any, error) { return &t.key.PublicKey, nil },
		jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer(t.issuer), jwt.WithAudience(localAudience),
		jwt.WithExpirationRequired(), jwt.WithTimeFunc(t.now))
	if err != nil {
		return nil, false
	}
	out := make(map[string]string, len(claims))
	for k, v := range claims {
		out[k] = claimString(v)
	}
	return out, true
}

// claimString renders a claim the way API Gateway's JWT authorizer does.
func claimString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = claimString(e)
		}
		return "[" + strings.Join(parts, " ") + "]"
	default:
		b, _ := json.Marshal(v)
		return string(b)
	}
}

// jwks publishes the public key as a JSON Web Key Set, the document a real
// JWT authorizer reads from the issuer.
func (t *tokens) jwks() map[string]any {
	pub := t.key.PublicKey
	return map[string]any{"keys": []map[string]string{{
		"kty": "RSA", "alg": "RS256", "use": "sig", "kid": localKeyID,
		"n": base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}}}
}
