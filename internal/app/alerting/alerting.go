// Package alerting sends headroom's alerts — predictive exhaustion, poor health, anomalous series —
// to an Alertmanager (or anything that speaks its API v2: POST /api/v2/alerts). Each push sets an
// end a few loop intervals ahead, so an alert headroom stops sending resolves by itself, the way
// Prometheus's own rule evaluation does.
package alerting

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/headroom-oss/headroom/health"
	"github.com/headroom-oss/headroom/internal/app/loop"
)

// Alert is Alertmanager's postable alert.
type Alert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
}

// Client posts alerts to an Alertmanager.
type Client struct {
	URL  string // the Alertmanager's base URL: http://alertmanager:9093
	HTTP *http.Client
}

// Push posts the alerts in one request.
func (c Client) Push(ctx context.Context, alerts []Alert) error {
	if len(alerts) == 0 {
		return nil
	}
	body, err := json.Marshal(alerts)
	if err != nil {
		return fmt.Errorf("encode alerts: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(c.URL, "/")+"/api/v2/alerts", bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("alertmanager: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("alertmanager: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("alertmanager: %s: %s", resp.Status, strings.TrimSpace(string(msg)))
	}
	return nil
}

// FromState turns a loop state into alerts that stay active for ttl: one per predictive alert
// (HeadroomExhaustion), one when the health band is degraded or critical (HeadroomHealth), one per
// anomalous series (HeadroomAnomaly, severity info).
func FromState(st loop.State, ttl time.Duration, generatorURL string) []Alert {
	var out []Alert
	mk := func(name, severity string, labels, ann map[string]string) {
		l := map[string]string{"alertname": name, "service": st.Service, "severity": severity, "source": "headroom"}
		for k, v := range labels {
			l[k] = v
		}
		out = append(out, Alert{Labels: l, Annotations: ann, StartsAt: st.At, EndsAt: st.At.Add(ttl), GeneratorURL: generatorURL})
	}
	for _, e := range st.Alerts {
		if e.Severity != health.SeverityCritical && e.Severity != health.SeverityWarning {
			continue
		}
		mk("HeadroomExhaustion", string(e.Severity), map[string]string{"resource": e.Resource, "kind": e.Kind}, map[string]string{
			"summary":     fmt.Sprintf("%s reaches %g in %s (95%%: %s)", e.Resource, e.Limit, health.FormatETA(e.ETA), e.Interval()),
			"description": e.Action,
		})
	}
	if sc := st.Score; sc != nil && (sc.Band == health.Degraded || sc.Band == health.Critical) {
		severity := "warning"
		if sc.Band == health.Critical {
			severity = "critical"
		}
		mk("HeadroomHealth", severity, map[string]string{"band": string(sc.Band)}, map[string]string{
			"summary":     fmt.Sprintf("%s is %s (health %.2f): %s", st.Service, sc.Band, *sc.Score, strings.Join(sc.Evidence, "; ")),
			"description": strings.Join(sc.Recommendations, "; "),
		})
	}
	for _, name := range st.Anomalous {
		mk("HeadroomAnomaly", "info", map[string]string{"series": name}, map[string]string{
			"summary": fmt.Sprintf("%s of %s is anomalous (score %.2f, value %.4g)", name, st.Service, st.Anomalies[name], st.Observed[name]),
		})
	}
	return out
}
