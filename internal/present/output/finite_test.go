package output

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"strings"
	"testing"
	"time"
)

type inner struct {
	P50 float64 `json:"p50"`
	P99 float64 `json:"p99"`
}

type embedded struct {
	Shared float64 `json:"shared"`
}

type view struct {
	embedded
	Name     string             `json:"name"`
	When     time.Time          `json:"when"`
	Latency  inner              `json:"latency"`
	Points   []float64          `json:"points"`
	ByModel  map[string]float64 `json:"by_model"`
	Optional *inner             `json:"optional,omitempty"`
	Skipped  float64            `json:"-"`
	Empty    []string           `json:"empty,omitempty"`
}

func (view) WriteTable(w io.Writer) error { return nil }

func TestJSONWritesNonFiniteNumbersAsNull(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	v := view{embedded: embedded{Shared: nan}, Name: "chat", When: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Latency: inner{P50: 0.2, P99: nan}, Points: []float64{1, inf, -inf}, ByModel: map[string]float64{"a": nan, "b": 2},
		Skipped: nan}
	var buf bytes.Buffer
	if err := Write(&buf, JSON, v); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, buf.String())
	}
	want := `{"shared":null,"name":"chat","when":"2026-01-02T03:04:05Z","latency":{"p50":0.2,"p99":null},"points":[1,null,null],"by_model":{"a":null,"b":2}}`
	compact, _ := json.Marshal(got)
	var wantTree map[string]any
	json.Unmarshal([]byte(want), &wantTree)
	wantCompact, _ := json.Marshal(wantTree)
	if string(compact) != string(wantCompact) {
		t.Errorf("got  %s\nwant %s", compact, wantCompact)
	}
	// Field order is the struct's, as encoding/json writes it.
	if i, j := strings.Index(buf.String(), `"shared"`), strings.Index(buf.String(), `"by_model"`); !(i >= 0 && i < j) {
		t.Errorf("fields out of declaration order:\n%s", buf.String())
	}
}

func TestJSONOfFiniteValuesIsEncodingJSONs(t *testing.T) {
	v := view{Name: "chat", Latency: inner{P50: 0.2, P99: 0.9}, Points: []float64{1, 2}, Optional: &inner{P50: 1}}
	var buf bytes.Buffer
	if err := Write(&buf, JSON, v); err != nil {
		t.Fatal(err)
	}
	want, _ := json.MarshalIndent(v, "", "  ")
	if strings.TrimSpace(buf.String()) != string(want) {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
}

func TestJSONWritesDurationsInSeconds(t *testing.T) {
	type eta struct {
		ETA  *time.Duration `json:"eta"`
		Took time.Duration  `json:"took"`
		None *time.Duration `json:"none"`
	}
	d := 90 * time.Minute
	var got map[string]any
	if err := json.Unmarshal(mustJSON(t, eta{ETA: &d, Took: 1500 * time.Millisecond}), &got); err != nil {
		t.Fatal(err)
	}
	if got["eta"] != 5400.0 || got["took"] != 1.5 || got["none"] != nil {
		t.Errorf("got %v, want eta 5400, took 1.5, none null", got)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := encodeJSON(&buf, v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
