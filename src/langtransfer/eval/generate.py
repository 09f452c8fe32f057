"""Batched greedy or sampled generation for open questions.

Prompts are encoded as the scorer does (BOS first, eval.lm.encode), sorted by length (longest
first) so a batch pads little, LEFT-padded with an attention mask, and decoded greedily with
the KV cache by `model.generate`. A sequence ends at EOS, at any stop string (the text is cut
before it) or at max_new_tokens; the original prompt order is restored.

Default stop strings end a response where an instruction-tuned model starts the next turn of
the Alpaca template ("### Instruction", "### Response") or rambles into blank lines ("\\n\\n\\n").

Sampling (`Sampling(temperature, top_p, seed)`) draws from the tempered, nucleus-truncated
distribution instead; the torch generator is seeded once per call, so the same prompts, batch
size and seed give the same responses. `generate_responses` is the backend switch used by
`eval quality`: `hf` (this module) or `vllm` (eval/vllm_backend.py, imported only when chosen).

Exercised by `langtransfer eval run` (eval.run, task "quality"), `langtransfer eval quality`
and tests/unit/eval/test_eval_generate.py, tests/unit/eval/test_eval_quality_generate.py.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Sequence

from langtransfer.eval.lm import OnBatch, encode, model_max_length

DEFAULT_STOP = ("### Instruction", "### Response", "\n\n\n")
BACKENDS = ("hf", "vllm")


@dataclass(frozen=True)
class Sampling:
    """Sampling settings; temperature 0 means greedy decoding."""

    temperature: float = 0.0
    """Softmax temperature (0 = greedy)."""
    top_p: float = 1.0
    """Nucleus: keep the smallest set of tokens whose probability reaches top_p."""
    seed: int = 0
    """Seed of the sampling generator (set once per `generate` call)."""

    @property
    def greedy(self) -> bool:
        return self.temperature <= 0.0

    def generate_kwargs(self) -> dict:
        """Arguments for transformers' `model.generate`."""
        if self.greedy:
            return {"do_sample": False}
        return {"do_sample": True, "temperature": self.temperature, "top_p": self.top_p,
                "top_k": 0}  # top_k 0: no top-k cut (transformers defaults to 50)


@dataclass
class GenOut:
    """One generated response."""

    text: str
    """The response, cut before the first stop string; special tokens removed."""
    n_tokens: int
    """New tokens the model produced for it (an ending EOS and the tokens that completed a stop
    string included; padding after the end excluded)."""
    seconds: float
    """Its share of its batch's wall time (batch seconds / batch size), so shares sum to the
    total generation time."""
    finish: str
    """Why it ended: "eos", "stop" or "length"."""


def _stop_criteria(tok: Any, stop: Sequence[str], prompt_len: int, batch: int):
    """A StoppingCriteria ending each row once its decoded new text contains a stop string;
    `.stopped_at[row]` records how many new tokens that row had then."""
    import torch
    from transformers import StoppingCriteria

    class StopOnStrings(StoppingCriteria):
        def __init__(self):
            self.stopped_at = [0] * batch

        def __call__(self, input_ids, scores, **kwargs):
            new = input_ids[:, prompt_len:]
            texts = tok.batch_decode(new, skip_special_tokens=True)
            done = torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)
            for row, text in enumerate(texts):
                if any(s in text for s in stop):
                    done[row] = True
                    if not self.stopped_at[row]:
                        self.stopped_at[row] = new.shape[1]
            return done

    return StopOnStrings()


def _cut_at_stop(text: str, stop: Sequence[str]) -> tuple[str, bool]:
    positions = [text.find(s) for s in stop if s and s in text]
    return (text[:min(positions)], True) if positions else (text, False)


def generate(model: Any, tok: Any, prompts: Sequence[str], max_new_tokens: int = 64,
             batch_size: int = 16, stop: Sequence[str] = DEFAULT_STOP,
             on_batch: OnBatch = None, sampling: Sampling | None = None) -> list[GenOut]:
    """Greedy (or sampled) responses to `prompts`.

    Args:
        model: a transformers causal LM (GenerationMixin).
        tok: its tokenizer.
        prompts: full prompt texts (already rendered with the instruction template).
        max_new_tokens: cap on new tokens per response.
        batch_size: prompts decoded together.
        stop: strings that end a response (cut from the text).
        on_batch: progress callback (prompts done per batch).
        sampling: temperature / top_p / seed; None or temperature 0 = greedy.

    Returns:
        One GenOut per prompt, in input order. Prompts longer than the model's maximum length
        minus max_new_tokens are truncated from the left.
    """
    stop = tuple(s for s in stop if s)
    keep = max(1, model_max_length(model, tok) - max_new_tokens)
    encoded = [encode(tok, p)[-keep:] for p in prompts]
    order = sorted(range(len(prompts)), key=lambda i: -len(encoded[i]))
    results: list[GenOut | None] = [None] * len(prompts)
    sampling = sampling or Sampling()
    if not sampling.greedy:
        import torch

        torch.manual_seed(sampling.seed)
    for start in range(0, len(order), batch_size):
        chunk = order[start:start + batch_size]
        outs = _generate_batch(model, tok, [encoded[i] for i in chunk], max_new_tokens, stop,
                               sampling)
        for i, out in zip(chunk, outs):
            results[i] = out
        if on_batch is not None:
            on_batch(len(chunk))
    return results  # type: ignore[return-value]


