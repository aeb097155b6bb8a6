// headroom's dashboard: reads the JSON API every 15 s and redraws. No framework: the page is small.
"use strict";

// Any script error is counted on the page, so a browser test can see that there was none.
let scriptErrors = 0;
window.addEventListener("error", () => { scriptErrors++; document.body.dataset.errors = String(scriptErrors); });
window.addEventListener("unhandledrejection", () => { scriptErrors++; document.body.dataset.errors = String(scriptErrors); });

const api = (path) => fetch(path, {headers: {Accept: "application/json"}}).then((r) => {
  if (!r.ok) throw new Error(path + ": " + r.status);
  return r.json();
});

const fmt = (v, digits = 3) => (v === undefined || v === null || Number.isNaN(v)) ? "–" : Number(v).toPrecision(digits);
const ms = (s) => s === undefined || s === null ? "–" : Math.round(s * 1000) + " ms";

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
}

function fact(label, value, bad) {
  return el("div", bad ? {class: "bad"} : {}, el("b", {}, value), label);
}

// chart draws series over time with uPlot; data is [times, ...series].
function chart(target, title, labels, data) {
  const opts = {
    title, width: 420, height: 200,
    series: [{}].concat(labels.map((l, i) => ({label: l, stroke: ["#2a6fdb", "#e0823d", "#3a9a5b", "#9b59b6"][i % 4], width: 1.5}))),
    axes: [{}, {size: 60}],
  };
  const box = el("div", {class: "chart", "data-title": title});
  target.append(box);
  new uPlot(opts, data, box);
}

