"""Training callbacks: retention curves (held-out perplexity per language) and TensorBoard.

Exercised by `langtransfer train cpt CONFIG --set eval_every=50 --set eval_texts.en=EN.txt
--set eval_texts.zh=ZH.txt` (records `{phase: "retention", step, tokens, lang, ppl, bpb}` in
metrics.jsonl) and by tests/unit/train/test_train_callbacks.py.

Retention: the paper's Table 2 compares English and Chinese perplexity before and after CPT;
recording both every N steps shows the target-language gain against English forgetting as
curves. Cheap by construction: a bounded number of documents, no gradients, and the model's
train/eval mode restored. Under several processes each process scores every world_size-th
document and the sums (nll, tokens, bytes) are added up, so the numbers equal one process's.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any, Protocol

from langtransfer.errors import DataError

EVAL_BATCH = 8  # windows per forward pass while scoring (small: evaluation shares the GPU)
N_BOOT = 200  # bootstrap resamples for the intervals of a single-process record


class Callback(Protocol):
    """Called by the loop before the first step (step 0) and after every optimizer step."""

    def on_step(self, model: Any, accelerator: Any, *, step: int, tokens: int, phase: str,
                last: bool) -> list[dict[str, Any]]:
        """Return metrics records to log (every process calls this; the main one logs)."""
        ...


def read_eval_texts(texts: dict[str, str], n_docs: int) -> dict[str, list[str]]:
    """The first `n_docs` non-empty lines of each held-out file.

    Raises:
        DataError: a file is missing or has no documents (names the language and the path).
    """
    out: dict[str, list[str]] = {}
    for lang, path in texts.items():
        if not Path(path).is_file():
            raise DataError(f"{path}: held-out text not found (eval_texts.{lang})")
        docs = [line for line in Path(path).read_text(encoding="utf-8").splitlines()
                if line.strip()][:n_docs]
        if not docs:
            raise DataError(f"{path}: no documents (eval_texts.{lang})")
        out[lang] = docs
    return out


class RetentionCallback:
    """Perplexity and bits per byte of held-out text per language every `every` steps."""

    def __init__(self, texts: dict[str, list[str]], tok: Any, seq_len: int, every: int):
        """Set up the evaluation.

        Args:
            texts: documents per language (read_eval_texts).
            tok: the training tokenizer.
            seq_len: scoring window in tokens (the training block length).
            every: evaluate when the run's step is a multiple of this (and at step 0 and at
                the end of each phase).
        """
        self.texts = texts
        self.tok = tok
        self.seq_len = seq_len
        self.every = every
        self._done_steps: set[int] = set()

    def on_step(self, model: Any, accelerator: Any, *, step: int, tokens: int, phase: str,
                last: bool) -> list[dict[str, Any]]:
        """Records `{phase: "retention", step, tokens, lang, ppl, bpb, during}` when due."""
        due = step % self.every == 0 or last
        if not due or step in self._done_steps:
            return []
        self._done_steps.add(step)
        return [{"phase": "retention", "step": step, "tokens": tokens, "lang": lang,
                 "during": phase, **self._score(model, accelerator, docs)}
                for lang, docs in self.texts.items()]

    def _score(self, model: Any, accelerator: Any, docs: list[str]) -> dict[str, Any]:
        import torch

        from langtransfer.eval.perplexity import perplexity
        from langtransfer.train.checkpoint import shards_parameters

        world, rank = accelerator.num_processes, accelerator.process_index
        mine = docs[rank::world]
        # Score with the bare model (DDP's wrapper hides `.config` and would sync buffers);
        # sharded weights (FSDP / ZeRO-3) are only complete through the wrapper.
        if not shards_parameters(accelerator):
            model = accelerator.unwrap_model(model)
        was_training = model.training
        model.eval()
        try:
            with accelerator.autocast():
                res = perplexity(model, self.tok, mine, self.seq_len, batch_size=EVAL_BATCH,
                                 n_boot=N_BOOT) if mine else {"nll": 0.0, "tokens": 0,
                                                              "bytes": 0, "docs": 0}
        finally:
            model.train(was_training)
        if world == 1:
            return {"ppl": res["ppl"], "bpb": res["bpb"], "bpb_ci": list(res["bpb_ci"]),
                    "docs": res["docs"], "eval_tokens": res["tokens"]}
        sums = torch.tensor([res["nll"], res["tokens"], res["bytes"], res["docs"]],
                            dtype=torch.float64, device=accelerator.device)
        nll, n_tok, n_bytes, n_docs = accelerator.reduce(sums, "sum").tolist()
        return {"ppl": math.exp(nll / n_tok) if n_tok else math.nan,
                "bpb": nll / (math.log(2) * n_bytes) if n_bytes else math.nan,
                "docs": int(n_docs), "eval_tokens": int(n_tok)}


class TensorBoardLogger:
    """Mirrors metrics records into `<run>/tb/` (main process only)."""

    def __init__(self, log_dir: str | Path, purge_step: int | None = None):
        """Open the writer.

        Args:
            log_dir: the event folder.
            purge_step: on resume, events at or after this step (written by the crashed
                attempt after its last checkpoint) are discarded by TensorBoard.
        """
        from torch.utils.tensorboard import SummaryWriter

        self._writer = SummaryWriter(str(log_dir), purge_step=purge_step)

    def write(self, record: dict[str, Any], global_step: int) -> None:
        """Scalars of a training record (`<phase>/loss`, ...) or a retention record
        (`retention/<lang>/bpb`, ...)."""
        phase = record.get("phase", "train")
        prefix = f"retention/{record['lang']}" if phase == "retention" else phase
        for key, value in record.items():
            if key in ("phase", "lang", "step", "during") or isinstance(value, bool):
                continue
            if isinstance(value, (int, float)) and math.isfinite(value):
                self._writer.add_scalar(f"{prefix}/{key}", value, global_step)

    def close(self) -> None:
        """Flush and close the event file."""
        self._writer.close()


def open_tensorboard(run_dir: str | Path,
                     purge_step: int | None = None) -> TensorBoardLogger | None:
    """A TensorBoardLogger on `<run_dir>/tb`, or None with a one-line warning when the
    `tensorboard` package is missing (it is the optional `tb` extra, not a core dependency)."""
    try:
        return TensorBoardLogger(Path(run_dir) / "tb", purge_step=purge_step)
    except ImportError:
        # logging, not warnings.warn: one line on stderr, without a source-code line
        logging.getLogger("langtransfer").warning(
            "warning: tensorboard: true but the `tensorboard` package is not installed "
            "(pip install 'langtransfer[tb]'); no TensorBoard files are written")
        return None
