"""Random token-level requests for the scoring-engine tests (a module, not conftest: test
files import it by name, as tests/unit/train/train_corpus.py)."""

from __future__ import annotations

import random


def random_token_pairs(vocab: int, seed: int, contexts: int, max_context: int,
                       max_options: int) -> list[tuple[list[int], list[int]]]:
    """(context, continuation) token pairs: `contexts` random contexts of 1..max_context
    tokens, each with 1..max_options continuations of 1..6 tokens (ids 3.. avoid specials)."""
    rng = random.Random(seed)
    pairs = []
    for _ in range(contexts):
        ctx = [rng.randrange(3, vocab) for _ in range(rng.randint(1, max_context))]
        pairs += [(ctx, [rng.randrange(3, vocab) for _ in range(rng.randint(1, 6))])
                  for _ in range(rng.randint(1, max_options))]
    return pairs
