package httpapi

import (
	"encoding/json"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/pbs/benefits/shared/access"
)

// callerFrom reads the claims the HTTP API JWT authorizer put in the event.
// The authorizer hands every claim over as a string, and an array claim as
// one string "[a b]", so roles are parsed from that form (a JSON array string
// is accepted too, for other authorizers).
func callerFrom(ev events.APIGatewayV2HTTPRequest) (access.Caller, bool) {
	az := ev.RequestContext.Authorizer
	if az == nil || az.JWT == nil {
		return access.Caller{}, false
	}
	claims := az.JWT.Claims
	sub := claims["sub"]
	if sub == "" {
		return access.Caller{}, false
	}
	return access.Caller{UserID: sub, PartnerID: claims["partner_id"], Roles: ParseRoles(claims["roles"])}, true
}

// ParseRoles reads an array claim as the JWT authorizer writes it.
func ParseRoles(claim string) []access.Role {
	claim = strings.TrimSpace(claim)
	var list []string
	if strings.HasPrefix(claim, "[\"") || claim == "[]" {
		_ = json.Unmarshal([]byte(claim), &list)
	} else {
		claim = strings.TrimSuffix(strings.TrimPrefix(claim, "["), "]")
		list = strings.FieldsFunc(claim, func(r rune) bool { return r == ' ' || r == ',' })
	}
	roles := make([]access.Role, 0, len(list))
	for _, s := range list {
		if s != "" {
			roles = append(roles, access.Role(s))
		}
	}
	return roles
}
