#!/usr/bin/env bash
# Cold build of the headroom binary, as a newcomer's first `go run ./cmd/headroom demo` pays it:
# an empty build cache (modules already downloaded, which `go mod download` measures apart).
# Builds each git revision given (default: HEAD) in a scratch worktree and prints wall time,
# package count and binary size, one line each, so that two revisions compare in one run:
#   bash bench/coldbuild.sh 5b9e8eb HEAD
set -euo pipefail
cd "$(dirname "$0")/.."
revs=("$@")
[ ${#revs[@]} -eq 0 ] && revs=(HEAD)
work=$(mktemp -d)
trap 'git worktree prune; rm -rf "$work"' EXIT
printf '%-12s %8s %9s %10s %8s\n' revision wall_s packages binary_MB cpus
for rev in "${revs[@]}"; do
  tree="$work/tree-$rev"
  git worktree add -q --detach "$tree" "$rev"
  (cd "$tree" && go mod download)
  pkgs=$(cd "$tree" && go list -deps ./cmd/headroom | wc -l)
  start=$(date +%s.%N)
  (cd "$tree" && GOCACHE="$work/cache-$rev" go build -o "$work/headroom-$rev" ./cmd/headroom)
  end=$(date +%s.%N)
  size=$(stat -c %s "$work/headroom-$rev")
  printf '%-12s %8.1f %9d %10.1f %8d\n' "$rev" "$(awk "BEGIN{print $end - $start}")" "$pkgs" "$(awk "BEGIN{print $size / 1048576}")" "$(nproc)"
  git worktree remove --force "$tree"
done
