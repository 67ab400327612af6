// Package api holds the OpenAPI 3.1 document of the HTTP API. The document is
// tested against the route table in shared/routes, so the two cannot drift.
package api

import _ "embed"

// OpenAPI is the OpenAPI 3.1 document (YAML) describing every route of
// routes.All; the local gateway serves it.
//
//go:embed openapi.yaml
var OpenAPI []byte
