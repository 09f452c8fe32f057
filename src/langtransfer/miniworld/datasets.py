"""MiniWorld's per-language data: the rendering view, instructions, knowledge multiple choice and
open questions (the text corpora are in `corpus.py`).

Selection (which people, which facts, which options) is language-independent and seeded, so the
English and Chinese files ask the same things; only the wording is drawn per language. Exercised
by `langtransfer miniworld generate --out runs/world`.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

from langtransfer.miniworld.config import WorldConfig
from langtransfer.miniworld.render import VALUE_SLOTS, Renderer, get_renderer, lexicon
from langtransfer.miniworld.world import (
    ATTRIBUTE_KIND, ATTRIBUTES, HOBBIES, OCCUPATIONS, City, Company, Person, World, rng_for,
)

INSTRUCTION_MIX = {"fact": 0.45, "profile": 0.2, "compare": 0.15, "rewrite": 0.15, "place": 0.05}
"""Kinds of instructions and their shares (fact questions dominate, as in the open questions)."""
OPEN_MIX = {"fact": 0.5, "profile": 0.25, "compare": 0.25}
"""Categories of open questions and their shares within each group."""
PROFILE_ATTRS = 3
"""Attributes asked in an open-eval profile question (fits the 64-token generation cap)."""
LETTERS = "ABCD"


@dataclass(frozen=True)
class Sentence:
    """One planned sentence: which facts it states about which subject."""

    facts: tuple[str, ...]
    subject: str
    full_name: bool = True


@dataclass
class View:
    """A world seen in one language: its renderer and lexicon."""

    world: World
    lang: str

    def __post_init__(self) -> None:
        self.r: Renderer = get_renderer(self.lang)
        self.lex = lexicon(self.world, self.lang)

    def values(self, entity_id: str, full_name: bool = True) -> dict[str, str]:
        """Slot values of a person, city or company."""
        e = self.world.by_id[entity_id]
        lex = self.lex
        if isinstance(e, Person):
            return {
                "person": lex["person" if full_name else "person_short"][e.id],
                "year": self.r.number(e.birth_year), "city": lex["city"][e.birth_city],
                "occ": lex["occupation"][e.occupation], "company": lex["company"][e.employer],
                "hobby": lex["hobby"][e.hobby],
            }
        if isinstance(e, City):
            return {"city": lex["city"][e.id], "country": lex["country"][e.country]}
        assert isinstance(e, Company)
        return {"company": lex["company"][e.id], "city": lex["city"][e.city]}

    def sentence(self, s: Sentence, rng: random.Random) -> str:
        """Render one planned sentence (two facts without a combined template become two)."""
        values = self.values(s.subject, s.full_name)
        key = s.facts if s.facts in self.r.combos else s.facts[::-1]
        if len(s.facts) == 2 and key in self.r.combos:
            return self.r.fill(rng.choice(self.r.combos[key]), values)
        parts = [self.r.fill(rng.choice(self.r.facts[f]), values) for f in s.facts]
        return self.r.sentence_sep.join(parts)

    def document(self, plan: list[Sentence], rng: random.Random) -> str:
        """Render a planned document."""
        return self.r.sentence_sep.join(self.sentence(s, rng) for s in plan)

    def value_text(self, attribute: str, value: Any, slot: str | None = None) -> str:
        """An attribute value as text (`slot` picks a variant such as English a_occ)."""
        if attribute == "birth_year":
            return self.r.number(value)
        kind = ATTRIBUTE_KIND[attribute]
        text = self.lex[kind][value]
        if slot is None:
            return text
        return self.r.slots({VALUE_SLOTS[attribute][0]: text})[slot]


# ---------------------------------------------------------------- instructions (SFT)

def instruction_specs(world: World, cfg: WorldConfig) -> list[dict[str, Any]]:
    """Language-independent instruction specs about the instruction groups, in seeded order.

    Draws kinds by INSTRUCTION_MIX until `n_instructions` distinct specs exist (or the world
    runs out of distinct ones).
    """
    rng = rng_for(cfg.seed, "instructions")
    people = [p for g in cfg.instruction_groups for p in world.group(g)]
    if not people or cfg.n_instructions == 0:
        return []
    kinds, weights = list(INSTRUCTION_MIX), list(INSTRUCTION_MIX.values())
    specs: dict[str, dict[str, Any]] = {}
    for _ in range(50 * cfg.n_instructions):
        spec = _draw_instruction(rng.choices(kinds, weights)[0], people, world, rng)
        if spec is not None:
            specs.setdefault(repr(sorted(spec.items())), spec)
        if len(specs) == cfg.n_instructions:
            break
    return list(specs.values())


def _draw_instruction(kind: str, people: list[Person], world: World,
                      rng: random.Random) -> dict[str, Any] | None:
    p = rng.choice(people)
    variant = rng.randrange(3)
    if kind == "fact":
        return {"kind": kind, "person": p.id, "attr": rng.choice(ATTRIBUTES), "variant": variant}
    if kind == "profile":
        chosen = rng.sample(ATTRIBUTES, rng.randint(2, len(ATTRIBUTES)))
        attrs = [a for a in ATTRIBUTES if a in chosen]
        return {"kind": kind, "person": p.id, "attrs": attrs, "variant": variant}
    if kind == "compare":
        q = rng.choice(people)
        if q.birth_year == p.birth_year:
            return None
        return {"kind": kind, "people": [p.id, q.id], "variant": variant}
    if kind == "rewrite":
        src, dst = rng.sample(range(5), 2)
        return {"kind": kind, "person": p.id, "attr": rng.choice(ATTRIBUTES), "src": src,
                "dst": dst, "variant": variant}
    fact = rng.choice(("city_country", "company_city"))
    pool = world.cities if fact == "city_country" else world.companies
    return {"kind": "place", "fact": fact, "entity": rng.choice(pool).id, "variant": variant}


def render_instruction(view: View, spec: dict[str, Any]) -> dict[str, str]:
    """One Alpaca record {instruction, input, output} in the view's language."""
    r, kind, v = view.r, spec["kind"], spec["variant"]
    if kind == "fact":
        q = _pick(r.questions[spec["attr"]], v)
        return _alpaca(r.fill(q, view.values(spec["person"])),
                       answer_sentences(view, spec["person"], [spec["attr"]]))
    if kind == "profile":
        return _alpaca(profile_question(view, spec["person"], spec["attrs"], v),
                       answer_sentences(view, spec["person"], spec["attrs"]))
    if kind == "compare":
        a, b = spec["people"]
        q = r.fill(_pick(r.compare_questions, v), {"a": view.lex["person"][a],
                                                   "b": view.lex["person"][b]})
        return _alpaca(q, compare_answer(view, a, b))
    if kind == "rewrite":
        templates = r.facts[spec["attr"]]
        src, dst = spec["src"] % len(templates), spec["dst"] % len(templates)
        if dst == src:  # a language with fewer templates than the spec's indices
            dst = (src + 1) % len(templates)
        values = view.values(spec["person"])
        return _alpaca(_pick(r.rewrite_instructions, v), r.fill(templates[dst], values),
                       r.fill(templates[src], values))
    values = view.values(spec["entity"])
    return _alpaca(r.fill(_pick(r.questions[spec["fact"]], v), values),
                   r.fill(r.facts[spec["fact"]][0], values))


