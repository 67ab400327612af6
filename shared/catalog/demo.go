package catalog

import _ "embed"

// Demo is the catalogue `make dev` publishes, so the service is usable at once.
//
//go:embed demo/catalog.json
var Demo []byte
