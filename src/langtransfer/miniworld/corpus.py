"""MiniWorld's text corpora: pretraining documents, held-out documents and the base corpus.

A document is a few sentences about one entity (a person's five facts, or a city / company with
its place facts), rendered with varied templates. `heldout.txt` is drawn from the same process as
`pretrain.txt` with its own stream and never repeats a training document; `heldout_unseen.txt`
describes people nobody has seen. Exercised by `langtransfer miniworld generate --out runs/world`.
"""

from __future__ import annotations

import random

from langtransfer.miniworld.config import WorldConfig
from langtransfer.miniworld.datasets import Sentence, View
from langtransfer.miniworld.render import PARALLEL_SEP
from langtransfer.miniworld.world import ATTRIBUTES, HELDOUT_GROUP, Person, World, rng_for

COMBO_P = 0.35
"""Chance that two adjacent facts with a combined template share one sentence (variety)."""
SURNAME_P = 0.5
"""Chance that a later sentence of a person document names the person by family name alone."""
HELDOUT_TRIES = 20
"""Renderings of one drawn entity tried before another entity is drawn: a company document has
only 4 x 4 renderings, and `place_mentions` of them are already in pretraining text."""
HELDOUT_DRAWS = 50
"""At most this many entity draws per wanted held-out document (a tiny world may run out of
fresh documents; the file then holds fewer, and the manifest says how many)."""

def person_plan(person: Person, rng: random.Random) -> list[Sentence]:
    """Every fact of a person once, in random order, adjacent pairs sometimes combined."""
    order = list(ATTRIBUTES)
    rng.shuffle(order)
    plan: list[Sentence] = []
    i = 0
    while i < len(order):
        take = 2 if i + 1 < len(order) and rng.random() < COMBO_P else 1
        full = not plan or rng.random() >= SURNAME_P
        plan.append(Sentence(tuple(order[i:i + take]), person.id, full))
        i += take
    return plan


def place_plans(world: World) -> list[list[Sentence]]:
    """A document per city (its country + the companies based there) and per company."""
    plans = []
    for city in world.cities:
        based = [c for c in world.companies if c.city == city.id]
        plans.append([Sentence(("city_country",), city.id)]
                     + [Sentence(("company_city",), c.id) for c in based])
    for company in world.companies:
        plans.append([Sentence(("company_city",), company.id),
                      Sentence(("city_country",), company.city)])
    return plans


def pretrain_documents(world: World, cfg: WorldConfig, lang: str) -> list[str]:
    """One language's pretraining documents (shuffled), some as `target ||| English` pairs.

    People appear only if their group is described in `lang`; each person gets
    `mentions_per_fact` documents, each place `place_mentions`.
    """
    view = View(world, lang)
    rng = rng_for(cfg.seed, "pretrain", lang)
    plans: list[tuple[list[Sentence], bool]] = []  # (plan, English also describes it)
    for p in visible_people(world, cfg, lang):
        in_en = "en" in cfg.visible_langs(p.group)
        plans += [(person_plan(p, rng), in_en) for _ in range(cfg.mentions_per_fact)]
    for plan in place_plans(world):
        plans += [(plan, True) for _ in range(cfg.place_mentions)]
    rng.shuffle(plans)
    docs = [view.document(plan, rng) for plan, _ in plans]
    if lang != "en" and cfg.parallel_share > 0:
        _add_translations(world, cfg, lang, plans, docs)
    return docs


def _add_translations(world: World, cfg: WorldConfig, lang: str,
                      plans: list[tuple[list[Sentence], bool]], docs: list[str]) -> None:
    """Turn round(parallel_share * n) documents into `target ||| English` pairs, in place.

    Only documents about entities described in English too qualify: a translation of a
    target-only person's document would leak that person into English.
    """
    rng = rng_for(cfg.seed, "parallel", lang)
    eligible = [i for i, (_, in_en) in enumerate(plans) if in_en]
    k = min(len(eligible), round(cfg.parallel_share * len(docs)))
    english = View(world, "en")
    for i in sorted(rng.sample(eligible, k)):
        docs[i] = docs[i] + PARALLEL_SEP + english.document(plans[i][0], rng)


