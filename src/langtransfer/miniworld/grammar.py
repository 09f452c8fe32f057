"""MiniWorld's closed sentence grammar: is a sentence one of the renderer's templates, filled?

MiniWorld text is a closed language: every sentence it ever writes (pretraining documents,
instruction answers, questions, references) is a template of `render/<lang>.py` with each slot
filled by a lexicon entry. A sentence is *grammatical* when it fully matches some template of the
language with every slot filled by a value of the slot's kind:

- names (person, city, country, company) in any written form: Latin or any language's native
  form, a person's full or family name (found by the judge's name matcher and replaced by a
  per-kind marker before matching, so the per-language regex stays small);
- occupations and hobbies as written in that language (English `{a_occ}` with its article, as
  the renderer's `slots` hook makes it); profile attribute lists of 1-5 attribute names joined
  by the language's list joiner; years as four digits (ASCII or the language's own).

The judge's fluency uses it (docs/miniworld.md, "Fluency"). Exercised by
`langtransfer eval` (task `quality`) and tests/unit/miniworld/test_miniworld_grammar.py.
"""

from __future__ import annotations

import itertools
import re
from functools import lru_cache
from typing import Iterable

from langtransfer.miniworld.render import Renderer, all_templates, get_renderer
from langtransfer.miniworld.world import ATTRIBUTES

NAME_MARKS = {"person": "\ue000", "city": "\ue001", "country": "\ue002", "company": "\ue003"}
"""Private-use characters that stand for a found name of each kind in a sentence skeleton."""
SLOT_KINDS = {
    "person": "person", "a": "person", "b": "person", "older": "person", "younger": "person",
    "city": "city", "country": "country", "company": "company",
    "year": "year", "y_old": "year", "y_young": "year",
    "occ": "occupation", "hobby": "hobby", "attrs": "attrs",
}
"""Kind of every template slot. Slots the renderer's `slots` hook derives (English {a_occ})
are found by calling the hook on each vocabulary value (`_slot_values`)."""
YEAR_PATTERN = "(?:[0-9]{{4}}|[{digits}]{{4}})"
"""Four ASCII digits or four of the language's own digits (`Renderer.digits`)."""
SLOT_RE = re.compile(r"\{([a-z_]+)\}")


class Grammar:
    """The sentence grammar of one language (regexes compiled once per language and cached)."""

    def __init__(self, lang: str):
        """Build (or fetch from the cache) the grammar of `lang`.

        Args:
            lang: a language with a renderer.
        """
        self.lang = lang
        self.r = get_renderer(lang)
        self.rx = compile_grammar(lang)

    def parse(self, text: str, names: Iterable[tuple[str, int, int]]) -> list[tuple[str, bool]]:
        """Split `text` into sentences and say which are grammatical.

        Args:
            text: the text (one response or one document).
            names: (kind, start, end) of every name found in `text` (non-overlapping; kinds as
                in NAME_MARKS; other kinds are ignored).

        Returns:
            [(sentence skeleton with names shown as {person}/{city}/..., grammatical?)], one per
            non-empty sentence. Only the last sentence may lack final punctuation: it is matched
            as if it had one (a cut-off end is the punctuation check's business).
        """
        skeleton = name_skeleton(text, names)
        spans = [(s, e) for s, e in sentence_spans(skeleton, self.r.final_punct)
                 if skeleton[s:e].strip()]
        out = []
        for i, (start, end) in enumerate(spans):
            sentence = skeleton[start:end].strip()
            ok = self.rx.fullmatch(sentence) is not None
            if not ok and i == len(spans) - 1 and sentence[-1] not in self.r.final_punct:
                ok = any(self.rx.fullmatch(sentence + p) for p in self.r.final_punct)
            out.append((show_marks(sentence), ok))
        return out