def _alpaca(instruction: str, output: str, input: str = "") -> dict[str, str]:
    return {"instruction": instruction, "input": input, "output": output}


def _pick(options: tuple[str, ...], index: int) -> str:
    return options[index % len(options)]


def answer_sentences(view: View, person_id: str, attrs: list[str]) -> str:
    """Canonical full-sentence answer: full name first, the family name after; adjacent
    attributes with a combined template (born in X in 1978) share a sentence."""
    r = view.r
    sentences: list[str] = []
    i = 0
    while i < len(attrs):
        values = view.values(person_id, full_name=not sentences)
        pair = tuple(attrs[i:i + 2])
        if len(pair) == 2 and pair in r.combos:
            sentences.append(r.fill(r.combos[pair][0], values))
            i += 2
        else:
            sentences.append(r.fill(r.facts[attrs[i]][0], values))
            i += 1
    return r.sentence_sep.join(sentences)


def profile_question(view: View, person_id: str, attrs: list[str], variant: int) -> str:
    """Ask for several attributes (or, for all five, for everything)."""
    r, name = view.r, view.lex["person"][person_id]
    if len(attrs) == len(ATTRIBUTES):
        return r.fill(_pick(r.profile_all_questions, variant), {"person": name})
    listed = r.list_join([r.attr_names[a] for a in attrs])
    return r.fill(_pick(r.profile_questions, variant), {"person": name, "attrs": listed})