def _pad_id(tok: Any) -> int:
    for candidate in (tok.pad_token_id, tok.unk_token_id, tok.eos_token_id):
        if candidate is not None:
            return candidate
    return 0


def _generate_batch(model: Any, tok: Any, batch: list[list[int]], max_new_tokens: int,
                    stop: Sequence[str], sampling: Sampling = Sampling()) -> list[GenOut]:
    import torch
    from transformers import StoppingCriteriaList

    started = time.perf_counter()
    width, pad = max(len(ids) for ids in batch), _pad_id(tok)
    device = next(model.parameters()).device
    input_ids = torch.full((len(batch), width), pad, dtype=torch.long, device=device)
    attention = torch.zeros((len(batch), width), dtype=torch.long, device=device)
    for row, ids in enumerate(batch):
        input_ids[row, width - len(ids):] = torch.tensor(ids, dtype=torch.long)
        attention[row, width - len(ids):] = 1
    criteria = _stop_criteria(tok, stop, width, len(batch)) if stop else None
    with torch.inference_mode():
        output = model.generate(
            input_ids=input_ids, attention_mask=attention, max_new_tokens=max_new_tokens,
            **sampling.generate_kwargs(), pad_token_id=pad, eos_token_id=tok.eos_token_id,
            stopping_criteria=StoppingCriteriaList([criteria] if criteria else []),
        )
    share = (time.perf_counter() - started) / len(batch)
    outs = []
    for row in range(len(batch)):
        new = output[row, width:].tolist()
        stopped_at = criteria.stopped_at[row] if criteria else 0
        outs.append(_finish(tok, new, stopped_at, stop, share))
    return outs


def _finish(tok: Any, new: list[int], stopped_at: int, stop: Sequence[str],
            seconds: float) -> GenOut:
    """Turn one row's new tokens into a GenOut (find its end, decode, cut the stop string)."""
    eos = tok.eos_token_id
    end, finish = len(new), "length"
    if eos is not None and eos in new:
        end, finish = new.index(eos) + 1, "eos"
    if stopped_at and stopped_at <= end:
        end, finish = stopped_at, "stop"
    text, cut = _cut_at_stop(tok.decode(new[:end], skip_special_tokens=True), stop)
    if cut:
        finish = "stop"
    return GenOut(text=text, n_tokens=end, seconds=seconds, finish=finish)


def generate_responses(model_dir: str, prompts: Sequence[str], *, backend: str = "hf",
                       max_new_tokens: int = 64, batch_size: int = 16,
                       stop: Sequence[str] = DEFAULT_STOP, sampling: Sampling | None = None,
                       model: Any = None, tok: Any = None,
                       on_batch: OnBatch = None) -> list[GenOut]:
    """Responses from the chosen backend.

    Args:
        model_dir: the model directory (vllm loads it itself; hf uses `model`/`tok`).
        prompts: rendered prompts.
        backend: "hf" (transformers, this module) or "vllm" (eval/vllm_backend.py).
        max_new_tokens, batch_size, stop, sampling, on_batch: as in `generate`.
        model, tok: the loaded transformers model and tokenizer (hf).

    Raises:
        ConfigError: unknown backend.
    """
    from langtransfer.errors import ConfigError

    if backend == "vllm":
        from langtransfer.eval.vllm_backend import generate_vllm  # GPU users only

        return generate_vllm(model_dir, prompts, max_new_tokens=max_new_tokens, stop=stop,
                             sampling=sampling or Sampling())
    if backend != "hf":
        raise ConfigError(f"backend: unknown generation backend '{backend}' (known: "
                          f"{', '.join(BACKENDS)})")
    return generate(model, tok, prompts, max_new_tokens, batch_size, stop, on_batch, sampling)
