"""Training throughput: langtransfer's CPT path against a bare PyTorch loop and a padded HF Trainer.

    PYTHONPATH=src python benchmarks/train_throughput.py                 # CPU default, ~3 min
    PYTHONPATH=src python benchmarks/train_throughput.py --preset 1b --steps 20   # one GPU

One process, one model, one seeded list of documents whose lengths follow a wide (log-normal)
distribution, trained three ways in interleaved rounds (A B C A B C ..., so drift in clock
speed or memory state hits all three alike):

  a  bare PyTorch: packed blocks, forward, cross-entropy, backward, clip, AdamW step;
  b  langtransfer CPT: the stage's own packing (mix_documents -> split_blocks -> lm_batches)
     and its loop (train.loop.train, which builds the Accelerator, optimizer and schedule);
  c  transformers Trainer: one document per row, DataCollatorForLanguageModeling padding each
     batch to its longest row (no packing).

Each round runs 1 + N optimizer steps per way and times the last N (clock read after step 1
and after step N+1, with a device sync there on GPU); the first round is a warm-up and is
not counted. tokens/s counts every input position (padding too); useful tokens/s only real
tokens (a and b have no padding). On GPU the model FLOPs utilisation is
6 x parameters x useful tokens/s / peak, peak = 989 TFLOP/s dense bf16 (H100 SXM and H200:
the same GH100 chip; the figure is NVIDIA's H100 SXM datasheet value without sparsity).
Tokenisation is not timed: documents are token ids already (the CPT stage tokenises once,
into its cache). Self-contained: no network, no files outside a temporary folder.
"""

from __future__ import annotations

import argparse
import copy
import gc
import math
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

PRESETS = {
    # ENVIRONMENT.md: ~3k tokens/s on 2 CPU cores in fp32; per-step overhead shows at this size
    "default": {"layers": 4, "hidden": 256, "heads": 8, "ffn": 688, "vocab": 8000,
                "batch": 16, "seq": 256},
    # ~1.1 B parameters (TinyLlama-1.1B's shape with 16 instead of 4 KV heads); batch 8 x 2048
    # keeps three ways' activations within an 80 GB card
    "1b": {"layers": 22, "hidden": 2048, "heads": 16, "ffn": 5632, "vocab": 32000,
           "batch": 8, "seq": 2048},
}
PEAK_BF16 = {"H100": 989e12, "H200": 989e12, "A100": 312e12}  # dense bf16 FLOP/s, datasheets
LR = 1e-4


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The options, with the preset's shape filled in where not given."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--preset", choices=sorted(PRESETS), default="default")
    for name in ("layers", "hidden", "heads", "ffn", "vocab", "batch", "seq"):
        parser.add_argument(f"--{name}", type=int, help="override the preset")
    parser.add_argument("--steps", type=int, default=10, help="timed steps per way per round")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds (after a warm-up)")
    parser.add_argument("--warmup-steps", type=int, default=2, help="steps per way, round 0")
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    parser.add_argument("--threads", type=int, default=0, help="CPU threads (0: all cores)")
    parser.add_argument("--peak-tflops", type=float, help="peak bf16 TFLOP/s for MFU")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    for key, value in PRESETS[args.preset].items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    return args


def make_documents(n_tokens: int, vocab: int, seq: int, seed: int) -> list[list[int]]:
    """Seeded documents (<s>=1 ... </s>=2) with log-normal lengths, median seq/2, from 8 to
    4 x seq tokens, until they hold n_tokens; ids 3..vocab-1."""
    rng = random.Random(seed)
    docs, total = [], 0
    while total < n_tokens:
        length = int(min(max(rng.lognormvariate(math.log(seq / 2), 1.0), 8), 4 * seq))
        docs.append([1] + [rng.randrange(3, vocab) for _ in range(length - 2)] + [2])
        total += length
    return docs


def build_model(args: argparse.Namespace, device: Any) -> Any:
    """The benchmark's randomly initialised LLaMA (seeded) on `device`."""
    from langtransfer.train.config import ArchConfig
    from langtransfer.train.model import build_llama

    arch = ArchConfig(n_layers=args.layers, hidden=args.hidden, heads=args.heads, ffn=args.ffn,
                      max_seq_len=args.seq)
    return build_llama(arch, args.vocab, 1, 2, 0, seed=args.seed).to(device)


class Clock:
    """Reads the time after the first step and after the last (device synced there)."""

    def __init__(self, device: Any, last: int):
        import torch

        self.sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
        self.last, self.start, self.stop = last, math.nan, math.nan

    def after_step(self, step: int) -> None:
        """Call after optimizer step `step` (1-based)."""
        if step in (1, self.last):
            self.sync()
            if step == 1:
                self.start = time.perf_counter()
            else:
                self.stop = time.perf_counter()

    @property
    def seconds(self) -> float:
        """Time between the first and the last step's end."""
        return self.stop - self.start


