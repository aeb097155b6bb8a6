package slo

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/headroom-oss/headroom/internal/testkit/promtest"
)

// fakeService is the synthetic service a real Prometheus scrapes: request counters that grow with
// wall time at goodPerSecond, plus errorsPerSecond once the error ratio steps up.
type fakeService struct {
	mu             sync.Mutex
	start, stepAt  time.Time // stepAt is zero until the step
	stopAt         time.Time // zero while the service serves; counters stop growing after it
	firstScrape    time.Time
	goodPerSecond  float64
	errorPerSecond float64
}

func (s *fakeService) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	now := time.Now()
	if s.firstScrape.IsZero() {
		s.firstScrape = now
	}
	good, bad := s.countsAt(now)
	s.mu.Unlock()
	// Both series exist from the first scrape, so rate() sees the errors from their first increase.
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	fmt.Fprintf(w, "# TYPE http_request_duration_seconds_count counter\n")
	fmt.Fprintf(w, "http_request_duration_seconds_count{code=\"200\"} %g\n", good)
	fmt.Fprintf(w, "http_request_duration_seconds_count{code=\"500\"} %g\n", bad)
}

// countsAt is the good and bad request counts at now; the caller holds mu.
func (s *fakeService) countsAt(now time.Time) (good, bad float64) {
	if !s.stopAt.IsZero() && now.After(s.stopAt) {
		now = s.stopAt
	}
	good = s.goodPerSecond * now.Sub(s.start).Seconds()
	if !s.stepAt.IsZero() && now.After(s.stepAt) {
		bad = s.errorPerSecond * now.Sub(s.stepAt).Seconds()
	}
	return good, bad
}

// stop freezes the counters and returns the error ratio of everything Prometheus scraped.
func (s *fakeService) stop() float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopAt = time.Now()
	good0, _ := s.countsAt(s.firstScrape)
	good, bad := s.countsAt(s.stopAt)
	return bad / (good - good0 + bad)
}

func (s *fakeService) stepUp() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stepAt = time.Now()
	return s.stepAt
}

// promAPI reads instant queries and alerts from a Prometheus HTTP API.
type promAPI struct{ base string }

