#!/bin/bash
# PostTrainBench agent entry point: copy to agents/posttrain/solve.sh in a PostTrainBench checkout.
# The harness runs it inside the task container with the task text in $PROMPT and the task folder as the working
# directory (timer.sh, evaluate.py; contamination_check.py and test_data.json one level up when provided).
# posttrain must be installed in the container (pip install -e ".[gpu]"); the brain comes from the environment
# (POSTTRAIN_BRAIN, or OPENAI_API_KEY, else the offline playbook).
set -uo pipefail

TASK_FILE="$(pwd)/posttrain_task.txt"
printf '%s\n' "${PROMPT:?PROMPT is empty: the harness passes the task text in \$PROMPT}" > "$TASK_FILE"

TIMER_ARGS=()
[ -f timer.sh ] && TIMER_ARGS=(--timer timer.sh)

posttrain ptb --prompt-file "$TASK_FILE" "${TIMER_ARGS[@]}" --reserve "${POSTTRAIN_RESERVE:-10m}" \
    --run-dir "$(pwd)/posttrain_run"
code=$?
# 0: audit passed; 1: audit failed (see posttrain_run/audit.json); final_model/ holds the best model either way
exit $code
