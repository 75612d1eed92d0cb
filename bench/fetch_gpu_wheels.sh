#!/usr/bin/env bash
# Download, here, the wheels bench/gpu_check.sh installs on the GPU machine (Python 3.12, x86-64; its image already
# has torch, transformers, accelerate, peft, pyarrow, xxhash, fsspec, typer, rich, pyyaml). Into .whl/ (git-ignored
# through .git/info/exclude), carried with `carry: [".whl"]`; about 5 MB in all, far under the 64 MiB limit.
# Not carried: vllm (pins its own torch, hundreds of MB), flash-attn (hundreds of MB), ray (~70 MB).
set -euo pipefail
cd "$(dirname "$0")/.."
grep -qx '/.whl/' .git/info/exclude 2>/dev/null || echo '/.whl/' >> .git/info/exclude
rm -rf .whl
PLAT=(--platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64)
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp "${PLAT[@]}" \
  -d .whl trl==1.16.0 datasets==5.2.0 dill multiprocess liger-kernel==0.8.5 pydantic==2.13.4 pydantic-core==2.46.4 \
  annotated-types typing-inspection
du -sh .whl && ls .whl