def way_bare(model: Any, blocks: Any, steps: int, device: Any, bf16: bool) -> tuple[float, list]:
    """a: the bare loop on packed blocks [n, seq]; returns (seconds, per-step token shapes)."""
    import torch
    import torch.nn.functional as F

    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=LR, betas=(0.9, 0.95), weight_decay=0.1)
    clock = Clock(device, steps)
    shapes = []
    for step in range(1, steps + 1):
        ids = blocks[step - 1].to(device, non_blocking=True)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
            logits = model(input_ids=ids, use_cache=False).logits
        targets = F.pad(ids[:, 1:], (0, 1), value=-100)  # shift labels, not the logits
        loss = F.cross_entropy(logits.flatten(0, 1).float(), targets.flatten())
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        clock.after_step(step)
        shapes.append((ids.numel(), ids.numel()))
    return clock.seconds, shapes[1:]


class _ClockCallback:
    """A train.callbacks-style callback that only reads the clock."""

    def __init__(self, clock: Clock):
        self.clock = clock

    def on_step(self, model, accelerator, *, step, tokens, phase, last):
        """Read the clock after step 1 and the last step; log nothing."""
        if step > 0:
            self.clock.after_step(step)
        return []


def way_langtransfer(model: Any, batches: list, steps: int, device: Any) -> tuple[float, list]:
    """b: langtransfer's loop on the CPT stage's batches."""
    from langtransfer.train.config import OptimConfig
    from langtransfer.train.loop import start_session, train

    session = start_session(None, cpu=device.type == "cpu")
    clock = Clock(device, steps)
    session.callbacks.append(_ClockCallback(clock))
    optim = OptimConfig(lr=LR, batch_size=batches[0]["input_ids"].shape[0])
    train(model, batches[:steps], steps, optim, None, desc="bench", log_every=steps,
          session=session)
    shapes = [(b["input_ids"].numel(), b["input_ids"].numel()) for b in batches[1:steps]]
    return clock.seconds, shapes


def way_trainer(model: Any, docs: list, steps: int, args: argparse.Namespace, device: Any,
                bf16: bool, workdir: Path) -> tuple[float, list]:
    """c: a plain transformers Trainer, rows padded to the longest in each batch."""
    from transformers import PrinterCallback, Trainer, TrainerCallback, TrainingArguments

    tok = _tokenizer(args.vocab)
    shapes: list[tuple[int, int]] = []
    collate = _recording_collator(tok, shapes)
    clock = Clock(device, steps)

    class Timing(TrainerCallback):
        def on_step_end(self, targs, state, control, **kwargs):
            clock.after_step(state.global_step)

    targs = TrainingArguments(
        output_dir=str(workdir), per_device_train_batch_size=args.batch, max_steps=steps,
        learning_rate=LR, adam_beta2=0.95, weight_decay=0.1, max_grad_norm=1.0,
        lr_scheduler_type="cosine", warmup_steps=0, logging_strategy="no", save_strategy="no",
        report_to="none", bf16=bf16, use_cpu=device.type == "cpu", dataloader_num_workers=0,
        disable_tqdm=True, remove_unused_columns=False, seed=args.seed,
    )
    rows = [{"input_ids": d[:args.seq]} for d in docs]
    trainer = Trainer(model=model, args=targs, train_dataset=rows, data_collator=collate,
                      callbacks=[Timing()])
    trainer.remove_callback(PrinterCallback)  # no end-of-train metrics dict on stdout
    trainer.train()
    # undo the mixed-precision forward patch its prepare() added (rounds would nest them)
    trainer.accelerator.unwrap_model(trainer.model, keep_fp32_wrapper=False)
    del trainer
    return clock.seconds, shapes[1:steps]


def _tokenizer(vocab: int) -> Any:
    """A word-level tokenizer over ids 0..vocab-1 (only its padding is used): <pad>=0."""
    from tokenizers import Tokenizer
    from tokenizers.models import WordLevel
    from transformers import PreTrainedTokenizerFast

    words = {"<pad>": 0, "<s>": 1, "</s>": 2, **{f"t{i}": i for i in range(3, vocab)}}
    return PreTrainedTokenizerFast(tokenizer_object=Tokenizer(WordLevel(words, unk_token="<pad>")),
                                   pad_token="<pad>", bos_token="<s>", eos_token="</s>")


def _recording_collator(tok: Any, shapes: list) -> Callable[[list[dict]], dict]:
    """DataCollatorForLanguageModeling(mlm=False): pads to the batch's longest row, labels -100
    on padding; records (positions, real tokens) of each batch in order."""
    from transformers import DataCollatorForLanguageModeling

    inner = DataCollatorForLanguageModeling(tok, mlm=False)

    def collate(rows: list[dict]) -> dict:
        batch = inner(rows)
        shapes.append((batch["input_ids"].numel(), int(batch["attention_mask"].sum())))
        return batch

    return collate


