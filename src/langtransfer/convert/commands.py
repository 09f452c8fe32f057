"""`langtransfer model …`: model conversions (thin typer commands over langtransfer.convert).

    langtransfer model import-llama2c stories260K.bin --tokenizer tok512.model --out DIR [--json]

Heavy imports (torch, transformers) happen inside the commands, so `--help` stays instant.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

model_app = typer.Typer(no_args_is_help=True, help="Model conversions: import other formats.")


@model_app.command("import-llama2c")
def import_llama2c_command(
    checkpoint: Annotated[Path, typer.Argument(help="llama2.c legacy v0 checkpoint (.bin).")],
    tokenizer: Annotated[Path, typer.Option("--tokenizer", help="Its SentencePiece .model.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output model folder.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Convert a llama2.c checkpoint into a transformers LLaMA folder with its tokenizer."""
    from langtransfer.convert.llama2c import import_llama2c

    result = import_llama2c(checkpoint, tokenizer, out)
    if as_json:
        typer.echo(json.dumps(asdict(result)))
        return
    h = result.header
    typer.echo(f"imported {checkpoint} -> {result.out}: {result.n_params:,} parameters, "
               f"{h['n_layers']} layers, dim {h['dim']}, {h['n_heads']} heads "
               f"({h['n_kv_heads']} kv), vocab {result.vocab_size}, "
               f"{'tied' if h['tied'] else 'untied'} embeddings")