async function drawService(root, st, cause) {
  const sec = el("section", {class: "service", id: "service-" + st.service});
  sec.append(el("h2", {}, st.service));
  const facts = el("div", {class: "facts"});
  facts.append(
    fact("health", st.health || "–", st.health === "at risk" || st.health === "saturated"),
    fact("arrival rate (req/s)", fmt(st.observed && st.observed.arrival_rate)),
    fact("forecast peak (req/s)", fmt(st.forecast && st.forecast.peak)),
    fact("replicas: recommended / running", st.desired + " / " + (st.observed && st.observed.pods !== undefined ? st.observed.pods : "–")),
    fact("predicted p95 TTFT", ms(st.predicted && st.predicted.ttft_p95_seconds), st.predicted && !st.predicted.meets_slo),
    fact("observed p95 TTFT", ms(st.observed && st.observed.ttft_p95)),
    fact("cost per hour", st.currency ? fmt(st.cost_per_hour, 4) + " " + st.currency : "–"),
  );
  for (const b of st.slos || []) {
    const left = b.budget_remaining;
    facts.append(fact("budget left: " + b.name, left === undefined ? "–" : (100 * left).toFixed(1) + "%", left !== undefined && left < 0));
  }
  const hs = st.health_score;
  if (hs) facts.append(fact("health score (" + hs.band + ")", hs.score === null ? "–" : hs.score.toFixed(2), hs.band === "critical" || hs.band === "degraded"));
  sec.append(facts, el("p", {class: "reason"}, "Why: " + st.reason));
  if (hs && hs.evidence && hs.evidence.length) sec.append(el("p", {class: "reason"}, "Evidence: " + hs.evidence.join("; ")));
  if (hs && hs.recommendations && hs.recommendations.length) sec.append(el("p", {class: "reason"}, "Do: " + hs.recommendations.join("; ")));
  if (st.anomalous && st.anomalous.length) {
    sec.append(el("p", {class: "reason bad"}, "Anomalous: " + st.anomalous.map((n) => n + " (" + fmt(st.anomalies[n], 2) + ")").join(", ")));
  }
  if (st.alerts && st.alerts.length) sec.append(alertTable(st.alerts));
  if (cause) {
    sec.append(el("p", {class: "reason rootcause"}, "Root cause (" + cause.trigger + ", " + new Date(cause.at).toLocaleTimeString() + "): " + cause.report.explanation));
  }
  if (st.health_reasons && st.health_reasons.length) sec.append(el("p", {class: "reason"}, "Health: " + st.health_reasons.join("; ")));
  for (const b of st.slos || []) {
    if (b.firing && b.firing.length) sec.append(el("p", {class: "reason"}, "SLO " + b.name + ": " + b.firing.join(" and ") + " alert firing"));
  }
  const charts = el("div", {class: "charts"});
  sec.append(charts);
  root.append(sec);

  const hist = await api("/api/headroom/v1/services/" + encodeURIComponent(st.service) + "/history");
  const states = hist.states || [];
  if (states.length > 0) {
    const t = states.map((s) => Date.parse(s.at) / 1000);
    const obs = (k) => states.map((s) => s.observed && s.observed[k] !== undefined ? s.observed[k] : null);
    // The forecast for the next minute with its 95% band, made at each decision, against what came.
    const fc = (k) => states.map((s) => s.forecast && s.forecast[k] && s.forecast[k].length ? s.forecast[k][0] : null);
    chart(charts, "load and forecast band (req/s)", ["observed", "forecast", "95% lower", "95% upper"],
      [t, obs("arrival_rate"), fc("mean"), fc("lower"), fc("upper")]);
    chart(charts, "replicas: recommended and running", ["recommended", "running (pods reporting)"], [t, states.map((s) => s.desired), obs("pods")]);
    const limit = st.limits && st.limits.ttft_p95 !== undefined ? st.limits.ttft_p95 : null;
    chart(charts, "p95 TTFT (s) against the SLO", ["predicted", "observed", "SLO"], [t,
      states.map((s) => s.predicted ? s.predicted.ttft_p95_seconds : null), obs("ttft_p95"), states.map(() => limit)]);
    const slos = (st.slos || []).map((b) => b.name);
    if (slos.length > 0) {
      chart(charts, "error budget left", slos, [t].concat(slos.map((name) => states.map((s) => {
        const b = (s.slos || []).find((x) => x.name === name);
        return b && b.budget_remaining !== undefined ? b.budget_remaining : null;
      }))));
    }
    if (st.currency) chart(charts, "cost per hour (" + st.currency + ")", ["cost"], [t, states.map((s) => s.cost_per_hour)]);
  }
  sec.append(whatIfPanel(st));
  const log = el("table", {class: "decisions"}, el("thead", {}, el("tr", {}, el("th", {}, "at"), el("th", {}, "from"), el("th", {}, "to"), el("th", {}, "reason"))));
  const body = el("tbody");
  for (const d of (await api("/api/headroom/v1/services/" + encodeURIComponent(st.service) + "/decisions?limit=10")).decisions.slice().reverse()) {
    body.append(el("tr", {}, el("td", {}, new Date(d.at).toLocaleString()), el("td", {}, String(d.from)), el("td", {}, String(d.to)), el("td", {class: "reason"}, d.reason)));
  }
  log.append(body);
  sec.append(el("h2", {}, "Decisions"), log);
}

// alertTable lists the predictive alerts: what runs out, when, and what to do.
function alertTable(alerts) {
  const dur = (s) /* seconds */ => s === null || s === undefined ? "–" : s === 0 ? "now" : (s / 3600).toFixed(1) + " h";
  const t = el("table", {class: "alerts"}, el("thead", {}, el("tr", {}, el("th", {}, "severity"), el("th", {}, "resource"),
    el("th", {}, "limit in"), el("th", {}, "95% interval"), el("th", {}, "action"))));
  const body = el("tbody");
  for (const a of alerts) {
    body.append(el("tr", {class: a.severity}, el("td", {}, a.severity), el("td", {}, a.resource), el("td", {}, dur(a.eta)),
      el("td", {}, dur(a.eta_low) + " – " + (a.eta_high === null ? "∞" : dur(a.eta_high))), el("td", {class: "reason"}, a.action)));
  }
  t.append(body);
  return el("div", {}, el("h2", {}, "Predictive alerts"), t);
}