@lru_cache(maxsize=None)
def compile_grammar(lang: str) -> re.Pattern:
    """One regex matching exactly the grammatical sentence skeletons of `lang` (cached)."""
    r = get_renderer(lang)
    values = _slot_values(r)
    patterns = [sentence_pattern(s, values) for t in all_templates(r)
                for s in split_template(t, r.final_punct)]
    return re.compile("|".join(f"(?:{p})" for p in dict.fromkeys(patterns)))


def split_template(template: str, final_punct: str) -> list[str]:
    """The sentences of a template (the compare answer has two), stripped."""
    return [template[s:e].strip() for s, e in sentence_spans(template, final_punct)
            if template[s:e].strip()]


def sentence_pattern(sentence: str, values: dict[str, list[str] | str]) -> str:
    """Regex source for one template sentence. Like `Renderer.fill`, the first character is
    upper-cased (a literal, or the first letter of a vocabulary value)."""
    out: list[str] = []
    for i, part in enumerate(SLOT_RE.split(sentence)):
        if i % 2 == 0:  # literal text
            lit = part[:1].upper() + part[1:] if not out else part
            if lit:
                out.append(re.escape(lit))
            continue
        if part not in values:
            raise ValueError(f"template slot {{{part}}} has no kind in grammar.SLOT_KINDS")
        slot = values[part]
        if isinstance(slot, str):  # a name marker or the year pattern
            out.append(slot)
            continue
        words = [w[:1].upper() + w[1:] for w in slot] if not out else slot
        out.append(_alternation(words))
    return "".join(out)


def _slot_values(r: Renderer) -> dict[str, list[str] | str]:
    """Slot -> its finite list of strings, or a regex source (name marker, year)."""
    vocab = {"occupation": list(r.occupations.values()), "hobby": list(r.hobbies.values()),
             "attrs": _attr_lists(r)}
    values: dict[str, list[str] | str] = {}
    for slot, kind in SLOT_KINDS.items():
        if kind in NAME_MARKS:
            values[slot] = re.escape(NAME_MARKS[kind])
        elif kind == "year":
            values[slot] = YEAR_PATTERN.format(digits=re.escape(r.digits))
        else:
            values[slot] = vocab[kind]
    for slot in ("occ", "hobby"):  # slots the language's hook derives from a value
        for word in vocab[SLOT_KINDS[slot]]:
            for extra, text in r.slots({slot: word}).items():
                if extra != slot:
                    values.setdefault(extra, []).append(text)  # type: ignore[union-attr]
    return values


def _attr_lists(r: Renderer) -> list[str]:
    """Every list of 1-5 distinct attribute names, in any order, as the language joins them."""
    names = [r.attr_names[a] for a in ATTRIBUTES]
    return [r.list_join(list(p)) for k in range(1, len(names) + 1)
            for p in itertools.permutations(names, k)]


def _alternation(words: list[str]) -> str:
    ordered = sorted(set(words), key=lambda w: (-len(w), w))
    return "(?:" + "|".join(re.escape(w) for w in ordered) + ")"


def name_skeleton(text: str, names: Iterable[tuple[str, int, int]]) -> str:
    """`text` with every name span replaced by its kind's marker character."""
    out, pos = [], 0
    found = sorted((n for n in names if n[0] in NAME_MARKS), key=lambda n: n[1])
    for kind, start, end in found:
        if start < pos:  # overlapping spans cannot come from one matcher; keep the first
            continue
        out += [text[pos:start], NAME_MARKS[kind]]
        pos = end
    out.append(text[pos:])
    return "".join(out)


def show_marks(skeleton: str) -> str:
    """A skeleton with its markers written as {person}, {city}, ... (for reasons and tests)."""
    for kind, mark in NAME_MARKS.items():
        skeleton = skeleton.replace(mark, "{" + kind + "}")
    return skeleton


def sentence_spans(text: str, final_punct: str) -> list[tuple[int, int]]:
    """Character spans of sentences (split after final punctuation or newlines)."""
    spans, start = [], 0
    for i, ch in enumerate(text):
        if ch in final_punct or ch == "\n":
            spans.append((start, i + 1))
            start = i + 1
    if start < len(text):
        spans.append((start, len(text)))
    return spans
