package queueing

import (
	"errors"
	"testing"
)

func TestParseTargetsReadsEveryKey(t *testing.T) {
	cases := []struct {
		spec string
		kind Kind
		want []Target
	}{
		{"p95=500ms", ForStation, []Target{{MetricLatency, 0.95, 0.5}}},
		{"mean=1s, p99.9=2s", ForStation, []Target{{MetricLatency, 0, 1}, {MetricLatency, 0.999, 2}}},
		{"wait_p80=20s,pwait=0.2,util=80%", ForStation, []Target{{MetricPWait, 0, 0.2}, {MetricUtilization, 0, 0.8}, {MetricWait, 0.8, 20}}},
		{"ttft=500ms,itl=24ms", ForLLM, []Target{{MetricITL, 0, 0.024}, {MetricTTFT, 0, 0.5}}},
		{"e2e_p95=4s,util=0.95", ForLLM, []Target{{MetricE2E, 0.95, 4}, {MetricUtilization, 0, 0.95}}},
	}
	for _, tc := range cases {
		got, err := ParseTargets(tc.spec, tc.kind)
		if err != nil {
			t.Fatalf("%q: %v", tc.spec, err)
		}
		if len(got) != len(tc.want) {
			t.Fatalf("%q: got %v", tc.spec, got)
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%q: target %d = %+v, want %+v", tc.spec, i, got[i], tc.want[i])
			}
			back, err := ParseTargets(got[i].String(), tc.kind)
			if err != nil || back[0] != got[i] {
				t.Errorf("%v does not round-trip through String: %v, %v", got[i], back, err)
			}
		}
	}
}

func TestParseTargetsRefusesBadSpecs(t *testing.T) {
	for _, tc := range []struct {
		spec string
		kind Kind
	}{
		{"", ForStation}, {"p95", ForStation}, {"p95=500", ForStation}, {"p95=-1s", ForStation},
		{"p100=1s", ForStation}, {"ttft=1s", ForStation}, {"p95=1s", ForLLM}, {"util=1.5", ForLLM},
		{"pwait=0", ForStation}, {"pwait=0.1", ForLLM}, {"p95=1s,p95=2s", ForStation}, {"foo=1s", ForLLM},
		{"itl_pabc=1s", ForLLM}, {"p95=NaNs", ForStation},
	} {
		if _, err := ParseTargets(tc.spec, tc.kind); !errors.Is(err, ErrInvalid) {
			t.Errorf("%q: err = %v, want ErrInvalid", tc.spec, err)
		}
	}
}

func FuzzParseTargets(f *testing.F) {
	for _, s := range []string{"p95=500ms", "ttft=500ms,itl=24ms", "util=80%", "wait_p99.9=1m", "=,", "p=1s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		for _, kind := range []Kind{ForStation, ForLLM} {
			ts, err := ParseTargets(spec, kind)
			if err != nil {
				continue
			}
			for _, tg := range ts {
				if !(tg.Limit > 0) || tg.Quantile < 0 || tg.Quantile >= 1 {
					t.Fatalf("%q parsed to an out-of-range target %+v", spec, tg)
				}
			}
		}
	})
}
