#!/usr/bin/env bash
# One prepared GPU run (device tool): SFT and GRPO throughput, TRL defaults vs posttrain's path, on the 335M model.
# Needs the wheels in .whl/ (trl, datasets, dill, multiprocess, liger-kernel, pydantic*; .whl/alt/transformers as a
# fallback when TRL does not import on the card's transformers). Results: $OUT/sft.jsonl, $OUT/grpo.jsonl, $OUT/log.
set -o pipefail
OUT=${OUT:-/tmp/posttrain-gpu}; mkdir -p "$OUT"
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
# posttrain without pip: the package-dir mapping of pyproject.toml, as links
mkdir -p /tmp/pt && cp -r posttrain /tmp/pt/ && for d in tools orchestrator agents; do ln -sfn "$PWD/$d" "/tmp/pt/posttrain/$d"; done
export PYTHONPATH=/tmp/site:/tmp/pt PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false
if ! python3 -c "import trl.trainer.sft_trainer, trl.trainer.grpo_trainer" 2>"$OUT/trl_import.err"; then
  echo "TRL does not import on the card's transformers; using the carried transformers wheel" | tee -a "$OUT/log"
  python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site2 .whl/alt/*.whl || exit 1
  export PYTHONPATH=/tmp/site2:$PYTHONPATH
fi
python3 - <<'PY' 2>&1 | tee -a "$OUT/log"
import torch, transformers, trl, importlib.util as u
print("torch", torch.__version__, "transformers", transformers.__version__, "trl", trl.__version__,
      "liger", u.find_spec("liger_kernel") is not None, "vllm", u.find_spec("vllm") is not None,
      torch.cuda.get_device_name(), flush=True)
PY
date -u | tee -a "$OUT/log"
W=/tmp/posttrain-bench
python3 bench/sft_throughput.py --size 335m --variants trl_default fast_flex --steps 25 --warmup 5 --batch 16 \
  --max-length 2048 --timeout 140 --workdir $W --out "$OUT/sft.jsonl" 2>&1 | tee -a "$OUT/log"
python3 bench/grpo_throughput.py --size 335m --variants trl_default fast --steps 8 --timeout 120 --workdir $W \
  --out "$OUT/grpo.jsonl" 2>&1 | tee -a "$OUT/log"
python3 bench/sft_throughput.py --size 335m --variants fast_flex_compile --steps 25 --warmup 5 --batch 16 \
  --max-length 2048 --timeout 130 --workdir $W --out "$OUT/sft.jsonl" 2>&1 | tee -a "$OUT/log"
date -u | tee -a "$OUT/log"
