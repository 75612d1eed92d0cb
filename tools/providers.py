"""Which environment variable holds each provider's key, and where a hosted provider lives, in one place.

The brain (`--brain openai:…`), a hosted teacher (`datasets build --hosted-teacher`), `posttrain doctor` and the
secret scrubbing of exported transcripts all read these, so a provider added here is known, checked and redacted
everywhere at once.
"""

HOSTED_KEYS: dict[str, str] = {"openai": "OPENAI_API_KEY", "hf": "HF_TOKEN"}
"""Hosted OpenAI-compatible providers: their key is required, and sent only to their own host."""

HOSTS: dict[str, str] = {"openai": "api.openai.com", "hf": "router.huggingface.co"}

LOCAL_KEYS: dict[str, str] = {"vllm": "VLLM_API_KEY", "ollama": "OLLAMA_API_KEY"}
"""Local servers: any placeholder works, a real key is sent when the variable is set."""

SERVICE_KEYS: dict[str, str] = {"semantic_scholar": "S2_API_KEY"}
"""Keys of the services the Librarian reads papers from."""

SECRET_VARS: tuple[str, ...] = (*HOSTED_KEYS.values(), *LOCAL_KEYS.values(), *SERVICE_KEYS.values())
"""Every key variable a run may read: their values are masked wherever a run's text leaves the machine."""
