#!/bin/bash
# PostTrainBench agent entry point: copy to agents/posttrain/solve.sh in a PostTrainBench checkout.
# The harness runs it inside the task container with the task text in $PROMPT and the task folder as the working
# directory (timer.sh, evaluate.py; contamination_check.py and test_data.json one level up when provided).
# posttrain must be installed in the container beforehand (pip install -e ".[gpu]", which keeps the container's
# vLLM 0.11.0 and torch; docs/training.md "Containers"): this script installs nothing and fetches no package, so it
# needs no network beyond what the run itself uses (the base model and datasets from the Hub, a hosted brain).
# The container's vLLM 0.11.0 is outside the range TRL 1.16 supports (0.22–0.31): posttrain says so once and
# generates with transformers. The brain comes from the environment (POSTTRAIN_BRAIN, or OPENAI_API_KEY, else the
# offline playbook).
set -uo pipefail

if ! command -v posttrain >/dev/null; then
    echo "solve.sh: posttrain is not installed in this container; install it before the run: pip install -e '.[gpu]'" >&2
    exit 2
fi

TASK_FILE="$(pwd)/posttrain_task.txt"
printf '%s\n' "${PROMPT:?PROMPT is empty: the harness passes the task text in \$PROMPT}" > "$TASK_FILE"

TIMER_ARGS=()
[ -f timer.sh ] && TIMER_ARGS=(--timer timer.sh)

posttrain ptb --prompt-file "$TASK_FILE" "${TIMER_ARGS[@]}" --reserve "${POSTTRAIN_RESERVE:-10m}" \
    --run-dir "$(pwd)/posttrain_run"
code=$?
# 0: audit passed; 1: audit failed (see posttrain_run/audit.json); final_model/ holds the best model either way
exit $code