func (p promAPI) get(path string, into any) error {
	resp, err := http.Get(p.base + path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(into)
}

// scalar returns the single value of an instant query, or ok=false when it has no sample.
func (p promAPI) scalar(query string) (value float64, ok bool, err error) {
	var body struct {
		Data struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := p.get("/api/v1/query?query="+url.QueryEscape(query), &body); err != nil {
		return 0, false, err
	}
	if len(body.Data.Result) == 0 {
		return 0, false, nil
	}
	if len(body.Data.Result) > 1 {
		return 0, false, fmt.Errorf("%s: %d series, want 1", query, len(body.Data.Result))
	}
	text, _ := body.Data.Result[0].Value[1].(string)
	value, err = strconv.ParseFloat(text, 64)
	return value, true, err
}

// firing lists the severities of the firing alerts with the given name.
func (p promAPI) firing(name string) (map[string]bool, error) {
	var body struct {
		Data struct {
			Alerts []struct {
				Labels map[string]string `json:"labels"`
				State  string            `json:"state"`
			} `json:"alerts"`
		} `json:"data"`
	}
	if err := p.get("/api/v1/alerts", &body); err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, a := range body.Data.Alerts {
		if a.Labels["alertname"] == name && a.State == "firing" {
			out[a.Labels["sloth_severity"]] = true
		}
	}
	return out, nil
}

func startPrometheus(t *testing.T, dir, rulesFile, target string) promAPI {
	t.Helper()
	return promAPI{base: promtest.Start(t, fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [%q]
scrape_configs:
  - job_name: myservice
    static_configs:
      - targets: [%q]
`, rulesFile, target))}
}

// pageDetection is the workbook's detection time for the page alert when a service that served
// good requests at g/s for warmup starts failing e more requests a second: the first moment the
// error ratio over both windows of the 1h/5m pair crosses 14.4 × budget. Every window here still
// holds the whole short history, so both windows see errors/(requests) = e·t / (g·(warmup+t) + e·t).
func pageDetection(g, e, budget float64, warmup time.Duration) time.Duration {
	threshold := 14.4 * budget
	t := threshold * g * warmup.Seconds() / (e - threshold*(g+e))
	return time.Duration(t * float64(time.Second))
}

// A real Prometheus runs the generated rules against a live service whose error ratio steps from
// 0 to 1/11: the page alert stays quiet before the step, fires within the workbook's detection
// time plus scrape and evaluation delays after it, and the budget series read what the spec says.
func TestRealPrometheusFiresThePageAlertOnAnErrorStep(t *testing.T) {
	dir := t.TempDir()
	spec := gettingStarted(t)
	rules := writeGenerated(t, dir, "rules.yml", GenerateSloth(spec, Options{Improved: true}))

	service := &fakeService{start: time.Now(), goodPerSecond: 100, errorPerSecond: 10}
	exporter := httptest.NewServer(service)
	defer exporter.Close()
	api := startPrometheus(t, dir, rules, exporter.Listener.Addr().String())

	const sel = `{sloth_service="myservice",sloth_slo="requests-availability"}`
	// Warm up on good traffic until the 5-minute SLI exists and reads zero errors.
	deadline := time.Now().Add(30 * time.Second)
	for {
		v, ok, err := api.scalar("slo:sli_error:ratio_rate5m" + sel)
		if err != nil {
			t.Fatal(err)
		}
		if ok && v == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no 5m SLI after 30s of scraping (last ok=%v value=%g)", ok, v)
		}
		time.Sleep(250 * time.Millisecond)
	}
	time.Sleep(5 * time.Second)

	for query, want := range map[string]float64{
		"slo:objective:ratio" + sel:                     0.999,
		"slo:error_budget:ratio" + sel:                  0.001,
		"slo:time_period:days" + sel:                    30,
		"slo:current_burn_rate:ratio" + sel:             0,
		"slo:period_error_budget_remaining:ratio" + sel: 1,
		"slo:sli_error:ratio_rate30d" + sel:             0,
	} {
		got, ok, err := api.scalar(query)
		if err != nil || !ok || !approxEqual(got, want, 1e-9) {
			t.Errorf("before the step %s = %g (ok=%v, err=%v), want %g", query, got, ok, err, want)
		}
	}
	if firing, err := api.firing("MyServiceHighErrorRate"); err != nil || len(firing) > 0 {
		t.Fatalf("alerts firing on good traffic: %v (err %v)", firing, err)
	}

	service.mu.Lock()
	warmup := time.Since(service.firstScrape)
	service.mu.Unlock()
	step := service.stepUp()
	// Workbook time, plus up to one scrape and one rule evaluation for each of the two rule
	// levels (SLI recording rule, then the alert), plus slack for a busy CI machine.
	predicted := pageDetection(service.goodPerSecond, service.errorPerSecond, 0.001, warmup)
	limit := predicted + 4*time.Second + 10*time.Second
	var detected time.Duration
	for detected == 0 {
		firing, err := api.firing("MyServiceHighErrorRate")
		if err != nil {
			t.Fatal(err)
		}
		if firing["page"] {
			detected = time.Since(step)
			break
		}
		if time.Since(step) > limit {
			t.Fatalf("page alert not firing %v after the step (workbook detection %v after %v of good traffic)", time.Since(step).Round(time.Millisecond), predicted, warmup)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("page fired %v after the step; workbook detection %v after %v of good traffic", detected.Round(time.Millisecond), predicted.Round(time.Millisecond), warmup.Round(time.Second))

	// Once traffic stops, every rate window holds the whole scraped history and a fixed error
	// ratio, so the SLI reads the service's own ratio (up to rate()'s extrapolation by half a
	// scrape at the window's edges) and the burn rate is that ratio over the budget. The two are
	// recorded by different rule groups a moment apart, and the extrapolation shifts the ratio a
	// little as the window fills with frozen samples, hence 1% between them.
	// The errors run on for a few seconds first, so the frozen ratio sits well above the page
	// threshold rather than at the edge it had just crossed.
	time.Sleep(3 * time.Second)
	truth := service.stop()
	time.Sleep(4 * time.Second)
	ratio, ok, err := api.scalar("slo:sli_error:ratio_rate5m" + sel)
	// Half a one-second scrape of extrapolation over some 10 s of data moves it by up to 5%.
	if err != nil || !ok || !approxEqual(ratio, truth, 0.10) {
		t.Errorf("5m error ratio %g (ok=%v err=%v), want the service's %g within 10%%", ratio, ok, err, truth)
	}
	burn, ok, err := api.scalar("slo:current_burn_rate:ratio" + sel)
	if err != nil || !ok || !approxEqual(burn, ratio/0.001, 0.01) {
		t.Errorf("current burn rate %g (ok=%v err=%v), want the 5m error ratio %g / 0.001", burn, ok, err, ratio)
	}
	if burn < 14.4 {
		t.Errorf("current burn rate %g below the page factor 14.4 while the page fires", burn)
	}
	period, ok1, err1 := api.scalar("slo:period_burn_rate:ratio" + sel)
	remaining, ok2, err2 := api.scalar("slo:period_error_budget_remaining:ratio" + sel)
	if err1 != nil || err2 != nil || !ok1 || !ok2 || !approxEqual(remaining, 1-period, 1e-9) || period <= 0 {
		t.Errorf("period burn %g and budget remaining %g (errs %v %v): want remaining = 1 - burn > 0 burn", period, remaining, err1, err2)
	}
}

func approxEqual(a, b, tol float64) bool {
	d := a - b
	if d < 0 {
		d = -d
	}
	scale := math.Max(1e-12, math.Abs(b))
	if b == 0 {
		scale = 1
	}
	return d <= tol*scale
}
