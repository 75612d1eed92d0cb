"""A real model is trained the way it is served: rows in its chat template (raw for a base-style model), plans sized
by the measured cost of a step, LoRA checkpoints merged and used like full-weight ones, honest dry-run numbers."""

import json
import subprocess
import sys

import pyarrow.parquet as pq
import pytest

from posttrain.tools.data.build import build_dataset
from posttrain.tools.data.spec import BuildSpec, SourceSpec


def _build(task, model, tmp_path, chat: bool):
    spec = BuildSpec(name="parity-sft", format="sft", sources=[SourceSpec(path=str(task.train))],
                     tokenizer=str(model), chat_template=chat, label_check=str(task.eval),
                     decontaminate_against=[str(task.eval)])
    return build_dataset(spec, tmp_path / ("chat" if chat else "raw"))


def test_chat_model_rows_are_in_its_template_and_the_card_says_so(smollm2, parity_task, tmp_path):
    artifact = _build(parity_task, smollm2, tmp_path, chat=True)
    rows = pq.read_table(artifact.path).to_pylist() if artifact.path.endswith(".parquet") else \
        [json.loads(line) for line in open(artifact.path)]
    assert rows[0]["prompt"].startswith("<|im_start|>system") and rows[0]["prompt"].endswith("<|im_start|>assistant\n")
    assert rows[0]["completion"] in ("odd", "even")
    card = (tmp_path / "chat" / "README.md").read_text()
    assert "chat template" in card and "served and evaluated" in card
    # the answers are the user's own: gold labels, not labels a teacher produced
    assert "label accuracy unknown" not in card


def test_base_style_rows_stay_raw(smollm2_base_style, parity_task, tmp_path):
    artifact = _build(parity_task, smollm2_base_style, tmp_path, chat=True)  # asked for, but there is no template
    rows = [json.loads(line) for line in open(artifact.path)] if artifact.path.endswith(".jsonl") else \
        pq.read_table(artifact.path).to_pylist()
    assert rows[0]["prompt"].startswith("Is ") and "<|im_start|>" not in rows[0]["prompt"]


def test_a_training_step_is_timed_and_a_plan_fits_its_share(smollm2):
    from posttrain.tools.training.cost import measure_step_cost

    rows = [{"prompt": f"Is {n:,} odd or even?", "completion": "odd" if n % 2 else "even"} for n in range(10_001, 10_017)]
    cost = measure_step_cost(str(smollm2), rows, batch_size=2, lora=True, max_length=256)
    assert cost.step_s > 0 and cost.batch_size == 2 and 5 < cost.row_tokens < 40
    assert cost.steps_within(cost.setup_s + 10 * cost.step_s) == 10
    assert "SFT step" in cost.describe()


def test_dry_run_counts_the_rows_of_the_users_file(smollm2, parity_task):
    done = subprocess.run([sys.executable, "-m", "posttrain.orchestrator.cli", "run", "Teach the model parity",
                           "--base-model", str(smollm2), "--benchmark", str(parity_task.eval), "--train-data",
                           str(parity_task.train), "--max-iterations", "2", "--dry-run", "--json"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    plan = out["first_plan"]
    assert plan["n_train"] == 400 and plan["method"] == "sft"
    assert out["objective"]["time_budget_s"] == 1200  # the default: 10 min per iteration on CPU × 2
    assert any("default" in line and "per iteration" in line for line in out["objective"]["reading"])


def test_a_gguf_file_is_a_base_model(smollm2_gguf, tmp_path):
    done = subprocess.run([sys.executable, "-m", "posttrain.orchestrator.cli", "run", "Teach the model parity",
                           "--base-model", str(smollm2_gguf), "--benchmark", "arithmetic:digits=2",
                           "--dry-run", "--json"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    reading = json.loads(done.stdout)["objective"]["reading"]
    assert any("GGUF file, dequantized once" in line for line in reading)
    missing = subprocess.run([sys.executable, "-m", "posttrain.orchestrator.cli", "run", "Teach the model parity",
                              "--base-model", str(tmp_path / "nope.gguf"), "--benchmark", "arithmetic",
                              "--dry-run"], capture_output=True, text=True, timeout=120)
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
    assert "does not exist" in missing.stderr and "nope.gguf" in missing.stderr


def test_dequantized_folder_loads_in_plain_transformers(smollm2):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(smollm2)
    model = AutoModelForCausalLM.from_pretrained(smollm2)
    assert tokenizer.chat_template and tokenizer.eos_token == "<|im_end|>"
    assert model.config.model_type == "llama" and 130e6 < model.num_parameters() < 140e6
    assert json.loads((smollm2 / "posttrain_gguf.json").read_text())["architecture"] == "llama"


@pytest.mark.parametrize("answer", ["odd"])
def test_user_answers_are_called_gold_labels_in_the_label_check(answer):
    from posttrain.tools.data.labels import check_labels

    rows = [{"prompt": "Is 3 odd or even?", "completion": answer}]
    _, check = check_labels(rows, "arithmetic")
    assert "unknown" not in check.line() and "gold" in check.line()
