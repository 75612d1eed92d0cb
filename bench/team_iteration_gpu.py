"""Wall time of one team iteration's training and evaluation on the 335M bench model: SFT for 300 steps with the
spec the Trainer agent builds for a model of this size (sizing.py: LoRA above 50M parameters, its batch and
learning rate, max_length min(context, 2048); every device field at its default), then an evaluation pass.

The bench model is random-init with a made-up word vocabulary, so no benchmark of the repository can score it;
the evaluation is what an eval costs on it: greedy generation of `--eval-new-tokens` for `--eval-items` held-out
prompts in batches, plus the held-out loss. Through `run_training` (a Ray task) when ray imports, else the same
worker code in-process (`train_sft`), and the record says which::

    python bench/team_iteration_gpu.py --size tiny --steps 5 --eval-items 8          # CPU smoke test
    python bench/team_iteration_gpu.py --size 335m --out bench/results/team_iteration-DATE.json
"""

import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path


sys.path.insert(0, str(Path(__file__).parent))
from throughput_setup import SIZES, build_bench_model, make_documents, write_record  # noqa: E402


def team_spec(model_dir: Path, data: Path, steps: int):
    """The SFT spec `agents/trainer/tools.py` builds for this model size (its sizing rules, nothing bench-tuned)."""
    from posttrain.tools.training import LoraSpec, SFTSpec
    from posttrain.tools.training.sizing import model_size, sft_batch_size, sft_learning_rate, uses_lora

    size = model_size(model_dir)
    return SFTSpec(base_model=str(model_dir), dataset=str(data), max_steps=steps, batch_size=sft_batch_size(size),
                   learning_rate=sft_learning_rate(size), max_length=min(size.max_positions, 2048),
                   lora=LoraSpec() if uses_lora(size) else None, logging_steps=10,
                   trl_overrides={"report_to": "none"})  # trackio is not installed on the GPU machine


def train(spec, out: Path) -> tuple[str, str, dict | None]:
    """(checkpoint, how it ran, resolved choices)."""
    import torch

    if importlib.util.find_spec("ray") is not None:
        from posttrain.tools.training import run_training

        result = run_training(spec, out, project="bench", run_name="team-iteration")
        if result.status != "succeeded":
            raise RuntimeError(result.error)
        return result.checkpoint, "run_training (Ray task)", result.spec.get("resolved")
    from posttrain.tools.training.sft import train_sft

    outcome = train_sft(spec, out, project="bench", run_name="team-iteration", use_gpu=torch.cuda.is_available())
    resolved = json.loads((out / "spec.json").read_text()).get("resolved")
    return outcome.checkpoint, "train_sft in-process (ray is not installed here)", resolved


def evaluate(checkpoint: str, prompts: list[str], held_out: list[str], new_tokens: int, batch: int) -> dict:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    device = "cuda" if torch.cuda.is_available() else "cpu"
    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    start = time.perf_counter()
    model = AutoModelForCausalLM.from_pretrained(checkpoint, dtype=dtype).to(device).eval()
    tokenizer = AutoTokenizer.from_pretrained(checkpoint, padding_side="left")
    generated = 0
    with torch.no_grad():
        for i in range(0, len(prompts), batch):
            enc = tokenizer(prompts[i:i + batch], return_tensors="pt", padding=True).to(device)
            out = model.generate(**enc, max_new_tokens=new_tokens, do_sample=False,
                                 pad_token_id=tokenizer.pad_token_id)
            generated += (out[:, enc["input_ids"].shape[1]:] != tokenizer.pad_token_id).sum().item()
        losses = []
        for doc in held_out:
            ids = tokenizer([doc], return_tensors="pt")["input_ids"].to(device)
            losses.append(model(input_ids=ids, labels=ids).loss.item())
    if device == "cuda":
        torch.cuda.synchronize()
    return {"eval_s": round(time.perf_counter() - start, 2), "eval_items": len(prompts),
            "generated_tokens": generated, "held_out_loss": round(sum(losses) / len(losses), 4)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=list(SIZES), default="tiny")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--docs", type=int, default=4000)
    parser.add_argument("--eval-items", type=int, default=256)
    parser.add_argument("--eval-new-tokens", type=int, default=32)
    parser.add_argument("--eval-batch", type=int, default=128)
    parser.add_argument("--workdir", default="/tmp/posttrain-bench")
    parser.add_argument("--out", type=Path, default=None, help="Write the run's JSON record here.")
    args = parser.parse_args(argv)
    import torch

    vocab = SIZES[args.size][5]
    model_dir = build_bench_model(Path(args.workdir) / f"model-{args.size}", args.size)
    out = Path(args.workdir) / "team-iteration"
    out.mkdir(parents=True, exist_ok=True)
    data = out / "docs.jsonl"
    data.write_text("".join(json.dumps({"text": d}) + "\n" for d in make_documents(args.docs, 64, 1024, vocab)))
    held_out = make_documents(32, 64, 512, vocab, seed=7)
    prompts = make_documents(args.eval_items, 32, 64, vocab, seed=8)
    spec = team_spec(model_dir, data, args.steps)
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    checkpoint, how, resolved = train(spec, out)
    train_s = time.perf_counter() - start
    figures = evaluate(checkpoint, prompts, held_out, args.eval_new_tokens, args.eval_batch)
    row = {"variant": "team_iteration", "size": args.size, "sft_steps": args.steps, "train_s": round(train_s, 2),
           **figures, "iteration_s": round(train_s + figures["eval_s"], 2), "how": how,
           "spec": spec.model_dump(mode="json", exclude={"trl_overrides"}), "resolved": resolved,
           "peak_mem_gb": round(torch.cuda.max_memory_allocated() / 1e9, 2) if torch.cuda.is_available() else None}
    print(json.dumps(row), flush=True)  # noqa: T201 - bench output
    if args.out:
        write_record(args.out, "team_iteration_gpu", [row])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
