#!/usr/bin/env bash
# Rule generation, headroom against Sloth v0.16.0 (the reference), on one spec of 1,000 SLOs: wall
# time of each CLI (median of 5 runs, parsing and writing included), their ratio, and whether
# headroom's --sloth-compatible output equals Sloth's rule for rule.
#
#   bash bench/slo-vs-sloth.sh
#
# The first run builds Sloth from the Go module proxy into bench/out/bin (a few minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/out/slo-vs-sloth
bin=bench/out/bin
mkdir -p "$out" "$bin"
if [ ! -x "$bin/sloth" ]; then
  echo "building sloth v0.16.0 ..." >&2
  GOBIN="$PWD/$bin" GOFLAGS=-mod=mod go install github.com/slok/sloth/cmd/sloth@v0.16.0
fi
go build -o "$bin/headroom" ./cmd/headroom

# Sloth's getting-started SLO, 1,000 times under different names.
spec="$out/spec-1000.yml"
{
  sed -n '1,/^slos:/p' slo/testdata/sloth/getting-started.spec.yml
  slo=$(sed -n '/^  - name:/,$p' slo/testdata/sloth/getting-started.spec.yml)
  for i in $(seq 1 1000); do
    echo "${slo//requests-availability/requests-availability-$i}"
  done
} > "$spec"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
timeit() { # prints the median wall seconds of 5 runs of "$@"
  for _ in 1 2 3 4 5; do
    s=$(date +%s.%N); "$@" > /dev/null 2>&1; e=$(date +%s.%N)
    echo "$e - $s" | bc -l
  done | median
}
sloth_s=$(timeit "$bin/sloth" generate --no-log -i "$spec" -o "$out/sloth.yml")
headroom_s=$(timeit sh -c "'$bin/headroom' slo generate --sloth-compatible '$spec' > '$out/headroom.yml'")
"$bin/sloth" generate --no-log -i "$spec" -o "$out/sloth.yml" > /dev/null 2>&1
"$bin/headroom" slo generate --sloth-compatible "$spec" > "$out/headroom.yml"

printf 'rules for 1,000 SLOs: sloth %.3f s, headroom %.3f s, sloth/headroom %.1fx\n' \
  "$sloth_s" "$headroom_s" "$(echo "$sloth_s / $headroom_s" | bc -l)"
# Same rules? Compare as data (key order and quoting differ), leaving out the version labels.
go run ./bench/rulesdiff "$out/sloth.yml" "$out/headroom.yml"
