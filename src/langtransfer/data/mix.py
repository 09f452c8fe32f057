"""Budgets and mixtures: how much each source gives, drawn reproducibly, and what was realised.

Exercised by `langtransfer train cpt` (budget `tokens:` or `samples:`) and `langtransfer train
sft` (`examples:`), and tests/unit/data/test_data_mix.py.

A stage budget B is tokens or documents (CPT) or examples (SFT). A source with `samples: n`
gives exactly n documents/examples; the sources with `fraction:` share what B leaves, split by
largest remainder so the parts sum to it exactly. Each source draws in its own seeded order
(seed + its index): the first n of a seeded shuffle, so a smaller budget's selection is a
prefix of a larger one's (the paper's nested 10K ⊂ 100K subsets); with repeat, every further
pass is a fresh shuffle. A share larger than the source without repeat is a one-line error.
"""

from __future__ import annotations

import random
from collections import Counter
from typing import Any, Sequence

from langtransfer.data.packing import allocate_budget, take_tokens
from langtransfer.errors import DataError


def take_items(items: Sequence[Any], n: int, *, repeat: bool, seed: int, name: str = "data",
               unit: str = "documents") -> list[Any]:
    """The first `n` items of seeded passes over `items` (a fresh shuffle per pass).

    Args:
        items: documents or examples.
        n: how many to take.
        repeat: allow more than one pass; when False, n > len(items) is a DataError.
        seed: seed of the order.
        name: the source (for messages).
        unit: what an item is ("documents", "examples"), for messages.

    Returns:
        n items; for the same seed, a smaller n gives a prefix of a larger n's.
    """
    if n > 0 and not items:
        raise DataError(f"{name}: no {unit} to train on")
    if n > len(items) and not repeat:
        raise DataError(f"{name}: has {len(items)} {unit}, the config asks for {n} (set "
                        "repeat: true to cycle, or lower the budget)")
    rng = random.Random(seed)
    taken: list[Any] = []
    while len(taken) < n:
        order = list(range(len(items)))
        rng.shuffle(order)
        taken.extend(items[i] for i in order[:n - len(taken)])
    return taken


def _source_repeat(src: Any, default: bool) -> bool:
    return default if src.repeat is None else src.repeat


def draw_documents(docs: Sequence[Sequence[Any]], sources: Sequence[Any], *,
                   tokens: int | None, samples: int | None, repeat: bool,
                   seed: int) -> list[list[Any]]:
    """Each source's documents for its share of a CPT budget.

    Args:
        docs: tokenised documents per source (id lists or numpy views).
        sources: the TextSourceConfigs (fraction or samples each).
        tokens: budget in tokens (exact: the last document of a source is cut), or None.
        samples: budget in documents (whole documents), or None; with neither, the budget
            is the sources' samples.
        repeat: the stage's default for sources without their own `repeat`.
        seed: base seed (source i uses seed + i).

    Returns:
        Documents per source.

    Raises:
        DataError: a share exceeds its source without repeat, or the samples sources alone
            exceed a tokens budget.
    """
    parts: list[list[Any]] = [[] for _ in sources]
    for i, src in enumerate(sources):
        if src.samples is not None:
            parts[i] = take_items(docs[i], src.samples, repeat=_source_repeat(src, repeat),
                                  seed=seed + i, name=src.describe())
    shared = [i for i, src in enumerate(sources) if src.fraction is not None]
    if not shared:
        return parts
    fixed_tokens = sum(len(d) for i in range(len(sources)) if i not in shared for d in parts[i])
    fixed_docs = sum(len(parts[i]) for i in range(len(sources)) if i not in shared)
    if tokens is not None:
        budget, fixed, unit = tokens, fixed_tokens, "tokens"
    else:
        budget, fixed, unit = samples or 0, fixed_docs, "documents"
    if budget - fixed <= 0:
        raise DataError(f"the samples sources already give {fixed} {unit} of the budget of "
                        f"{budget} {unit}: nothing is left for the fraction sources")
    left = budget - fixed
    for i, n in zip(shared, allocate_budget([sources[i].fraction for i in shared], left)):
        src = sources[i]
        take = take_tokens if tokens is not None else take_items
        parts[i] = take(docs[i], n, repeat=_source_repeat(src, repeat), seed=seed + i,
                        name=src.describe())
    return parts


def draw_examples(rows: Sequence[Sequence[dict]], sources: Sequence[Any], examples: int,
                  seed: int) -> list[list[dict]]:
    """Each source's examples for its share of an SFT budget (first n of a seeded shuffle).

    Args:
        rows: normalised rows per source.
        sources: the InstructionSourceConfigs.
        examples: the stage budget.
        seed: base seed (source i uses seed + i; a single source therefore draws exactly
            what the pre-mixture stage drew).

    Returns:
        Rows per source.
    """
    fixed = sum(s.samples for s in sources if s.samples is not None)
    shared = [i for i, s in enumerate(sources) if s.fraction is not None]
    amounts = {i: s.samples for i, s in enumerate(sources) if s.samples is not None}
    if shared:
        if examples - fixed <= 0:
            raise DataError(f"the samples sources already give {fixed} of the {examples} "
                            "examples: nothing is left for the fraction sources")
        shares = allocate_budget([sources[i].fraction for i in shared], examples - fixed)
        amounts.update(zip(shared, shares))
    return [take_items(rows[i], amounts[i], repeat=_source_repeat(src, False), seed=seed + i,
                       name=src.describe(), unit="examples")
            for i, src in enumerate(sources)]


