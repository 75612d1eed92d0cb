#!/usr/bin/env bash
# One prepared GPU call (device tool, about 9 minutes on an H100) that records every figure of issue 11 as JSON in
# $OUT, to be committed under bench/results/ as returned (each file: card, versions, date, command, rows):
#   sft_throughput.json   posttrain's SFT path vs TRL's defaults + the one-component-at-a-time ablation (335M)
#   grpo_throughput.json  posttrain's GRPO path (continuous batching / generate / vLLM) vs TRL's defaults at matched
#                         completions per step, with peak memory
#   team_iteration.json   one team iteration's SFT (300 steps, the Trainer's spec for this size) + evaluation
#   multi_gpu.json        Ray Train DDP on 2+ GPUs, or a skip record with the reason
#   log                   everything printed
# Prepare here first: `bash bench/fetch_gpu_wheels.sh` (wheels into .whl/), then run with carry [".whl"]:
#   bash bench/gpu_check.sh
# Each bench gets a wall-clock share; a variant that crashes or runs out of time leaves a row saying so.
set -o pipefail
OUT=${OUT:-/tmp/posttrain-gpu}; mkdir -p "$OUT"
START=$(date +%s)
left() { echo $(( ${PLAN_S:-540} - ($(date +%s) - START) )); }  # seconds left of the plan
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
  || { echo "no wheels: run bash bench/fetch_gpu_wheels.sh here and carry .whl" | tee "$OUT/log"; exit 1; }
# posttrain without pip: the package-dir mapping of pyproject.toml, as links
mkdir -p /tmp/pt && cp -r posttrain /tmp/pt/ && for d in tools orchestrator agents; do ln -sfn "$PWD/$d" "/tmp/pt/posttrain/$d"; done
export PYTHONPATH=/tmp/site:/tmp/pt PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 POSTTRAIN_OFFLINE=1 \
  TOKENIZERS_PARALLELISM=false RAY_USAGE_STATS_ENABLED=0 POSTTRAIN_CACHE=/tmp/posttrain-cache
if ! python3 -c "import trl.trainer.sft_trainer, trl.trainer.grpo_trainer" 2>"$OUT/log"; then
  echo "TRL does not import on the card's transformers; using a carried transformers wheel (.whl/alt)" | tee -a "$OUT/log"
  python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site2 .whl/alt/*.whl || exit 1
  export PYTHONPATH=/tmp/site2:$PYTHONPATH
fi
nvidia-smi -L 2>&1 | tee -a "$OUT/log"
W=/tmp/posttrain-bench
run() {  # run NAME SHARE_S CMD...: give the bench min(SHARE_S, what is left) seconds
  local name=$1 share=$2; shift 2
  local budget; budget=$(left); (( budget > share )) && budget=$share
  if (( budget < 30 )); then echo "$name: skipped, ${budget}s left of the plan" | tee -a "$OUT/log"; return; fi
  echo "== $name ($budget s) $(date -u +%T)" | tee -a "$OUT/log"
  timeout "$budget" "$@" 2>&1 | tee -a "$OUT/log"
}
run sft 250 python3 bench/sft_throughput.py --size 335m --steps 10 --warmup 3 --tokens-per-step 32768 \
  --max-length 2048 --timeout 70 --workdir $W --out "$OUT/sft_throughput.json"
run grpo 170 python3 bench/grpo_throughput.py --size 335m --completions 64 --max-completion 256 --steps 8 \
  --trl-steps 3 --timeout 60 --workdir $W --out "$OUT/grpo_throughput.json"
run multi_gpu 60 python3 bench/multi_gpu_check.py --size 335m --workdir $W --out "$OUT/multi_gpu.json"
run team_iteration 200 python3 bench/team_iteration_gpu.py --size 335m --steps 300 --workdir $W \
  --out "$OUT/team_iteration.json"
echo "done in $(( $(date +%s) - START )) s" | tee -a "$OUT/log"
