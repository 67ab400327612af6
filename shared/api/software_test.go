package api

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/pbs/benefits/shared/store"
)

func TestWatchPoolWarnsUnderLowWaterWithAMetric(t *testing.T) {
	var buf bytes.Buffer
	s := &Service{Log: slog.New(slog.NewJSONHandler(&buf, nil)), KeyPoolLowWater: 5}
	ctx := context.Background()

	s.watchPool(ctx, "office-suite-pro", 10, nil)
	s.watchPool(ctx, "office-suite-pro", -1, nil) // count unknown
	if buf.Len() != 0 {
		t.Fatalf("no warning above the mark: %s", buf.String())
	}
	s.watchPool(ctx, "office-suite-pro", 3, nil)
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatal(err)
	}
	aws, _ := rec["_aws"].(map[string]any)
	if rec["level"] != "WARN" || rec["KeyPoolRemaining"] != float64(3) || rec["Product"] != "office-suite-pro" || aws["CloudWatchMetrics"] == nil {
		t.Errorf("low-water record %v", rec)
	}
	buf.Reset()
	s.watchPool(ctx, "office-suite-pro", 0, store.ErrKeyPoolExhausted)
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatal(err)
	}
	if rec["level"] != "ERROR" || rec["KeyPoolRemaining"] != float64(0) {
		t.Errorf("exhausted record %v", rec)
	}
}