def compare_answer(view: View, a: str, b: str) -> str:
    """Conclusion first, then both birth years."""
    pa, pb = view.world.by_id[a], view.world.by_id[b]
    older, younger = (pa, pb) if pa.birth_year < pb.birth_year else (pb, pa)
    return view.r.fill(view.r.compare_answer, {
        "older": view.lex["person"][older.id], "younger": view.lex["person"][younger.id],
        "y_old": view.r.number(older.birth_year), "y_young": view.r.number(younger.birth_year),
    })


# ---------------------------------------------------------------- knowledge multiple choice

def knowledge_specs(world: World, cfg: WorldConfig, groups: list[str],
                    name: str) -> list[dict[str, Any]]:
    """Four-option items (person, attribute, options, answer letter), language-independent.

    At most `n_knowledge` items, split evenly over `groups` and balanced over attributes within
    a group; answer letters are a shuffled balanced sequence (each letter n/4 times, +-1).
    """
    rng = rng_for(cfg.seed, "knowledge", name)
    picks: list[tuple[Person, str]] = []
    for gi, group in enumerate(groups):
        n = cfg.n_knowledge // len(groups) + (gi < cfg.n_knowledge % len(groups))
        picks += _balanced_picks(world.group(group), n, rng)
    rng.shuffle(picks)
    letters = [LETTERS[i % 4] for i in range(len(picks))]
    rng.shuffle(letters)
    specs = []
    for (person, attr), letter in zip(picks, letters):
        options = _distractors(world, cfg, person, attr, rng)
        options.insert(LETTERS.index(letter), person.value(attr))
        specs.append({"person": person.id, "group": person.group, "attribute": attr,
                      "options": options, "answer": letter})
    return specs


def _balanced_picks(people: list[Person], n: int,
                    rng: random.Random) -> list[tuple[Person, str]]:
    """Up to n (person, attribute) pairs, round-robin over attributes, no pair twice."""
    queues = {a: rng.sample(people, len(people)) for a in ATTRIBUTES}
    picks: list[tuple[Person, str]] = []
    while len(picks) < n and any(queues.values()):
        for a in ATTRIBUTES:
            if queues[a] and len(picks) < n:
                picks.append((queues[a].pop(), a))
    return picks


def _distractors(world: World, cfg: WorldConfig, person: Person, attr: str,
                 rng: random.Random) -> list[Any]:
    """Three other values of the attribute. Named values (cities, companies) prefer values with
    the answer's name forms, so the script of an option does not give the answer away."""
    truth = person.value(attr)
    if attr == "birth_year":
        years = [y for y in range(cfg.birth_year_min, cfg.birth_year_max + 1) if y != truth]
        return rng.sample(years, 3)
    if attr in ("occupation", "hobby"):
        pool = [v for v in (OCCUPATIONS if attr == "occupation" else HOBBIES) if v != truth]
        return rng.sample(pool, 3)
    entities = world.cities if attr == "birth_city" else world.companies
    forms = world.by_id[truth].name_form
    same = [e.id for e in entities if e.id != truth and e.name_form == forms]
    pool = same if len(same) >= 3 else [e.id for e in entities if e.id != truth]
    return rng.sample(pool, 3)


