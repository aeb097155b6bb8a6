#!/usr/bin/env bash
# Reproduces the numbers of docs/benchmarks.md on this machine:
#   1. Go benchmarks of the queueing core, each beside its reference in the same command;
#   2. the LLM models against the real H100 engine;
#   3. the batch model against a simulation of its scheduler.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== speed (go test -bench)"
go test ./queueing -run '^$' -bench . -benchtime "${BENCHTIME:-1s}" -count "${COUNT:-1}"
echo
echo "== fidelity against the H100 engine"
go run ./bench/llmfidelity
echo
echo "== batch model against a simulation of its scheduler (1 h of traffic per row)"
go test ./queueing -run TestBatchModelAgreesWithASimulationOfItsScheduler -v -count 1 |
  sed -n 's/^ *llm_bruteforce_test.go:[0-9]*: //p'