def source_record(src: Any) -> dict[str, Any]:
    """The manifest's description of a source (path kept under "path" as before mixtures)."""
    row: dict[str, Any] = {"path": src.describe(), "lang": src.lang, "fraction": src.fraction}
    if src.samples is not None:
        row["samples"] = src.samples
    return row


def realised_documents(sources: Sequence[Any], parts: Sequence[Sequence[Any]]
                       ) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Documents and tokens actually drawn per source, and tokens per language."""
    by_source = [{**source_record(src), "documents": len(part),
                  "tokens": int(sum(len(d) for d in part))}
                 for src, part in zip(sources, parts)]
    by_lang: Counter[str] = Counter()
    for row in by_source:
        by_lang[row["lang"]] += row["tokens"]
    return by_source, dict(by_lang)


def realised_examples(sources: Sequence[Any], counts: Sequence[dict[str, int]]
                      ) -> tuple[list[dict[str, Any]], dict[str, dict[str, int]]]:
    """Examples and tokens per source and per language (counts: per source {"examples",
    "tokens", "response_tokens"})."""
    by_source = [{**source_record(src), **count} for src, count in zip(sources, counts)]
    by_lang: dict[str, Counter[str]] = {}
    for row in by_source:
        lang = by_lang.setdefault(row["lang"], Counter())
        for key, value in row.items():
            if key in ("examples", "tokens", "response_tokens"):
                lang[key] += value
    return by_source, {k: dict(v) for k, v in by_lang.items()}


def select_spans(lengths: Sequence[int], n_tokens: int, *, repeat: bool, seed: int,
                 name: str = "data") -> list[tuple[int, int]]:
    """(document index, tokens taken) of the documents that fill `n_tokens`, chosen by
    `packing.take_tokens` itself (fed each document as its range of positions in the token
    stream), so the seeded order, the cycling and the cut are the plain path's by construction.
    """
    starts = [0]
    for n in lengths:
        starts.append(starts[-1] + int(n))
    doc_at = {start: i for i, start in enumerate(starts[:-1])}
    spans = take_tokens([range(starts[i], starts[i + 1]) for i in range(len(lengths))], n_tokens,
                        repeat=repeat, seed=seed, name=name)
    return [(doc_at[span[0]], len(span)) for span in spans]


def text_prefix(tok: Any, text: str, n_pieces: int) -> str:
    """The text covered by its first `n_pieces` tokens (no special tokens counted); a cut
    inside one character's byte-fallback pieces moves to that character's start."""
    enc = tok(text, add_special_tokens=False, return_offsets_mapping=True)
    offsets = enc["offset_mapping"]
    return text if n_pieces >= len(offsets) else text[:offsets[n_pieces][0]]


def draw_by_reference(texts: Sequence[str] | Any, ref_docs: Any, train_docs: Any, n_tokens: int,
                      tok: Any, ref_tok: Any, *, repeat: bool, seed: int,
                      name: str = "data") -> tuple[list[Any], int]:
    """A source's share of a budget counted in another tokenizer's tokens (budget_tokenizer).

    The documents are chosen on the reference tokenizer's lengths (select_spans); a whole
    document is the training tokenizer's cached ids, the one cut document is re-encoded from
    its text up to the reference token boundary (without </s>).

    Args:
        texts: the source's documents, or a callable returning an iterator over them (read
            only when a document is cut).
        ref_docs: TokenizedDocs of the source under the reference tokenizer (clm_v1).
        train_docs: TokenizedDocs of the source under the training tokenizer (clm_v1).
        n_tokens: the budget in reference tokens.
        tok: the training tokenizer.
        ref_tok: the reference tokenizer.
        repeat: cycle when the budget exceeds the source.
        seed: seed of the order.
        name: the source (messages).

    Returns:
        (training-token documents, their length in reference tokens).
    """
    from langtransfer.data.transforms import clm_v1

    lengths = ref_docs.lengths()
    spans = select_spans(lengths, n_tokens, repeat=repeat, seed=seed, name=name)
    cut = {i for i, k in spans if k != lengths[i]}
    cut_texts = _texts_at(texts, cut) if cut else {}
    docs, reference = [], 0
    for i, k in spans:
        if k == lengths[i]:
            docs.append(train_docs.doc(i))
            reference += k
            continue
        prefix = text_prefix(ref_tok, cut_texts[i], k - 1)  # <s> + (k - 1) pieces
        docs.append(next(clm_v1(tok, [prefix]))[0][:-1])
        reference += len(next(clm_v1(ref_tok, [prefix]))[0]) - 1
    return docs, reference


def _texts_at(texts: Any, wanted: set[int]) -> dict[int, str]:
    if not callable(texts):
        return {i: texts[i] for i in wanted}
    found = {}
    for i, text in enumerate(texts()):
        if i in wanted:
            found[i] = text
            if len(found) == len(wanted):
                break
    return found
