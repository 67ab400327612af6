package main

import (
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path"
	"strings"
	"sync"

	"github.com/pbs/benefits/shared/console"
)

// consoleSite serves the benefits console (built by `make web` into
// .build/web) and its config.json at the gateway's root, with the security
// headers CloudFront adds in AWS, so the page runs here under the same policy.
// Everything under /v1/ stays the API's.
type consoleSite struct {
	files fs.FS
	mu    sync.Mutex
	cfg   console.Config
}

// errNoConsole: the console has not been built.
var errNoConsole = errors.New("console not built")

func newConsoleSite(dir string, cfg console.Config) (*consoleSite, error) {
	if _, err := os.Stat(path.Join(dir, "index.html")); err != nil {
		return nil, errNoConsole
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &consoleSite{files: os.DirFS(dir), cfg: cfg}, nil
}

// config returns the current config.json.
func (c *consoleSite) config() console.Config {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cfg
}

// setDemo changes whom the local sign-in offers (tests sign in as their own partner).
func (c *consoleSite) setDemo(d console.Demo) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cfg.Auth.Demo = &d
}

func (c *consoleSite) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	cfg := c.config()
	for k, v := range console.Headers(cfg.ConnectOrigins()...) {
		w.Header().Set(k, v)
	}
	// Always revalidate: a rebuilt console shows on the next reload.
	w.Header().Set("Cache-Control", "no-cache")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
		return
	}
	name := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
	switch name {
	case "":
		name = "index.html"
	case "config.json":
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(cfg)
		return
	}
	st, err := fs.Stat(c.files, name)
	if err != nil || st.IsDir() || !fs.ValidPath(name) {
		http.Error(w, "Not Found", http.StatusNotFound)
		return
	}
	http.ServeFileFS(w, r, c.files, name)
}
