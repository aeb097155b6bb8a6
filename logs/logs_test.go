package logs

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestParseLineReadsTheFieldsAndTheirAliases(t *testing.T) {
	cases := []struct {
		name string
		line string
		want Record
	}{
		{"the documented names",
			`{"level":"error","message":"upstream timeout","component":"retriever","trace_id":"ab12","span_id":"cd34","timestamp":"2026-11-27T04:00:00Z","metadata":{"shard":3}}`,
			Record{Time: time.Date(2026, 11, 27, 4, 0, 0, 0, time.UTC), Level: Error, Message: "upstream timeout", Component: "retriever", TraceID: "ab12", SpanID: "cd34", Metadata: map[string]any{"shard": 3.0}}},
		{"common aliases and unknown fields kept as metadata",
			`{"severity":"WARNING","msg":"slow query","service":"vectordb","ts":1764216000,"pod":"db-0"}`,
			Record{Time: time.Unix(1764216000, 0).UTC(), Level: Warn, Message: "slow query", Component: "vectordb", Metadata: map[string]any{"pod": "db-0"}}},
		{"an OpenTelemetry severity number and milliseconds",
			`{"severity_number":17,"body":"CUDA out of memory","time":1764216000123}`,
			Record{Time: time.UnixMilli(1764216000123).UTC(), Level: Error, Message: "CUDA out of memory", Component: "unknown"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseLine([]byte(c.line))
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("got  %+v\nwant %+v", got, c.want)
			}
		})
	}
}

func TestParseLineRefusesWhatItCannotRead(t *testing.T) {
	for _, c := range []struct{ line, want string }{
		{`not json`, "not a JSON object"},
		{`{"timestamp":"2026-11-27T04:00:00Z"}`, "no message"},
		{`{"message":"x"}`, "no timestamp"},
		{`{"message":"x","msg":"y","ts":1}`, "both give the message"},
		{`{"message":"x","ts":1,"level":"loud"}`, `level "loud"`},
		{`{"message":"x","ts":"yesterday"}`, "timestamp"},
		{`{"message":"x","ts":-5}`, "not a time"},
		{`{"message":7,"ts":1}`, "want a string"},
		{`{"message":"x","ts":1} {"message":"y","ts":2}`, "after top-level value"},
		{`null`, "not a JSON object"},
		{`[1,2]`, "not a JSON object"},
	} {
		if _, err := ParseLine([]byte(c.line)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q in it", c.line, err, c.want)
		}
	}
}

// A stream keeps its good lines and reports every bad one by number; a line over the limit is
// refused without being kept in memory.
func TestReadKeepsGoodLinesAndNumbersTheBadOnes(t *testing.T) {
	in := strings.Join([]string{
		`{"message":"a","ts":1}`,
		``,
		`{"message":`,
		`{"message":"` + strings.Repeat("x", 200) + `","ts":2}`,
		`{"message":"b","ts":3}`,
	}, "\n")
	b, err := Read(strings.NewReader(in), 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Records) != 2 || b.Records[1].Message != "b" {
		t.Errorf("records %+v", b.Records)
	}
	if len(b.Bad) != 2 || b.Bad[0].Line != 3 || b.Bad[1].Line != 4 || !strings.Contains(b.Bad[1].Error(), "longer than 100 bytes") {
		t.Errorf("bad lines %v", b.Bad)
	}
	if b.Lines != 5 {
		t.Errorf("%d lines, want 5", b.Lines)
	}
}

