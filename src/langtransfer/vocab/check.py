"""Vocabulary consistency checks run before every training and evaluation stage.

Called by `langtransfer train cpt`, `train sft` and `eval run` (after loading, and after any
resize), and by `model import-llama2c`.

Four numbers must agree: the tokenizer's length, the input-embedding rows, the LM-head rows and
`config.vocab_size`. Rows may exceed the tokenizer (padded vocabularies: rows rounded up to a
multiple of 64 for GPU efficiency, or a checkpoint with a few unused rows), but never the other
way round: an id >= rows indexes past the embedding. A mismatch is one line naming the pair
that disagrees and by how much — the "size mismatch" users meet at load or LoRA-merge time.
"""

from __future__ import annotations

from typing import Any

from langtransfer.errors import UserError

SPECIAL_IDS = ("pad_token_id", "bos_token_id", "eos_token_id")


def vocab_sizes(model: Any, tok: Any) -> dict[str, int]:
    """The four sizes: tokenizer, input_rows, head_rows (= input_rows without a head), config."""
    input_rows = int(model.get_input_embeddings().weight.shape[0])
    head = model.get_output_embeddings()
    head_rows = int(head.weight.shape[0]) if head is not None else input_rows
    config = getattr(model.config, "get_text_config", lambda: model.config)()
    return {"tokenizer": len(tok), "input_rows": input_rows, "head_rows": head_rows,
            "config": int(config.vocab_size)}


def check_vocab(model: Any, tok: Any, where: str) -> None:
    """Raise a one-line UserError when tokenizer, embeddings, LM head and config disagree.

    Allowed: rows == config.vocab_size >= len(tok) (padded vocabularies). pad/bos/eos ids of
    the tokenizer and of the model config (when set) must be < rows.

    Args:
        model: a transformers causal LM.
        tok: its tokenizer.
        where: what is being checked (a model folder or run directory), the message's prefix.

    Raises:
        UserError: e.g. "runs/sft: tokenizer has 2514 tokens but the input embedding has
            2000 rows (514 missing): resize the model (train cpt --set tokenizer=...) or use
            its own tokenizer".
    """
    n = vocab_sizes(model, tok)
    rows = n["input_rows"]
    if n["head_rows"] != rows:
        raise UserError(f"{where}: the input embedding has {rows} rows but the LM head has "
                        f"{n['head_rows']} ({_by(n['head_rows'] - rows)}): the model was "
                        "resized on one side only; resize both (resize_token_embeddings)")
    if n["config"] != rows:
        raise UserError(f"{where}: config.vocab_size is {n['config']} but the embeddings have "
                        f"{rows} rows ({_by(rows - n['config'])}): set config.vocab_size to "
                        f"{rows} or re-save the model after resizing")
    if n["tokenizer"] > rows:
        raise UserError(f"{where}: tokenizer has {n['tokenizer']} tokens but the input "
                        f"embedding has {rows} rows ({n['tokenizer'] - rows} missing): resize "
                        "the model (train cpt --set tokenizer=...) or use its own tokenizer")
    _check_special_ids(model, tok, rows, where)


def _by(diff: int) -> str:
    return f"{diff} more" if diff > 0 else f"{-diff} fewer"


def _check_special_ids(model: Any, tok: Any, rows: int, where: str) -> None:
    config = getattr(model.config, "get_text_config", lambda: model.config)()
    for owner, source in (("tokenizer", tok), ("config", config)):
        for name in SPECIAL_IDS:
            value = getattr(source, name, None)
            for token_id in value if isinstance(value, (list, tuple)) else [value]:
                if token_id is not None and not 0 <= int(token_id) < rows:
                    raise UserError(f"{where}: the {owner}'s {name} {token_id} is outside the "
                                    f"embedding's {rows} rows (valid ids: 0..{rows - 1})")


def check_extends(old_tok: Any, new_tok: Any, where: str) -> None:
    """Raise unless `new_tok` keeps every id of `old_tok` (an extension appends, never moves).

    A model's rows are indexed by its tokenizer's ids, so training with another tokenizer is
    only meaningful when each old piece keeps its id.

    Args:
        old_tok: the model's own tokenizer.
        new_tok: the tokenizer to train with instead.
        where: the new tokenizer's folder (message prefix).

    Raises:
        UserError: the new tokenizer is shorter, or an old id holds another piece.
    """
    if len(new_tok) < len(old_tok):
        raise UserError(f"{where}: tokenizer has {len(new_tok)} tokens, fewer than the "
                        f"model's own {len(old_tok)}: not an extension of it")
    old_pieces = old_tok.convert_ids_to_tokens(list(range(len(old_tok))))
    new_pieces = new_tok.convert_ids_to_tokens(list(range(len(old_tok))))
    for i, (old, new) in enumerate(zip(old_pieces, new_pieces)):
        if old != new:
            raise UserError(f"{where}: id {i} is {new!r} here but {old!r} in the model's own "
                            "tokenizer: not an extension of it (extended tokenizers keep "
                            "every original id)")