def render_knowledge(view: View, specs: list[dict[str, Any]], prefix: str,
                     file: str) -> tuple[list[list[str]], list[dict[str, Any]]]:
    """CSV rows (id, question, A, B, C, D, answer) and knowledge_meta records."""
    rows, meta = [], []
    for i, spec in enumerate(specs):
        template, slot = view.r.cloze(spec["attribute"])
        person = view.world.by_id[spec["person"]]
        question = view.r.fill(template, {"person": view.lex["person"][person.id]})
        options = [view.value_text(spec["attribute"], v, slot) for v in spec["options"]]
        item_id = f"{view.lang}-{prefix}-{i:06d}"
        rows.append([item_id, question, *options, spec["answer"]])
        truth = person.value(spec["attribute"])
        meta.append({
            "id": item_id, "file": file, "group": spec["group"],
            "attribute": spec["attribute"], "name_form": person.name_form[view.lang],
            "person": person.id, "answer_form": _value_form(view, spec["attribute"], truth),
        })
    return rows, meta


def _value_form(view: View, attribute: str, value: Any) -> str:
    """Name form of a named value (city, company) in this language; `none` otherwise."""
    if attribute in ("birth_city", "employer"):
        return view.world.by_id[value].name_form[view.lang]
    return "none"


# ---------------------------------------------------------------- open questions (judge)

def open_eval_specs(world: World, cfg: WorldConfig) -> list[dict[str, Any]]:
    """Open questions about the open-eval groups: n_open_eval split evenly over the groups,
    each split by OPEN_MIX into fact / profile / compare questions."""
    rng = rng_for(cfg.seed, "open_eval")
    groups = cfg.open_eval_groups
    specs = []
    for gi, group in enumerate(groups):
        n = cfg.n_open_eval // len(groups) + (gi < cfg.n_open_eval % len(groups))
        people = rng.sample(world.group(group), len(world.group(group)))
        if len(people) < 2:
            continue
        counts = _split(n, OPEN_MIX)
        for j in range(n):
            p = people[j % len(people)]
            category = "fact" if j < counts["fact"] else (
                "profile" if j < counts["fact"] + counts["profile"] else "compare")
            spec = {"category": category, "group": group, "person": p.id,
                    "variant": rng.randrange(3)}
            if category == "fact":
                spec["attrs"] = [ATTRIBUTES[j % len(ATTRIBUTES)]]
            elif category == "profile":
                chosen = rng.sample(ATTRIBUTES, PROFILE_ATTRS)
                spec["attrs"] = [a for a in ATTRIBUTES if a in chosen]
            else:
                others = [q for q in people if q.birth_year != p.birth_year]
                if not others:  # everyone born the same year: nothing to compare
                    continue
                spec["people"] = [p.id, rng.choice(others).id]
            specs.append(spec)
    return specs


def _split(n: int, mix: dict[str, float]) -> dict[str, int]:
    """Integer counts per key summing to n (floor, then the rest to the first keys)."""
    counts = {k: math.floor(n * s) for k, s in mix.items()}
    for k in list(mix)[: n - sum(counts.values())]:
        counts[k] += 1
    return counts


def render_open_eval(view: View, specs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """open_eval.jsonl rows: question, reference answer and the facts it must state."""
    rows = []
    for i, spec in enumerate(specs):
        r, v = view.r, spec["variant"]
        if spec["category"] == "compare":
            a, b = spec["people"]
            question = r.fill(_pick(r.compare_questions, v), {"a": view.lex["person"][a],
                                                              "b": view.lex["person"][b]})
            reference = compare_answer(view, a, b)
            facts = [_fact(view, pid, "birth_year") for pid in (a, b)]
        else:
            pid, attrs = spec["person"], spec["attrs"]
            if spec["category"] == "fact":
                question = r.fill(_pick(r.questions[attrs[0]], v), view.values(pid))
            else:
                question = profile_question(view, pid, attrs, v)
            reference = answer_sentences(view, pid, attrs)
            facts = [_fact(view, pid, a) for a in attrs]
        rows.append({"id": f"{view.lang}-open-{i:06d}", "lang": view.lang,
                     "category": spec["category"], "group": spec["group"],
                     "question": question, "reference": reference, "facts": facts})
    return rows


def _fact(view: View, person_id: str, attribute: str) -> dict[str, Any]:
    value = view.world.by_id[person_id].value(attribute)
    return {"person": person_id, "attribute": attribute,
            "value": view.value_text(attribute, value), "value_id": value}
