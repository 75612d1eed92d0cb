"""The GRPO KL-anchor rule: collapse findings name beta, next_beta raises it, GRPOSpec.beta reaches TRL's config."""

import pytest

from posttrain.tools.errors import ConfigError
from posttrain.tools.training import Finding, GRPOSpec, RewardSpec, diagnose, next_beta
from posttrain.tools.training.diagnosis import BETA_FLOOR, BETA_MAX


def _finding(kind: str, severity: str = "warning") -> Finding:
    return Finding(kind=kind, severity=severity, evidence="e", fix="f")


def test_collapse_findings_name_raising_beta():
    rows = [{"step": s, "reward": 0.3, "reward_std": 0.4 if s < 4 else 0.0, "frac_reward_zero_std": 0.1 if s < 4
             else 1.0, "entropy": 1.2 if s < 4 else 0.01} for s in range(1, 10)]
    findings = {f.kind: f for f in diagnose(rows)}
    assert set(findings) == {"reward_collapse", "entropy_collapse"}
    assert all("raise beta" in f.fix for f in findings.values())
    assert "it was 0.10 over the first 3 logs" in findings["reward_collapse"].evidence  # collapsed during the run
    assert next_beta(0.0, list(findings.values())) == BETA_FLOOR


def test_next_beta_starts_at_the_floor_and_doubles_on_each_collapse():
    collapse = [_finding("entropy_collapse")]
    assert next_beta(0.0, collapse) == BETA_FLOOR
    assert next_beta(0.04, [_finding("reward_collapse", "error")]) == pytest.approx(0.08)
    assert next_beta(0.04, [_finding("kl_blowup", "error")]) == pytest.approx(0.08)
    assert next_beta(0.001, collapse) == BETA_FLOOR  # a tiny beta is lifted to the floor
    assert next_beta(0.8, collapse) == BETA_MAX
    beta = 0.0
    for _ in range(3):
        beta = next_beta(beta, collapse)
    assert beta == pytest.approx(4 * BETA_FLOOR)


def test_next_beta_keeps_beta_without_a_collapse():
    assert next_beta(0.0, []) == 0.0
    assert next_beta(0.05, [_finding("plateau"), _finding("no_learning", "error")]) == 0.05
    solved = [_finding("reward_collapse", "info"), _finding("entropy_collapse", "info")]  # the task is solved
    assert next_beta(0.02, solved) == 0.02
    with pytest.raises(ConfigError, match="beta must be a finite number >= 0"):
        next_beta(-0.1, [])


def test_beta_maps_into_trl_grpo_config(tmp_path):
    spec = GRPOSpec(base_model="m", dataset="d.jsonl", rewards=[RewardSpec(name="exact_match")],
                    beta=next_beta(0.0, [_finding("entropy_collapse")]))
    config = spec.to_trl(tmp_path, project="p", run_name="r", use_gpu=False, use_vllm=False)
    assert config.beta == BETA_FLOOR > 0