// pipelinePanel shows the health of the components that sent traces and logs (OTLP on /v1/traces,
// JSON lines on /api/headroom/v1/logs), when any did.
function pipelinePanel(root, h) {
  const comps = (h.pipeline && h.pipeline.components) || [];
  if (comps.length === 0) return;
  const t = el("table", {class: "pipeline"}, el("thead", {}, el("tr", {}, el("th", {}, "component"), el("th", {}, "score"),
    el("th", {}, "band"), el("th", {}, "evidence"))));
  const body = el("tbody");
  for (const c of comps) {
    body.append(el("tr", {class: c.band}, el("td", {}, c.component), el("td", {}, c.score === null ? "–" : c.score.toFixed(2)),
      el("td", {}, c.band), el("td", {class: "reason"}, (c.evidence || []).join("; "))));
  }
  t.append(body);
  root.append(el("section", {id: "pipeline"}, el("h2", {}, "Pipeline health (from traces and logs)"), t,
    el("p", {class: "reason"}, `${h.received.spans} spans and ${h.received.logs} log lines kept`)));
}

// whatIfPanel asks the what-if API: replicas, load factor and accelerator in; latency, SLO and cost out.
function whatIfPanel(st) {
  const box = el("form", {class: "whatif"});
  const replicas = el("input", {type: "number", min: "1", value: String(st.desired || 1), name: "replicas"});
  const factor = el("input", {type: "number", min: "0.1", step: "0.1", value: "1", name: "load_factor"});
  const accel = el("select", {name: "accelerator"}, el("option", {value: ""}, "current"));
  for (const a of st.alternatives || []) accel.append(el("option", {value: a}, a));
  const out = el("span", {class: "whatif-result"});
  box.append(el("h2", {}, "What if"), el("label", {}, "replicas ", replicas), el("label", {}, " × load ", factor),
    el("label", {}, " on ", accel), el("button", {type: "submit"}, "predict"), out);
  box.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const body = {service: st.service, replicas: Number(replicas.value), load_factor: Number(factor.value)};
    if (accel.value) body.accelerator = accel.value;
    const r = await fetch("/api/headroom/v1/whatif", {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)});
    const a = await r.json();
    out.textContent = r.ok
      ? ` ${fmt(a.rate)} req/s: p95 TTFT ${ms(a.ttft_p95_seconds)}, ITL ${ms(a.itl_mean_seconds)}, ${a.meets_slo ? "meets" : "BREAKS"} the SLO, ${fmt(a.cost_per_hour, 4)} an hour`
      : " " + a.error;
  });
  return box;
}

async function refresh() {
  try {
    const [svc, targets, health] = await Promise.all([api("/api/headroom/v1/services"), api("/api/headroom/v1/targets"), api("/api/headroom/v1/health")]);
    const causes = {};
    for (const h of health.services || []) if (h.root_cause) causes[h.service] = h.root_cause;
    const root = document.getElementById("services");
    root.replaceChildren();
    for (const st of svc.services) await drawService(root, st, causes[st.service]);
    if (svc.services.length === 0) root.append(el("p", {}, "No decision yet: the loop has not run."));
    pipelinePanel(root, health);
    const tb = document.querySelector("#targets tbody");
    tb.replaceChildren();
    for (const h of targets.targets) {
      tb.append(el("tr", {}, el("td", {}, h.job), el("td", {}, h.url), el("td", {}, h.up ? "up" : "DOWN"), el("td", {}, new Date(h.last_scrape).toLocaleTimeString()), el("td", {}, h.error || "")));
    }
    document.getElementById("updated").textContent = "updated " + new Date().toLocaleTimeString();
    document.body.dataset.ready = "true";
    document.body.dataset.errors = String(scriptErrors);
  } catch (e) {
    document.getElementById("updated").textContent = "error: " + e.message;
    document.body.dataset.ready = "error";
  }
}

refresh();
setInterval(refresh, 15000);