def _dtype_probe(model: Any) -> Callable[[], str]:
    """Record the dtype of the first attention projection's output during the next run (shows
    whether a way's matrix products really ran under bf16 autocast); call the result to read
    it and remove the hook."""
    seen: list[str] = []
    layer = model.model.layers[0].self_attn.q_proj
    handle = layer.register_forward_hook(
        lambda mod, inp, out: seen.append(str(out.dtype).removeprefix("torch.")) if not seen
        else None)

    def read() -> str:
        handle.remove()
        return seen[0] if seen else "?"

    return read


def main(argv: list[str] | None = None) -> None:
    """Build the model and data, run the interleaved rounds, print the report."""
    import torch

    from langtransfer.modeling import quiet_transformers
    from langtransfer.train.model import count_parameters
    from langtransfer.train.packing import lm_batches, mix_documents, split_blocks

    args = parse_args(argv)
    quiet_transformers()
    cuda = args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available())
    device = torch.device("cuda" if cuda else "cpu")
    bf16 = cuda and torch.cuda.is_bf16_supported()
    if not cuda:
        torch.set_num_threads(args.threads or torch.get_num_threads())
    # one model per way, identical weights: no way inherits another's wrappers or state
    models = {"a": build_model(args, torch.device("cpu"))}
    models["b"], models["c"] = copy.deepcopy(models["a"]), copy.deepcopy(models["a"])
    models = {way: m.to(device) for way, m in models.items()}
    params = count_parameters(models["a"])
    per_round = [args.warmup_steps + 1] + [args.steps + 1] * args.rounds
    need = sum(per_round) * args.batch * args.seq
    docs = make_documents(int(need * 1.1), args.vocab, args.seq, args.seed)
    batches = lm_batches(split_blocks(mix_documents([docs], args.seed), args.seq), args.batch)
    blocks = [b["input_ids"] for b in batches]  # a and b see the very same blocks
    print(f"model {params / 1e6:.1f} M params ({args.layers} layers, hidden {args.hidden}, "
          f"vocab {args.vocab}), batch {args.batch} x {args.seq}, {device.type}, "
          f"{'bf16' if bf16 else 'fp32'}, threads {torch.get_num_threads()}", flush=True)
    results: dict[str, list[tuple[float, float]]] = {"a": [], "b": [], "c": []}
    matmul_dtypes: dict[str, str] = {}
    used = doc_at = 0
    with tempfile.TemporaryDirectory() as tmp:
        for rnd, steps in enumerate(per_round):
            part = slice(used, used + steps)
            used += steps
            rows = docs[doc_at:doc_at + steps * args.batch]
            doc_at += steps * args.batch
            runs = {"a": lambda: way_bare(models["a"], blocks[part], steps, device, bf16),
                    "b": lambda: way_langtransfer(models["b"], batches[part], steps, device),
                    "c": lambda: way_trainer(models["c"], rows, steps, args, device, bf16,
                                             Path(tmp))}
            for way, fn in runs.items():
                probe = _dtype_probe(models[way])
                seconds, shapes = fn()
                matmul_dtypes[way] = probe()
                gc.collect()
                if cuda:
                    torch.cuda.empty_cache()
                if rnd > 0:
                    positions, real = map(sum, zip(*shapes))
                    results[way].append((positions / seconds, real / seconds))
            if rnd > 0:
                print("  projection output dtype: " + "  ".join(
                    f"{w} {d}" for w, d in matmul_dtypes.items()), flush=True)
                print(f"round {rnd}: " + "  ".join(
                    f"{w} {results[w][-1][0]:,.0f} tok/s" for w in results), flush=True)
    report(results, params, device, args)


def report(results: dict, params: int, device: Any, args: argparse.Namespace) -> None:
    """Medians over rounds, the ratios, and MFU on GPU."""
    import torch

    med = {w: (statistics.median(r[0] for r in rs), statistics.median(r[1] for r in rs))
           for w, rs in results.items()}
    names = {"a": "bare PyTorch loop (packed)", "b": "langtransfer CPT (packed)",
             "c": "HF Trainer (padded to longest)"}
    peak = args.peak_tflops * 1e12 if args.peak_tflops else None
    if peak is None and device.type == "cuda":
        gpu = torch.cuda.get_device_name()
        peak = next((v for k, v in PEAK_BF16.items() if k in gpu), None)
    print(f"\n{'way':34} {'tokens/s':>12} {'useful tok/s':>13} {'padding':>8}"
          + (f" {'MFU':>6}" if peak else ""))
    for w, (tps, useful) in med.items():
        mfu = f" {6 * params * useful / peak:6.1%}" if peak else ""
        print(f"{w} {names[w]:32} {tps:12,.0f} {useful:13,.0f} {1 - useful / tps:8.1%}{mfu}")
    print(f"\nb/a tokens/s        {med['b'][0] / med['a'][0]:.3f}   (target >= 0.95)")
    print(f"b/c useful tokens/s {med['b'][1] / med['c'][1]:.3f}   (target > 1)")
    if peak:
        print(f"MFU = 6 x {params / 1e9:.3f} B params x useful tokens/s / {peak / 1e12:.0f} "
              f"TFLOP/s (attention FLOPs not counted)")


if __name__ == "__main__":
    sys.exit(main())
