#!/usr/bin/env bash
# M4 Hourly, headroom beside R's forecast::ets() in one run: accuracy (sMAPE, MASE, OWA against
# Naive2) and time, each tool on one core, as a ratio. Installs R's forecast package from Debian.
#   bash bench/m4-vs-r.sh TRAIN.csv TEST.csv
# The files are M4's Hourly-train.csv and Hourly-test.csv (github.com/Mcompetitions/M4-methods,
# folder Dataset), whole or a subset of their rows; forecast/testdata has three series to try it.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -ne 2 ]; then
  echo "usage: bash bench/m4-vs-r.sh Hourly-train.csv Hourly-test.csv (M4's, from github.com/Mcompetitions/M4-methods)" >&2
  exit 2
fi
train=$1
test=$2
if ! Rscript -e 'suppressPackageStartupMessages(library(forecast))' >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq --no-install-recommends r-cran-forecast >/dev/null
fi
mkdir -p bench/out
go build -o bench/out/headroom ./cmd/headroom
echo "== headroom, one core"
bench/out/headroom backtest --m4 "$train" "$test" --workers 1 -o json > bench/out/m4-headroom.json
bench/out/headroom backtest --m4 "$train" "$test" --workers 1
echo
echo "== headroom, every core (wall time)"
start=$(date +%s.%N)
bench/out/headroom backtest --m4 "$train" "$test" --methods auto >/dev/null
echo "auto on every series: $(echo "$(date +%s.%N) - $start" | bc) s wall"
echo
echo "== R forecast::ets(), one core"
Rscript bench/r/ets_m4.R "$train" "$test" | tee bench/out/m4-r.json
echo
echo "== side by side"
go run ./bench/m4compare bench/out/m4-headroom.json bench/out/m4-r.json
