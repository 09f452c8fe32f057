"""Benchmark: the LLaMA + Chinese vocabulary merge — its time and the fertility it buys.

    .venv/bin/python benchmarks/vocab_merge.py [--shared-data ../shared/data] [--runs 5]

1. Times the Chinese-LLaMA merge (LLaMA's 32,000 pieces + chinese_sp.model -> 49,953): the
   proto-level merge alone and the whole `extend_tokenizer` (which also converts and writes the
   transformers tokenizer and checks it); median of --runs.
2. Fertility on the Chinese text in ../shared/data (BELLE eval questions + answers, C-Eval
   questions, UD zh_gsdsimp sentences) and on English Wikipedia text (wiki_demo.txt), for
   LLaMA, LLaMA+Chinese with score zero and below-min, and Chinese-LLaMA-2 (55,296).
   SentencePiece `.model` rows are the reference tokenizations; "transformers" rows are what
   `AutoTokenizer` makes of the same folder (score-zero ties differ, see docs/vocab.md).
3. A Latin-script target: a 1,000-piece Maltese BPE (UD Maltese-MUDT, first 300 sentences)
   merged into LLaMA both ways, measured on the other 218 sentences and on English.

Prints markdown tables (docs/vocab.md holds a copy of one run).
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
try:
    import langtransfer  # noqa: F401
except ImportError:  # a checkout that is not pip-installed
    sys.path.insert(0, str(REPO / "src"))

from langtransfer.vocab.extend import (  # noqa: E402
    extend_tokenizer, load_sp_proto, merge_sentencepiece)
from langtransfer.vocab.stats import compare_tokenizers  # noqa: E402
from langtransfer.vocab.train import train_sentencepiece  # noqa: E402


def chinese_text(data: Path) -> list[str]:
    """BELLE eval questions and reference answers, C-Eval questions, UD zh_gsdsimp sentences."""
    texts = []
    for line in (data / "belle" / "eval_set.json").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        texts += [row["question"], row.get("std_answer") or ""]
    for path in sorted((data / "ceval").glob("*/*.csv")):
        with path.open(encoding="utf-8") as fh:
            texts += [row["question"] for row in csv.DictReader(fh)]
    texts += ud_sentences(data / "ud" / "zh_gsdsimp-ud-test.conllu")
    return [t for t in texts if t.strip()]


def ud_sentences(path: Path) -> list[str]:
    """The `# text = ` lines of a CoNLL-U file."""
    return [line[len("# text = "):] for line in path.read_text(encoding="utf-8").splitlines()
            if line.startswith("# text = ")]


def english_text(data: Path) -> list[str]:
    return [t for t in (data / "pretrain_text" / "wiki_demo.txt").read_text(
        encoding="utf-8").splitlines() if t.strip()]


def time_merge(llama: Path, chinese: Path, runs: int) -> tuple[float, float]:
    """Median seconds of the proto merge alone and of the whole extend_tokenizer."""
    proto_times, full_times = [], []
    for _ in range(runs):
        start = time.perf_counter()
        base, add = load_sp_proto(llama), load_sp_proto(chinese)
        have = {p.piece for p in base.pieces}
        pieces = [p.piece for p in add.pieces if p.type == 1 and p.piece not in have]
        merge_sentencepiece(base, pieces).SerializeToString()
        proto_times.append(time.perf_counter() - start)
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            extend_tokenizer(llama, chinese, tmp)
            full_times.append(time.perf_counter() - start)
    return statistics.median(proto_times), statistics.median(full_times)


def fertility_table(rows: dict[str, str | Path], texts: list[str], lang: str | None,
                    base: str | Path) -> str:
    """Markdown table of compare_tokenizers rows against `base`."""
    stats = compare_tokenizers(list(rows.values()), texts, lang, base)
    lines = ["| tokenizer | vocab | tokens/char | tokens/1000 B | byte fallback | "
             "relative seq. length | new-piece chars | verdict (head 2%) |",
             "|---|---:|---:|---:|---:|---:|---:|---|"]
    for name, s in zip(rows, stats):
        v = s["verdict"]
        rel = "1.000" if v is None else f"{1 - v['seq_len_reduction']:.3f}"
        new = "-" if s["new_piece_char_share"] is None else f"{s['new_piece_char_share']:.1%}"
        label = "(base)" if v is None else f"{v['label']} ({v['throughput_gain']:+.0%})"
        lines.append(f"| {name} | {s['vocab_size']:,} | {s['tokens_per_char']:.3f} | "
                     f"{s['tokens_per_kbyte']:.1f} | {s['byte_fallback_rate']:.2%} | {rel} | "
                     f"{new} | {label} |")
    return "\n".join(lines)


def transformers_mismatch(folder: Path, texts: list[str]) -> float:
    """Share of texts on which AutoTokenizer's ids differ from the folder's tokenizer.model."""
    import sentencepiece as spm
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(folder)
    sp = spm.SentencePieceProcessor(model_file=str(folder / "tokenizer.model"))
    hf = tok(texts, add_special_tokens=False)["input_ids"]
    return sum(a != b for a, b in zip(hf, sp.encode(texts))) / len(texts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared-data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    data = args.shared_data
    llama = data / "tokenizers" / "llama" / "tokenizer.model"
    chinese = data / "tokenizers" / "chinese_sp" / "chinese_sp.model"
    llama2_zh = data / "tokenizers" / "chinese_llama2"

    proto_s, full_s = time_merge(llama, chinese, args.runs)
    print(f"## Merge time (median of {args.runs})\n\nproto-level merge: {proto_s * 1000:.0f} ms; "
          f"extend_tokenizer incl. transformers conversion and checks: {full_s:.2f} s\n")

    zh, en = chinese_text(data), english_text(data)
    with tempfile.TemporaryDirectory() as tmp:
        zero = extend_tokenizer(llama, chinese, Path(tmp) / "zero").out
        below = extend_tokenizer(llama, chinese, Path(tmp) / "below", score="below-min").out
        rows = {
            "LLaMA": llama,
            "LLaMA+Chinese, score zero (= Chinese-LLaMA)": zero / "tokenizer.model",
            "  same, transformers tokenizer.json": zero,
            "LLaMA+Chinese, below-min (.model = tokenizer.json)": below / "tokenizer.model",
            "Chinese-LLaMA-2": llama2_zh / "tokenizer.model",
            "  same, transformers (its LlamaTokenizer folder)": llama2_zh,
        }
        print(f"## Chinese ({len(zh):,} texts, {sum(map(len, zh)):,} characters)\n")
        print(fertility_table(rows, zh, "zh", llama) + "\n")
        print(f"## English (wiki_demo.txt, {sum(map(len, en)):,} characters)\n")
        print(fertility_table(rows, en, "en", llama) + "\n")
        print("## transformers vs SentencePiece ids (share of texts that differ)\n")
        for name, folder in [("LLaMA+Chinese zero", zero), ("LLaMA+Chinese below-min", below)]:
            print(f"- {name}: Chinese {transformers_mismatch(folder, zh):.1%}, "
                  f"English {transformers_mismatch(folder, en):.1%}")
        print()
        latin_target(llama, data, Path(tmp), en)


def latin_target(llama: Path, data: Path, tmp: Path, en: list[str]) -> None:
    """Maltese pieces merged into LLaMA with each score mode: target and English fertility."""
    maltese = ud_sentences(data / "ud" / "mt_mudt-ud-test.conllu")
    train, held_out = maltese[:300], maltese[300:]
    corpus = tmp / "mt.txt"
    corpus.write_text("\n".join(train) + "\n", encoding="utf-8")
    model = train_sentencepiece([corpus], 1000, tmp / "mt")
    rows = {"LLaMA": llama}
    for score in ("zero", "below-min"):
        res = extend_tokenizer(llama, model, tmp / f"mt_{score}", score=score)
        rows[f"LLaMA+Maltese, {score} (+{res.added})"] = res.out / "tokenizer.model"
    print(f"## Latin-script target: Maltese ({len(held_out)} held-out UD sentences)\n")
    print(fertility_table(rows, held_out, None, llama) + "\n")  # mt: not in langs.py
    print("English (wiki_demo.txt):\n")
    print(fertility_table(rows, en, "en", llama))


if __name__ == "__main__":
    main()
