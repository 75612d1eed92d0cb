#!/usr/bin/env bash
# PostTrainBench-shaped run on a GPU machine that has Qwen/Qwen3-1.7B-Base and GSM8K cached: `posttrain ptb` for one
# hour on GSM8K, the task's evaluate.py before and after, the audit verdict; JSON to bench/results/.
#   bash bench/ptb_qwen3_gsm8k.sh [HOURS]            # default 1
# Exits 3 with a one-line reason when a precondition is missing (no GPU, weights or data not cached, no posttrain).
set -uo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 POSTTRAIN_OFFLINE=1 RAY_USAGE_STATS_ENABLED=0 PYTHONUNBUFFERED=1
python3 bench/ptb_qwen3_gsm8k.py check || exit 3
exec python3 bench/ptb_qwen3_gsm8k.py run --hours "${1:-1}" --work "${PTB_WORK:-/tmp/ptb-qwen3-gsm8k}" \
    --results bench/results
