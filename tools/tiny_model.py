"""Build a tiny random-init causal LM and a character-level tokenizer, saved like a Hub model.

Nothing is downloaded: the tokenizer is built with `tokenizers`, the model from a Qwen3 config (not qwen2, whose
tokenizer class transformers swaps for a byte-level one), and both are written with `save_pretrained`, so from
then on the directory loads by path exactly as a Hub id would::

    path = build_tiny_model("runs/x/base-model")
    AutoModelForCausalLM.from_pretrained(path); AutoTokenizer.from_pretrained(path)
"""

from pathlib import Path

from pydantic import BaseModel, Field


SPECIAL_TOKENS = ["<pad>", "<unk>", "<bos>", "<eos>"]
CHARACTERS = list("0123456789+-*/=()<>[]{} .,:;?!'\"_#%&|\n") + list("abcdefghijklmnopqrstuvwxyz") + list(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
)
CHAT_TEMPLATE = (
    "{% for m in messages %}{% if m['role'] == 'assistant' %}assistant: {% generation %}{{ m['content'] }}{{ eos_token }}"
    "{% endgeneration %}\n{% else %}{{ m['role'] }}: {{ m['content'] }}\n{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}assistant: {% endif %}"
)


class TinyModelConfig(BaseModel):
    """Shape of the tiny model. Defaults train to useful accuracy on short arithmetic in minutes on 2 CPUs."""

    hidden_size: int = Field(128, description="Width of the residual stream.")
    num_layers: int = Field(2, description="Number of transformer blocks.")
    num_heads: int = Field(4, description="Attention heads (also KV heads).")
    max_positions: int = Field(128, description="Longest sequence, prompt plus completion, in characters.")
    seed: int = Field(0, description="torch seed for the random init.")


def build_char_tokenizer(max_length: int = 128):
    """A one-token-per-character tokenizer with a simple chat template (assistant turns marked for loss masking)."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {token: i for i, token in enumerate(SPECIAL_TOKENS + CHARACTERS)}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Split(Regex("."), behavior="isolated")
    core.decoder = decoders.Fuse()  # decode without inserting spaces between characters
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core,
        bos_token="<bos>",
        eos_token="<eos>",
        pad_token="<pad>",
        unk_token="<unk>",
        padding_side="left",
        model_max_length=max_length,
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


def build_tiny_model(out_dir: str | Path, config: TinyModelConfig | None = None) -> Path:
    """Write a tiny Qwen3-architecture model and its tokenizer to ``out_dir`` and return the path.

    Idempotent: an existing complete directory is reused, so resuming a run never re-initialises its base model.
    """
    import torch
    from transformers import GenerationConfig, Qwen3Config, Qwen3ForCausalLM

    out = Path(out_dir)
    if (out / "config.json").exists() and (out / "model.safetensors").exists() and (out / "tokenizer.json").exists():
        return out
    config = config or TinyModelConfig()
    tokenizer = build_char_tokenizer(config.max_positions)
    hidden = config.hidden_size
    model_config = Qwen3Config(
        vocab_size=len(tokenizer),
        hidden_size=hidden,
        intermediate_size=4 * hidden,
        num_hidden_layers=config.num_layers,
        num_attention_heads=config.num_heads,
        num_key_value_heads=config.num_heads,
        head_dim=hidden // config.num_heads,
        max_position_embeddings=config.max_positions,
        tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        posttrain_random_init=True,  # read by tools.training.sizing: a model that learns the task from scratch
    )
    torch.manual_seed(config.seed)
    model = Qwen3ForCausalLM(model_config)
    model.generation_config = GenerationConfig(
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        do_sample=False,
        max_new_tokens=16,
    )
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out
