package workload

import (
	"bytes"
	"math"
	"os"
	"strings"
	"testing"
)

func readFile(t *testing.T, path string) Trace {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr, err := Read(f)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestReadRecognisesEachFormat(t *testing.T) {
	az := readFile(t, "testdata/azure-2023-code-300.csv")
	if az.Format != FormatAzure || len(az.Requests) != 300 || az.Requests[0].Arrival != 0 {
		t.Fatalf("azure: %s, %d requests", az.Format, len(az.Requests))
	}
	// 18:17:03.9799600 → 18:17:04.0319600: 52 ms apart, kept to the 100 ns.
	if d := az.Requests[1].Arrival - az.Requests[0].Arrival; math.Abs(d-0.052) > 1e-6 {
		t.Errorf("second arrival at %v s, want 0.052", d)
	}
	if az.Requests[0].InputTokens != 4808 || az.Requests[0].OutputTokens != 10 {
		t.Errorf("first request %+v", az.Requests[0])
	}
	mc := readFile(t, "testdata/mooncake-200.jsonl")
	if mc.Format != FormatMooncake || len(mc.Requests) != 200 || len(mc.Requests[0].PrefixBlocks) == 0 {
		t.Fatalf("mooncake: %s %d", mc.Format, len(mc.Requests))
	}
	cases := map[string]string{
		"Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type\n0.5,ChatGPT,10,20,30,Conversation log\n1.5,GPT-4,5,6,11,API log\n":                    FormatBurstGPT,
		"Timestamp,Session ID,Elapsed time,Model,Request tokens,Response tokens,Total tokens,Log Type\n3,1,0,ChatGPT,7,8,15,API log\n4,1,1,ChatGPT,7,9,16,API log\n": FormatBurstGPT,
		"TIMESTAMP,ContextTokens,GeneratedTokens\n2024-05-10 00:00:00.009930+00:00,1,2\n2024-05-10 00:00:01.5+00:00,3,4\n":                                           FormatAzure,
		"timestamp,input_tokens,output_tokens\n2026-01-01T00:00:00Z,100,20\n2026-01-01T00:00:02Z,50,10\n":                                                            FormatGeneric,
	}
	for in, want := range cases {
		tr, err := Read(strings.NewReader(in))
		if err != nil || tr.Format != want || len(tr.Requests) != 2 || tr.Duration() <= 0 {
			t.Errorf("%q: %+v, %v", in[:30], tr, err)
		}
	}
}

func TestReadRefusesMalformedTraces(t *testing.T) {
	for in, want := range map[string]string{
		"":                 "empty",
		"when,what\n1,2\n": "unrecognised",
		"TIMESTAMP,ContextTokens,GeneratedTokens\nyesterday,1,2\n":               "line 2",
		"TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:17:03.97,-1,2\n": "token count",
		"TIMESTAMP,ContextTokens,GeneratedTokens\n":                              "no requests",
		`{"timestamp": 1, "input_length": 3}` + "\n":                             "required",
		`{"timestamp": 1, "input_length": 3, "output_length": 1, "extra": 2}`:    "unknown field",
		"timestamp,input_tokens,output_tokens\n1,2.5,3\n":                        "token count",
	} {
		if _, err := Read(strings.NewReader(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", in, err, want)
		}
	}
}

func TestGeneratedProcessesHaveTheirBurstiness(t *testing.T) {
	for _, tc := range []struct {
		p      Process
		wantCV float64
	}{{Poisson, 1}, {Gamma(3), 3}, {Gamma(0.5), 0.5}} {
		tr, err := Generate(Constant(20, 5000), tc.p, 7)
		if err != nil {
			t.Fatal(err)
		}
		s, err := Summarize(tr, 10)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(s.MeanRate-20) > 0.6 || math.Abs(s.InterArrivalCV-tc.wantCV) > 0.08*tc.wantCV {
			t.Errorf("%+v: rate %.2f, CV %.3f; want 20 and %.1f", tc.p, s.MeanRate, s.InterArrivalCV, tc.wantCV)
		}
	}
	// An on/off process is overdispersed: its counts vary far more than a Poisson stream's.
	onoff, _ := Generate(OnOff(50, 2, 30, 60, 20000, 3), Poisson, 3)
	s, _ := Summarize(onoff, 10)
	if s.Dispersion < 5 {
		t.Errorf("on/off dispersion %.2f, want ≫ 1", s.Dispersion)
	}
}

func TestRateSeriesBecomeArrivals(t *testing.T) {
	in := "window_start_s,rate_rps,active_clients\n0,2.0,5\n600,8.0,6\n1200,0,1\n"
	w, err := ReadRates(strings.NewReader(in))
	if err != nil || len(w) != 3 || w[2].Length != 600 {
		t.Fatalf("%+v, %v", w, err)
	}
	tr, err := Generate(w, Poisson, 1)
	if err != nil {
		t.Fatal(err)
	}
	first, second := 0, 0
	for _, r := range tr.Requests {
		if r.Arrival+tr.Requests[0].Arrival < 600 {
			first++
		} else {
			second++
		}
	}
	if math.Abs(float64(first)-1200) > 120 || math.Abs(float64(second)-4800) > 300 {
		t.Errorf("%d and %d arrivals, want about 1200 and 4800", first, second)
	}
	for _, bad := range []string{"a,b\n1,2\n", "start,rate\n0,1\n", "start,rate\n0,1\n0,2\n", "start,rate\n0,-1\n1,1\n"} {
		if _, err := ReadRates(strings.NewReader(bad)); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
}

func TestTransformsKeepTheShape(t *testing.T) {
	tr, _ := Generate(Constant(10, 1000), Gamma(2), 1)
	fast, _ := ScaleTime(tr, 10)
	if math.Abs(fast.Duration()*10-tr.Duration()) > 1e-6 {
		t.Errorf("time scale: %v vs %v", fast.Duration(), tr.Duration())
	}
	for _, factor := range []float64{0.3, 2.5} {
		scaled, err := ScaleRate(tr, factor, 2)
		if err != nil {
			t.Fatal(err)
		}
		if ratio := float64(len(scaled.Requests)) / float64(len(tr.Requests)); math.Abs(ratio-factor) > 0.05*factor {
			t.Errorf("rate scale %v gave %v× the requests", factor, ratio)
		}
	}
	az := readFile(t, "testdata/azure-2023-code-300.csv")
	withTokens, err := WithTokens(tr, az, 3)
	if err != nil || withTokens.Requests[10].InputTokens == 0 {
		t.Errorf("token sampling: %+v, %v", withTokens.Requests[10], err)
	}
}

func TestStatsOfTheMooncakeSampleShowPrefixReuse(t *testing.T) {
	s, err := Summarize(readFile(t, "testdata/mooncake-200.jsonl"), 10)
	if err != nil {
		t.Fatal(err)
	}
	if s.PrefixReuse == nil || *s.PrefixReuse <= 0 || s.InputTokens.Mean <= 0 {
		t.Errorf("stats %+v", s)
	}
}

func FuzzRead(f *testing.F) {
	for _, p := range []string{"testdata/azure-2023-code-300.csv", "testdata/mooncake-200.jsonl"} {
		data, _ := os.ReadFile(p)
		f.Add(data[:min(len(data), 2000)])
	}
	f.Add([]byte("Timestamp,Model,Request tokens,Response tokens\n1,m,2,3\n"))
	f.Add([]byte("timestamp,input_tokens,output_tokens\n1,2,3\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := Read(bytes.NewReader(data))
		if err != nil {
			return
		}
		for i, r := range tr.Requests {
			if math.IsNaN(r.Arrival) || r.Arrival < 0 || i > 0 && r.Arrival < tr.Requests[i-1].Arrival {
				t.Fatalf("request %d at %v", i, r.Arrival)
			}
		}
		if len(tr.Requests) >= 2 {
			if _, err := Summarize(tr, 1); err != nil && tr.Duration() > 0 {
				t.Fatalf("stats: %v", err)
			}
		}
	})
}

func FuzzReadRates(f *testing.F) {
	f.Add([]byte("window_start_s,rate_rps\n0,1\n600,2\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		w, err := ReadRates(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, x := range w {
			if x.Length <= 0 || x.Rate < 0 {
				t.Fatalf("window %+v", x)
			}
		}
	})
}

func TestARunIsReadWithItsMeasurements(t *testing.T) {
	tr, ms, err := ReadRun(strings.NewReader("arrival_s,input_tokens,output_tokens,ttft_s,e2e_s,error\n0.5,582,248,0.07,2.04,0\n0.6,577,248,,,1\n"))
	if err != nil || len(tr.Requests) != 2 || math.Abs(tr.Requests[1].Arrival-0.1) > 1e-12 || len(ms) != 2 || !ms[1].Failed || ms[0].TTFT != 0.07 {
		t.Fatalf("%+v %+v %v", tr, ms, err)
	}
	if itl := ms[0].ITL(248); math.Abs(itl-(2.04-0.07)/247) > 1e-12 {
		t.Errorf("itl %g", itl)
	}
	for _, tc := range []struct{ csv, want string }{
		{"arrival_s,input_tokens\n0,1\n", "lacks output_tokens"},
		{"arrival_s,input_tokens,output_tokens,ttft_s\n0,1,1,0.1\n", "both or neither"},
		{"arrival_s,input_tokens,output_tokens\n1,1,1\n0.5,1,1\n", "row 3: arrival_s 0.5 goes back"},
		{"arrival_s,input_tokens,output_tokens,ttft_s,e2e_s,error\n0,1,1,,,0\n", "row 2: ttft_s and e2e_s are required"},
		{"arrival_s,input_tokens,output_tokens,ttft_s,e2e_s,error\n0,1,1,0.5,0.2,0\n", "less than ttft_s"},
		{"arrival_s,input_tokens,output_tokens\n0,-1,1\n", "row 2: input_tokens"},
		{"arrival_s,input_tokens,output_tokens\n", "no requests"},
	} {
		if _, _, err := ReadRun(strings.NewReader(tc.csv)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.csv, err, tc.want)
		}
	}
	if tr, err := Read(strings.NewReader("arrival_s,input_tokens,output_tokens\n0,5,6\n")); err != nil || tr.Format != FormatRun {
		t.Errorf("Read does not recognise a run: %v", err)
	}
}

func FuzzReadRun(f *testing.F) {
	f.Add("arrival_s,input_tokens,output_tokens,ttft_s,e2e_s,error\n0.5,582,248,0.07,2.04,0\n0.6,577,248,,,1\n")
	f.Add("arrival_s,input_tokens,output_tokens\n0,1,1\n")
	f.Fuzz(func(t *testing.T, data string) {
		tr, ms, err := ReadRun(strings.NewReader(data))
		if err != nil {
			return
		}
		if ms != nil && len(ms) != len(tr.Requests) {
			t.Fatalf("%d measurements for %d requests", len(ms), len(tr.Requests))
		}
		for i, r := range tr.Requests {
			if r.Arrival < 0 || (i > 0 && r.Arrival < tr.Requests[i-1].Arrival) || r.InputTokens < 0 {
				t.Fatalf("request %d: %+v", i, r)
			}
		}
	})
}