def visible_people(world: World, cfg: WorldConfig, lang: str) -> list[Person]:
    """People whose group is described in `lang`, in id order (never the held-out pool)."""
    return [p for p in world.people
            if p.group != HELDOUT_GROUP and lang in cfg.visible_langs(p.group)]


def heldout_documents(world: World, cfg: WorldConfig, lang: str,
                      exclude: set[str]) -> tuple[list[str], int]:
    """`n_heldout` fresh in-distribution documents of `lang`, and how many drawn renderings
    were rejected as duplicates.

    The generating process of `pretrain_documents`: entities drawn with pretraining's weights
    (each visible person counts `mentions_per_fact` times, each place plan `place_mentions`
    times), a fresh person plan (fact order, combined pairs, family-name mentions) and fresh
    template choices, all from the stream "heldout_seen". A rendering equal to a document in
    `exclude` (every pretraining document of every language, both halves of parallel pairs) or
    to an earlier held-out document is redrawn. No parallel pairs: the file measures one
    language.
    """
    view = View(world, lang)
    rng = rng_for(cfg.seed, "heldout_seen", lang)
    sources: list[Person | list[Sentence]] = [
        p for p in visible_people(world, cfg, lang) for _ in range(cfg.mentions_per_fact)]
    sources += [plan for plan in place_plans(world) for _ in range(cfg.place_mentions)]
    docs: list[str] = []
    seen, rejected = set(exclude), 0
    for _ in range(HELDOUT_DRAWS * cfg.n_heldout):
        if len(docs) == cfg.n_heldout:
            break
        source = rng.choice(sources)
        for _ in range(HELDOUT_TRIES):
            plan = person_plan(source, rng) if isinstance(source, Person) else source
            doc = view.document(plan, rng)
            if doc not in seen:
                seen.add(doc)
                docs.append(doc)
                break
            rejected += 1
    return docs, rejected


def training_documents(docs: list[str]) -> set[str]:
    """Every document a model may train on in these lines: each line, and each half of a
    `target ||| English` pair (what held-out text must never repeat)."""
    return {part for line in docs for part in (line, *line.split(PARALLEL_SEP))}


def unseen_documents(world: World, cfg: WorldConfig, lang: str) -> list[str]:
    """`n_heldout` documents about the held-out people (cycled): text about people no training
    file, question or instruction mentions (heldout_unseen.txt)."""
    view = View(world, lang)
    rng = rng_for(cfg.seed, "heldout", lang)
    people = world.group(HELDOUT_GROUP)
    return [view.document(person_plan(people[i % len(people)], rng), rng)
            for i in range(cfg.n_heldout)]


def base_documents(cfg: WorldConfig, english: list[str],
                   target: dict[str, list[str]]) -> tuple[list[str], dict[str, int]]:
    """The base corpus: all English documents plus, per target language, its documents sampled
    (cycling if needed) until they make `target_share_in_base` of all characters; shuffled.

    Returns the documents and the realised characters per language.
    """
    rng = rng_for(cfg.seed, "base")
    chars = {"en": sum(len(d) for d in english)}
    share = cfg.target_share_in_base
    total = chars["en"] / (1 - share * len(target)) if target else chars["en"]
    docs = list(english)
    for lang, pool in target.items():
        order = list(range(len(pool)))
        rng.shuffle(order)
        wanted, got, i = share * total, 0, 0
        while pool and got < wanted:
            doc = pool[order[i % len(pool)]]
            docs.append(doc)
            got += len(doc)
            i += 1
        chars[lang] = got
    rng.shuffle(docs)
    return docs, chars