func TestTokensMaskValuesButNotNames(t *testing.T) {
	got := strings.Join(Tokens("timeout after 250ms on 10.0.0.7:8080 for gpt-4o request=5f3a9c01 id 7d0c1e2f-aaaa-bbbb-cccc-0123456789ab http2 at 2026-11-27T04:00:00Z"), " ")
	want := "timeout after <*> on <*> for gpt-4o request=<*> id <*> http2 at <*>"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestMinerGroupsMessagesByTemplate(t *testing.T) {
	var m Miner
	a := m.Add("connection to shard 3 refused by peer alpha")
	b := m.Add("connection to shard 7 refused by peer beta")
	c := m.Add("cache hit ratio fell below threshold")
	d := m.Add("connection to shard 9 refused by peer gamma")
	if a != b || b != d {
		t.Error("messages differing in one word and a number got different templates")
	}
	if c == a {
		t.Error("an unrelated message joined the template")
	}
	if got := a.String(); got != "connection to shard <*> refused by peer <*>" || a.Count != 3 {
		t.Errorf("template %q count %d", got, a.Count)
	}
	if len(m.Clusters()) != 2 {
		t.Errorf("%d clusters, want 2", len(m.Clusters()))
	}
}

func TestComparePatternsFindsNewAndGrowingErrors(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	split := t0.Add(5 * time.Hour)
	var recs []Record
	add := func(at time.Duration, level Level, msg string) {
		recs = append(recs, Record{Time: t0.Add(at), Level: level, Message: msg, Component: "llm"})
	}
	for m := 0; m < 360; m++ { // six hours
		at := time.Duration(m) * time.Minute
		add(at, Info, fmt.Sprintf("request %d served in %dms", m, 100+m%50))
		if m%60 == 0 {
			add(at, Error, fmt.Sprintf("rate limited by upstream after %d retries", m%5))
		}
		if at >= 5*time.Hour && m%3 == 0 {
			add(at, Error, fmt.Sprintf("CUDA out of memory allocating %d MiB", 512+m))
		}
		if m%20 == 0 && (at < 5*time.Hour || m%2 == 0) {
			add(at, Warn, fmt.Sprintf("KV cache usage at %d%%", 80+m%10))
		}
		if at >= 5*time.Hour && m%2 == 1 {
			add(at, Warn, fmt.Sprintf("KV cache usage at %d%%", 90+m%10))
		}
	}
	pats := ComparePatterns(recs, split, CompareOptions{ErrorsOnly: true})
	status := map[string]string{}
	for _, p := range pats {
		status[p.Template] = p.Status
	}
	want := map[string]string{
		"CUDA out of memory allocating <*> MiB":      "new",
		"KV cache usage at <*>":                      "growing",
		"rate limited by upstream after <*> retries": "steady",
	}
	for tmpl, st := range want {
		if status[tmpl] != st {
			t.Errorf("%q: %q, want %q (all: %v)", tmpl, status[tmpl], st, status)
		}
	}
	if pats[0].Status != "new" && pats[0].Status != "growing" {
		t.Errorf("the most surprising pattern is %+v", pats[0])
	}
	if _, ok := status["request <*> served in <*>"]; ok {
		t.Error("errors only, but an info template was compared")
	}
}

func TestErrorRatesPerComponent(t *testing.T) {
	recs := []Record{{Component: "a", Level: Error}, {Component: "a", Level: Info}, {Component: "b", Level: Info}, {Component: "a", Level: Fatal}}
	got := ErrorRates(recs)
	if len(got) != 2 || got[0].Component != "a" || got[0].Errors != 2 || got[0].Lines != 3 || got[1].Rate != 0 {
		t.Errorf("%+v", got)
	}
}

func FuzzParseLine(f *testing.F) {
	f.Add([]byte(`{"level":"error","message":"x","component":"c","timestamp":"2026-11-27T04:00:00Z","metadata":{"a":[1,2]}}`))
	f.Add([]byte(`{"severity_number":25,"body":"x","ts":1e30}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		r, err := ParseLine(line)
		if err != nil {
			return
		}
		if r.Component == "" || r.Level == "" {
			t.Fatalf("accepted a record without a component or level: %+v", r)
		}
	})
}

func FuzzRead(f *testing.F) {
	f.Add([]byte("{\"message\":\"a\",\"ts\":1}\n\n{bad\n"), 64)
	f.Fuzz(func(t *testing.T, data []byte, maxLine int) {
		maxLine = maxLine%512 + 1
		if maxLine <= 0 {
			maxLine += 512
		}
		b, err := Read(strings.NewReader(string(data)), maxLine)
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Records)+len(b.Bad) > b.Lines {
			t.Fatalf("%d records and %d bad lines from %d lines", len(b.Records), len(b.Bad), b.Lines)
		}
		var m Miner
		for _, r := range b.Records {
			if c := m.Add(r.Message); len(c.Template) != len(Tokens(r.Message)) {
				t.Fatal("a template of another length")
			}
		}
	})
}
