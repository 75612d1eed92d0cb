"""`posttrain doctor`: what this machine has for posttrain — GPU, vLLM, Ray, Trackio, brains with keys."""

import typer


def doctor() -> None:
    """Report GPU, vLLM, Ray, Trackio, TRL and which brains have keys (keys themselves are never printed)."""
    import importlib.metadata as md
    import os
    import shutil

    from rich.console import Console
    from rich.table import Table

    table = Table("component", "status", "detail")

    def version(name: str) -> str | None:
        try:
            return md.version(name)
        except md.PackageNotFoundError:
            return None

    try:
        import torch

        if torch.cuda.is_available():
            names = ", ".join(torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count()))
            table.add_row("GPU", "yes", f"{torch.cuda.device_count()} × {names} (torch {torch.__version__})")
        else:
            table.add_row("GPU", "no", f"CPU only (torch {torch.__version__}); training and evaluation run on CPU")
    except ImportError:
        table.add_row("GPU", "unknown", "torch is not installed: pip install torch")
    from rich.markup import escape

    from posttrain.tools.vllm_support import vllm_support

    vllm = vllm_support()
    if vllm.installed is None:  # escaped: rich would read "[gpu]" as a style tag and drop it
        table.add_row("vLLM", "no", escape("optional: pip install 'posttrain[gpu]' on a CUDA machine; the transformers "
                                           "backend is used instead"))
    else:
        table.add_row("vLLM", "yes" if vllm.usable else "ignored", escape(vllm.reason))
    for package in ("ray", "trackio", "trl", "transformers", "datasets", "autogen-agentchat", "liger-kernel"):
        v = version(package)
        table.add_row(package, "yes" if v else "no", v or "not installed")
    ray_address = os.environ.get("RAY_ADDRESS")
    table.add_row("Ray cluster", "existing" if ray_address else "local", ray_address or "started on demand")
    table.add_row("Trackio store", "local", os.environ.get("TRACKIO_DIR", "~/.cache/huggingface/trackio"))
    from posttrain.tools.providers import HOSTED_KEYS

    brains = {"offline": True, **{kind: bool(os.environ.get(var)) for kind, var in HOSTED_KEYS.items()},
              "ollama": shutil.which("ollama") is not None}
    for name, ready in brains.items():
        where = " (HF router)" if name == "hf" else ""
        detail = {"offline": "rule-based playbook, always available",
                  "ollama": "ollama binary found" if ready else
                  "ollama not on PATH (vllm:MODEL@URL works for any server)",
                  **{kind: f"{var} set{where}" if ready else f"set {var}" for kind, var in HOSTED_KEYS.items()}}
        table.add_row(f"brain {name}", "ready" if ready else "no", detail[name])
    _network_rows(table)
    Console().print(table)


def _network_rows(table) -> None:
    """Reachability measured now (one HEAD request each, 2 s at most, in parallel), not read from variables."""
    import os
    from concurrent.futures import ThreadPoolExecutor

    from posttrain.tools.network import http_check, hub_endpoint, paper_endpoints

    endpoints = {"Hugging Face Hub": hub_endpoint(), **{k: v for k, v in paper_endpoints().items()
                                                        if k != "HF Papers"}}
    with ThreadPoolExecutor(max_workers=len(endpoints)) as pool:
        checks = {name: pool.submit(http_check, url) for name, url in endpoints.items()}
    reachable = 0
    for name, future in checks.items():
        ok, detail = future.result()
        reachable += ok
        table.add_row(name, "reachable" if ok else "unreachable", f"{endpoints[name]}: {detail}" if ok else detail)
    status = "online" if reachable == len(endpoints) else "offline" if reachable == 0 else "partly online"
    modes = [key for key in ("POSTTRAIN_OFFLINE", "HF_HUB_OFFLINE") if os.environ.get(key, "") not in ("", "0")]
    table.add_row("network", status, f"{reachable}/{len(endpoints)} endpoints answered"
                  + (f"; offline mode set ({', '.join(modes)}): cached answers only" if modes else ""))


def register(app: typer.Typer) -> None:
    app.command()(doctor)
