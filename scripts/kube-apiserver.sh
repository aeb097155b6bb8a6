#!/usr/bin/env bash
# Builds a real Kubernetes API server and etcd from the Go module proxy into a git-ignored cache,
# for headroom's one test against a real API server (internal/adapters/kube, build tag kubeapiserver):
#
#   bash scripts/kube-apiserver.sh            # build (once; a few minutes), then run the test
#
# kube-apiserver comes from k8s.io/kubernetes v1.37.2, whose staging modules are replaced by the
# published k8s.io/* v0.37.2 ones; etcd from go.etcd.io/etcd/server/v3 v3.7.3.
set -euo pipefail
cd "$(dirname "$0")/.."
cache="${HEADROOM_KUBE_CACHE:-$PWD/.cache/kube}"
mkdir -p "$cache"
if [ ! -x "$cache/kube-apiserver" ] || [ ! -x "$cache/etcd" ]; then
  work="$cache/build"
  mkdir -p "$work/etcd"
  cat > "$work/go.mod" <<'MOD'
module headroom.local/kubebuild

go 1.26.7

require (
	go.etcd.io/etcd/server/v3 v3.7.3
	k8s.io/kubernetes v1.37.2
)
MOD
  # k8s.io/kubernetes names its staging modules at v0.0.0 (replaced by ./staging in its own
  # go.mod); point each at its published release.
  gomod=$(cd "$work" && go mod download -json k8s.io/kubernetes@v1.37.2 | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  for m in $(grep '=> ./staging' "$gomod" | awk '{print $1}'); do
    echo "replace $m => $m v0.37.2" >> "$work/go.mod"
  done
  cat > "$work/etcd/main.go" <<'GO'
// Command etcd is etcd's server, built from its module for headroom's API-server test.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
  (cd "$work" && export GOFLAGS=-mod=mod && \
    go build -o "$cache/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver && \
    go build -o "$cache/etcd" ./etcd)
fi
"$cache/kube-apiserver" --version
"$cache/etcd" --version > "$cache/etcd.version" && head -1 "$cache/etcd.version"
HEADROOM_KUBE_CACHE="$cache" go test -tags kubeapiserver -count=1 -v -run RealAPIServer ./internal/adapters/kube
