#!/usr/bin/env bash
# The service's API under load: headroom demo serving on loopback, Debian's wrk (installed here
# with apt-get if missing) hitting three endpoints for 15 s each with 8 connections on 2 threads.
# The goal is a p99 under 50 ms at 500 requests/s; wrk runs as fast as the server answers, so a
# throughput above 500/s with p99 under 50 ms meets it.
#
#   bash bench/api-wrk.sh
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
mkdir -p bench/out
go build -o bench/out/headroom ./cmd/headroom
addr=127.0.0.1:18181
bench/out/headroom demo --listen "$addr" --duration 120s > /dev/null 2> bench/out/api-wrk-demo.log &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
  curl -sf "http://$addr/api/v1/services" > /dev/null && break
  sleep 0.5
done
for path in "/api/v1/services" "/api/headroom/v1/services/chat" \
  "/api/v1/query?query=sum(rate(vllm:e2e_request_latency_seconds_count%5B5m%5D))"; do
  echo "== GET $path"
  wrk -t2 -c8 -d15s --latency "http://$addr$path" | grep -E "Requests/sec|Latency  |  50%|  99%|Non-2xx" || true
done
