"""The method registry: every method has every part, every name it and the catalogue use exists, and no code outside
the registry compares method names."""

import subprocess
from pathlib import Path
from typing import get_args

import pytest

from posttrain.tools.errors import ConfigError
from posttrain.tools.methods import (
    FORMATS,
    METHODS,
    Condition,
    DataFormat,
    MethodName,
    TrainerName,
    get_format,
    get_method,
)


ROOT = Path(__file__).resolve().parents[2]


def known_conditions() -> set[str]:
    """The condition names posttrain.run.facts computes: the keys of `condition_values` on any facts."""
    from posttrain.run.facts import Facts, condition_values
    from posttrain.tools.training.sizing import size_from_config

    size = size_from_config({"hidden_size": 128, "num_hidden_layers": 2, "vocab_size": 80,
                             "posttrain_random_init": True})
    facts = Facts(size=size, n_eval=200, has_generator=True, verifiable=True, max_new_tokens=8, baseline=0.0,
                  best=0.0, last=None, trained_methods=[], remaining_s=None, iterations_left=2)
    return set(condition_values(facts))


def test_the_condition_type_names_exactly_what_the_rules_compute():
    assert known_conditions() == set(get_args(Condition))
    assert {m.plateau for m in METHODS.values()} <= set(get_args(Condition))


def test_every_method_has_every_part():
    assert set(METHODS) == set(get_args(MethodName))
    for name, method in METHODS.items():
        assert method.name == name and method.title and method.summary
        assert method.trainer in get_args(TrainerName)
        spec = method.spec_class()
        assert spec.model_fields["method"].default == method.trainer  # the spec's discriminator is its trainer's
        assert callable(method.runner()) and hasattr(spec, "to_trl")
        assert method.data_format in FORMATS and method.train_format in FORMATS
        # an on-policy builder turns what the DataEngineer built into what the trainer reads
        if method.data_format != method.train_format:
            assert method.on_policy, f"{name} trains on {method.train_format} but nothing builds it"
        if method.on_policy:
            assert callable(method.builder())
        assert method.techniques, f"{name} has no catalogue technique: the team could never pick it"
        assert method.detail  # the plan's words for it


def test_every_trainer_is_a_method_and_every_format_is_complete():
    for trainer in get_args(TrainerName):
        assert get_method(trainer).trainer == trainer  # the worker finds a spec's trainer by its discriminator
    assert set(FORMATS) == set(get_args(DataFormat))
    for name, fmt in FORMATS.items():
        assert fmt.name == name and fmt.layouts and fmt.need and fmt.roles[0] == "prompt"


def test_every_condition_the_catalogue_uses_exists():
    from posttrain.tools.papers.catalogue import APPLIES, CATALOGUE

    known = known_conditions()
    used = {c for _, conditions in APPLIES.values() for c in conditions}
    assert used <= known, f"conditions no rule computes: {sorted(used - known)}"
    assert {"mixed_outcomes", "dpo_plateau", "rft_plateau"} <= known
    names = {t.name for t in CATALOGUE}
    assert set(APPLIES) <= names, f"techniques with no paper entry: {sorted(set(APPLIES) - names)}"
    irpo = next(t for t in CATALOGUE if t.method == "dpo")
    assert irpo.paper_id == "arxiv:2404.19733" and irpo.title == "Iterative Reasoning Preference Optimization"


def test_every_method_has_a_plan_recipe_and_a_trainer_spec_builder():
    from posttrain.agents.manager.offline import RECIPES

    assert set(RECIPES) == set(METHODS)


def test_unknown_names_are_one_line_config_errors():
    with pytest.raises(ConfigError, match="unknown training method 'ppo'.*sft, rft, grpo, dpo"):
        get_method("ppo")
    with pytest.raises(ConfigError, match="unknown data format 'kto'"):
        get_format("kto")


def test_no_method_name_comparisons_outside_the_registry():
    found = subprocess.run(
        ["grep", "-rnE", r"""(method|fmt|format|kind) (==|!=|in) \(?["'](sft|rft|grpo|dpo)""",
         "agents/", "orchestrator/", "tools/", "posttrain/"], cwd=ROOT, capture_output=True, text=True).stdout
    outside = [line for line in found.splitlines() if not line.startswith("tools/methods.py")]
    assert outside == []
