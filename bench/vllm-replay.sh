#!/usr/bin/env bash
# The user's path on the real vLLM runs: for each run, `headroom profile derive` from the model's
# shape with its defaults (no token counts given), then `headroom replay` with the server's
# settings, and one line per load stage of predicted/measured − 1, with the timed-out counts of
# steps 8% faster and slower (replay's --step-uncertainty).
#
#   bash bench/vllm-replay.sh DIR [extra replay flags]
#
# DIR holds RUN.json (model shape, tensor parallelism, KV blocks, load stages) and RUN.csv (a
# measured run) per run, as bench/vllmfit reads them. Needs Go and python3 (to read the JSON).
set -euo pipefail
dir=${1:?usage: bench/vllm-replay.sh DIR [replay flags]}
shift
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/headroom" ./cmd/headroom
for meta in "$dir"/*.json; do
  run=$(basename "$meta" .json)
  read -r tp blocks seqs budget split < <(python3 - "$meta" "$work/$run-config.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); m = d["model_config"]
json.dump({"architectures": ["LlamaForCausalLM"], "_name_or_path": d["model"], "torch_dtype": "float16",
           "num_hidden_layers": m["num_layers"], "hidden_size": m["hidden_dim"], "num_attention_heads": m["num_heads"],
           "num_key_value_heads": m["num_kv_heads"], "intermediate_size": m["intermediate_dim"], "vocab_size": m["vocab_size"]},
          open(sys.argv[2], "w"))
st = d["load_stages"]
print(d["tensor_parallelism"], d["kv_blocks_total_gpu"], d["max_num_seqs"], d["max_num_batched_tokens"],
      "%ds" % st[0]["duration"] if len(st) > 1 else "-")
PY
)
  "$work/headroom" profile derive --model-config "$work/$run-config.json" --gpu H100-SXM --tp "$tp" > "$work/$run.yaml"
  cut=()
  [ "$split" != "-" ] && cut=(--split-at "$split")
  "$work/headroom" replay "$dir/$run.csv" --profile "$work/$run.yaml" --max-num-seqs "$seqs" \
    --max-num-batched-tokens "$budget" --kv-blocks "$blocks" --timeout 300s "${cut[@]}" "$@" -o json 2>/dev/null |
    python3 -c '
import json, sys
for s in json.load(sys.stdin)["stages"]:
    e = s["error"]
    b = s.get("sensitivity") or {"timed_out": ["", ""]}
    print("| %s | %d–%d | %+.0f%% | %+.0f%% | %+.0f%% | %d vs %d (%+.1f) | %s…%s |" % (sys.argv[1], s["start_s"], s["end_s"],
          100 * e["e2e"]["mean"], 100 * e["e2e"]["p99"], 100 * e["ttft"]["p99"], s["timed_out"], s["measured"]["timed_out"],
          e["timed_out_points"], b["timed_out"][0], b["timed_out"][1]))' "$run"
done
