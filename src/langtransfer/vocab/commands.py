"""`langtransfer vocab …`: train a target-language tokenizer, extend a base one, measure them.

    langtransfer vocab train --corpus zh.txt --size 20000 --out tok_zh
    langtransfer vocab extend --base llama/tokenizer.model --add tok_zh/sp.model --out merged
    langtransfer vocab stats --tokenizer llama/tokenizer.model --tokenizer merged --text zh.txt

Thin typer commands over `vocab.train`, `vocab.extend` and `vocab.stats`; heavy imports happen
inside the commands, and a UserError becomes one `error: …` line in `cli.main`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from langtransfer.errors import UserError
from langtransfer.vocab.stats import HEAD_SHARE  # a constant; the module imports nothing heavy

vocab_app = typer.Typer(no_args_is_help=True,
                        help="Vocabulary: train a target tokenizer, extend a base one, measure.")


@vocab_app.command("train")
def vocab_train(
    corpus: Annotated[list[Path], typer.Option(
        "--corpus", help="Text file, one document per line (repeat for several).")],
    size: Annotated[int, typer.Option("--size", help="Pieces, including 3 control + 256 byte.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output tokenizer folder.")],
    model_type: Annotated[str, typer.Option(
        "--model-type", help="bpe (LLaMA) or unigram.")] = "bpe",
    sample_chars: Annotated[Optional[int], typer.Option(
        "--sample-chars", help="Train on a seeded sample of about this many characters.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the sample.")] = 0,
) -> None:
    """Train a LLaMA-like SentencePiece model (byte fallback on) and its transformers folder."""
    if model_type not in ("bpe", "unigram"):
        raise UserError(f"--model-type {model_type!r}: expected bpe or unigram")
    from langtransfer.files import sha256_file, write_json
    from langtransfer.runs import package_versions
    from langtransfer.vocab.train import hf_tokenizer_from_sp, train_sentencepiece

    model = train_sentencepiece(list(corpus), size, out, model_type=model_type,
                                sample_chars=sample_chars, seed=seed)
    tok = hf_tokenizer_from_sp(model, out)
    write_json(out / "vocab_train.json", {
        "corpus": [{"path": str(c), "sha256": sha256_file(c)} for c in corpus],
        "size": size, "model_type": model_type, "sample_chars": sample_chars, "seed": seed,
        "pieces": len(tok), "versions": package_versions()})
    typer.echo(f"trained {len(tok):,} pieces: {model} (+ transformers files in {out})")


@vocab_app.command("extend")
def vocab_extend(
    base: Annotated[Path, typer.Option(
        "--base", help="SentencePiece .model / folder with tokenizer.model, or byte-level "
                       "BPE tokenizer.json / folder with one.")],
    add: Annotated[Path, typer.Option(
        "--add", help="SentencePiece .model, or a UTF-8 file with one token per line.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output tokenizer folder.")],
    score: Annotated[str, typer.Option(
        help="Score of appended SentencePiece pieces: zero (Chinese-LLaMA) or below-min "
             "(the base's merges keep priority).")] = "zero",
    skip_existing: Annotated[bool, typer.Option(
        "--skip-existing", help="Skip token-list lines already in the base.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Append new pieces to a base tokenizer, keeping every original id."""
    from langtransfer.vocab.extend import extend_tokenizer

    res = extend_tokenizer(base, add, out, score=score, skip_existing=skip_existing)
    if as_json:
        typer.echo(json.dumps(res.summary()))
        return
    typer.echo(f"{res.kind} base of {res.base_size:,} + {res.added:,} new = {res.new_size:,} "
               f"ids ({res.skipped_existing:,} already in the base skipped); wrote {res.out}")
    if res.intermediates:
        typer.echo(f"  {res.intermediates:,} of the new ids are intermediate merge steps")
    if res.unreachable:
        typer.echo(f"  {res.unreachable:,} appended pieces can never be produced by this BPE "
                   "(no split into two producible pieces)")
    if not res.hf_matches_sp:
        typer.echo("  note: with --score zero the tokenizer.json differs from the .model on some "
                   "text (tied scores; docs/vocab.md); --score below-min matches exactly")


@vocab_app.command("stats")
def vocab_stats(
    tokenizer: Annotated[list[Path], typer.Option(
        "--tokenizer", help="Tokenizer folder, SentencePiece .model or tokenizer.json (repeat).")],
    text: Annotated[list[Path], typer.Option("--text", help="Text file, one document per line.")],
    lang: Annotated[Optional[str], typer.Option(help="ISO code of the text (en, zh, …).")] = None,
    base: Annotated[Optional[Path], typer.Option(
        help="The base tokenizer (default: the first --tokenizer when several are given).")] = None,
    head_share: Annotated[float, typer.Option(
        help="LM head's share of per-token compute (LLaMA-7B ~0.02).")] = HEAD_SHARE,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list.")] = False,
) -> None:
    """Tokens per char / word / 1,000 bytes, byte fallback, new-piece coverage and a verdict."""
    from langtransfer.vocab.stats import compare_tokenizers, stats_table

    if base is None and len(tokenizer) > 1:
        base = tokenizer[0]
    texts = [line for path in text for line in _read_lines(path)]
    rows = compare_tokenizers(list(tokenizer), texts, lang, base, head_share)
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    from rich.console import Console

    console = Console()
    # The ten-column table needs ~110 columns; narrower, rich would drop the name column.
    Console(width=max(console.width, 120)).print(
        stats_table(rows, title=f"{', '.join(map(str, text))} ({len(texts):,} lines)"))
    for row in rows:
        if row["verdict"]:
            console.print(row["verdict"]["text"], highlight=False)


def _read_lines(path: Path) -> list[str]:
    """Non-blank lines of a UTF-8 text file; a missing or binary file is a UserError."""
    if not path.is_file():
        raise UserError(f"{path}: text file not found")
    try:
        return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except UnicodeDecodeError as exc:
        raise UserError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
