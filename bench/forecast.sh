#!/usr/bin/env bash
# Forecast accuracy on real LLM load (ServeGen, 14 days at 10 minutes) and on M4 Hourly, as
# recorded in docs/benchmarks.md: rolling-origin backtests at 1 h, 6 h and 24 h with 95% interval
# coverage, against the daily and weekly seasonal naive forecasts.
# DATA is a folder holding load/servegen-language-m-{mid,small}-10min.csv (alibaba/ServeGen's
# data/language series, github.com/alibaba/ServeGen, summed per 10 minutes: window,rate) and
# m4/Hourly-{train,test}-dev.csv (M4's hourly series, github.com/Mcompetitions/M4-methods).
set -euo pipefail
cd "$(dirname "$0")/.."
data=${DATA:?set DATA to the folder holding load/ and m4/ (see the comment at the top)}
mkdir -p bench/out
go build -o bench/out/headroom ./cmd/headroom
for s in mid small; do
  awk -F, 'NR > 1 { printf "%d,%s\n", 1700000000 + $1, $2 } NR == 1 { print "timestamp,value" }' \
    "$data/load/servegen-language-m-$s-10min.csv" > "bench/out/servegen-$s.csv"
done
for h in 6 36 144; do
  echo "== ServeGen, horizon $h steps ($((h / 6)) h), origins every hour after 7 days, both series"
  bench/out/headroom backtest --input bench/out/servegen-mid.csv --input bench/out/servegen-small.csv \
    --horizon "$h" --season 144 --stride 6 --min-train 1008 --level 95 --methods snaive,snaive-weekly,mstl,auto
  for s in mid small; do
    echo "-- m-$s alone"
    bench/out/headroom backtest --input "bench/out/servegen-$s.csv" --horizon "$h" --season 144 \
      --stride 6 --min-train 1008 --level 95 --methods snaive,auto | tail -2
  done
done
echo "== M4 Hourly, every method, every core"
time bench/out/headroom backtest --m4 "$data/m4/Hourly-train-dev.csv" "$data/m4/Hourly-test-dev.csv"
echo "== M4 Hourly, auto with 95% interval coverage"
bench/out/headroom backtest --m4 "$data/m4/Hourly-train-dev.csv" "$data/m4/Hourly-test-dev.csv" --methods auto --level 95
