package remotewrite

import (
	"bytes"
	"testing"
	"time"

	"github.com/golang/snappy"

	"github.com/headroom-oss/headroom/internal/adapters/metrics"
)

// FuzzDecode feeds the receiver's decoder arbitrary bodies: it must refuse or decode, never
// panic, and what it decodes must carry metric names.
func FuzzDecode(f *testing.F) {
	good, err := Encode([]metrics.Sample{{Labels: metrics.Labels{"__name__": "x_total", "job": "a"}, T: time.Unix(1700000000, 0), V: 3}})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte("not snappy"))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Add(snappy.Encode(nil, bytes.Repeat([]byte{0x0a, 0x00}, 1000))) // empty series: the decode bomb's shape
	f.Fuzz(func(t *testing.T, body []byte) {
		samples, err := Decode(bytes.NewReader(body), 1<<20)
		if err != nil {
			return
		}
		for _, s := range samples {
			if s.Labels["__name__"] == "" {
				t.Fatalf("decoded a sample without a name: %v", s)
			}
		}
	})
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	in := []metrics.Sample{
		{Labels: metrics.Labels{"__name__": "a_total", "z": "1", "b": "2"}, T: time.UnixMilli(1000), V: 1},
		{Labels: metrics.Labels{"__name__": "a_total", "z": "1", "b": "2"}, T: time.UnixMilli(2000), V: 2},
		{Labels: metrics.Labels{"__name__": "g"}, T: time.UnixMilli(1000), V: -0.5},
	}
	body, err := Encode(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Decode(bytes.NewReader(body), DefaultMaxBytes)
	if err != nil || len(out) != 3 {
		t.Fatalf("%v, %v", out, err)
	}
	for i := range in {
		if out[i].Labels.String() != in[i].Labels.String() || !out[i].T.Equal(in[i].T) || out[i].V != in[i].V {
			t.Errorf("sample %d: %v, want %v", i, out[i], in[i])
		}
	}
}
