"""Optional vLLM generation backend for GPU users (`eval quality --set backend=vllm`).

Imported only when that backend is chosen: vLLM is an optional extra (`pip install
langtransfer[vllm]`) and needs a GPU. It receives the same rendered prompts as the transformers
backend and returns the same GenOut records. Untested here (the CI machine has no GPU and no
vLLM): keep it small, and compare a handful of greedy responses with the `hf` backend on a GPU
before trusting it (vLLM's kernels can make greedy ties break differently).

Exercised by `langtransfer eval quality --model DIR --set backend=vllm` on a GPU machine.
"""

from __future__ import annotations

import time
from typing import Sequence

from langtransfer.errors import ConfigError
from langtransfer.eval.generate import GenOut, Sampling


def generate_vllm(model_dir: str, prompts: Sequence[str], *, max_new_tokens: int,
                  stop: Sequence[str], sampling: Sampling) -> list[GenOut]:
    """Responses from vLLM's offline engine, in prompt order.

    Raises:
        ConfigError: vLLM is not installed.
    """
    try:
        from vllm import LLM, SamplingParams
    except ImportError:
        raise ConfigError("backend vllm: the vllm package is not installed (pip install "
                          "'langtransfer[vllm]'; it needs a GPU) — use backend hf") from None
    params = SamplingParams(
        temperature=sampling.temperature, top_p=sampling.top_p if not sampling.greedy else 1.0,
        seed=sampling.seed, max_tokens=max_new_tokens, stop=[s for s in stop if s])
    started = time.perf_counter()
    outputs = LLM(model=model_dir, seed=sampling.seed).generate(list(prompts), params)
    share = (time.perf_counter() - started) / max(1, len(prompts))
    results = []
    for out in outputs:
        best = out.outputs[0]
        finish = {"stop": "stop", "length": "length"}.get(best.finish_reason or "", "eos")
        if best.finish_reason == "stop" and best.stop_reason is None:
            finish = "eos"  # vLLM reports EOS as finish_reason "stop" with no stop string
        results.append(GenOut(text=best.text, n_tokens=len(best.token_ids), seconds=share,
                              finish=finish))
    return results
