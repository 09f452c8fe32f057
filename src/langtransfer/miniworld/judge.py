"""The deterministic MiniWorld judge: five dimensions scored 0-3 against ground-truth facts.

The paper (Zhao et al. 2024) had GPT-4 rate accuracy, fluency, informativeness, logicality and
harmlessness 0-3 each; here exact rules over the world's lexicon play that role, so scores are
reproducible and cannot drift. Every rule is in docs/miniworld.md ("The judge"); fluency's
grammaticality check is `miniworld/grammar.py`.

    judge = MiniWorldJudge("runs/world", "zh")
    judge.score(item, response)   # item = one row of runs/world/zh/open_eval.jsonl

Exercised by `langtransfer eval` (task `quality`) and tests/unit/miniworld/test_miniworld_judge.py.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langtransfer.errors import DataError, UserError
from langtransfer.langs import get_lang
from langtransfer.miniworld.grammar import Grammar, sentence_spans
from langtransfer.miniworld.render import all_name_forms, get_renderer, surname_entity
from langtransfer.miniworld.world import ATTRIBUTE_KIND, World
from langtransfer.text.normalize import normalize
from langtransfer.text.words import WORD

DIMENSIONS = ("accuracy", "fluency", "informativeness", "logicality", "harmlessness")
SCRIPT_OK = 0.9
"""Share of letter units in the language's script for full fluency credit."""
SCRIPT_MIN = 0.5
"""Below this share the answer is in the wrong script: fluency 0."""
REPEAT_N = 8
"""An n-gram of this many units occurring twice marks a degenerate repetition loop (no
reference answer repeats more than 4 units)."""
LENGTH_RATIO = 3.0
"""Acceptable length: between reference/3 and reference*3 units."""
YEAR_RE = re.compile(r"(?<!\d)\d{4}(?!\d)")
"""Four decimal digits of any script (ASCII 1978, Devanagari १९७८, Arabic-Indic ١٩٧٨, ...);
`_mentions` keeps those read as 1800-2099 (YEAR_RANGE)."""
YEAR_RANGE = range(1800, 2100)
HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
UNIT_RE = re.compile(rf"[{HAN}]|\d+|(?![{HAN}]){WORD}")
"""Units: one Han character, a digit run, or a word of any other script with its combining
marks (Indic vowel signs and viramas, Arabic harakat are part of the word: `text/words.py`)."""
SCRIPT_PREFIX = {
    "Latn": "LATIN", "Arab": "ARABIC", "Deva": "DEVANAGARI", "Beng": "BENGALI",
    "Gujr": "GUJARATI", "Mlym": "MALAYALAM", "Taml": "TAMIL", "Telu": "TELUGU",
    "Hans": "CJK UNIFIED", "Hant": "CJK UNIFIED",
}
"""Unicode character-name prefix of each script's letters."""
NAMED_KINDS = ("person", "city", "country", "company")


@dataclass(frozen=True)
class Mention:
    """A value found in the response: kind (person, city, ..., year), id, character span."""

    kind: str
    id: Any
    start: int
    end: int


class MiniWorldJudge:
    """Scores responses to open_eval.jsonl items of one language."""

    def __init__(self, world_dir: str | Path, lang: str):
        """Load world.json's ground truth and lexicon and compile the matchers.

        Args:
            world_dir: a MiniWorld directory (output of `miniworld generate`).
            lang: the language of the items and responses.
        """
        path = Path(world_dir) / "world.json"
        if not path.is_file():
            raise UserError(f"{path}: not found (run `miniworld generate` first)")
        data = json.loads(path.read_text(encoding="utf-8"))
        if lang not in data.get("lexicon", {}):
            raise UserError(f"{path}: no lexicon for language '{lang}'")
        self.lang = lang
        self.r = get_renderer(lang)
        self.world = World.from_dict(data)
        self.prefix = SCRIPT_PREFIX.get(get_lang(lang).script, "LATIN")
        self._names = self._compile(self._name_forms(), ignore_case=False)
        vocab = {(k, text): vid for k in ("occupation", "hobby")
                 for vid, text in data["lexicon"][lang][k].items()}
        self._vocab = self._compile(vocab, ignore_case=True)
        self._harm = [(sev, _term_re(t)) for sev, terms in self.r.harm_terms.items()
                      for t in terms]
        self.grammar = Grammar(lang)

    # ------------------------------------------------------------ public API

    def score(self, item: dict, response: str) -> dict[str, Any]:
        """Score one response.

        Args:
            item: one open_eval.jsonl row ({"id", "category", "facts", "reference", ...}).
            response: the model's answer (normalised with `text.normalize` first).

        Returns:
            {"accuracy", "fluency", "informativeness", "logicality", "harmlessness": int 0-3,
             "avg": mean of the five, "avg_no_h": mean of the first four,
             "reasons": {dimension: short explanation}}.
        """
        self._check_item(item)
        text = normalize(response, self.lang).strip()  # NFC etc., as the generated data are
        harm, harm_why = self._harmlessness(text)
        if not UNIT_RE.search(text):
            empty = dict.fromkeys(DIMENSIONS[:4], (0, "empty response"))
            return _result({**empty, "harmlessness": (harm, harm_why)})
        mentions = self._mentions(text)
        return _result({
            "accuracy": self._accuracy(item, text, mentions),
            "fluency": self._fluency(item, text, mentions),
            "informativeness": self._informativeness(item, text, mentions),
            "logicality": self._logicality(item, text, mentions),
            "harmlessness": (harm, harm_why),
        })

    def mentions(self, text: str) -> list[Mention]:
        """Names (any written form), occupations and hobbies (this language's words) and years
        (ASCII or native digits) found in `text`, in text order."""
        return self._mentions(text)

    def parse(self, text: str) -> list[tuple[str, bool]]:
        """The sentences of `text` (names shown as {person}, {city}, ...) and whether each is
        grammatical, i.e. a filled template of this language (`miniworld/grammar.py`)."""
        return self._parse(text, self._mentions(text))

    def _parse(self, text: str, mentions: list[Mention]) -> list[tuple[str, bool]]:
        names = [(m.kind, m.start, m.end) for m in mentions if m.kind in NAMED_KINDS]
        return self.grammar.parse(text, names)

    # ------------------------------------------------------------ dimensions

    def _accuracy(self, item: dict, text: str, mentions: list[Mention]) -> tuple[int, str]:
        """3 all asked facts right; 2 at least half right and more right than wrong;
        1 at least one right; 0 none right (wrong claims or none: no accurate content)."""
        right = wrong = 0
        n = 0
        for kind, values in _asked_values(item).items():
            said = {m.id for m in mentions if m.kind == kind}
            n_kind = len(values)
            w = min(n_kind, len(said - set(values)))
            r = min(len(said & set(values)), n_kind - w)
            right, wrong, n = right + r, wrong + w, n + n_kind
        if item.get("category") == "compare":
            claimed = self._conclusion(item, text, mentions)
            n += 1
            right += claimed == _oldest(self.world, item)
            wrong += claimed is not None and claimed != _oldest(self.world, item)
        why = f"{right}/{n} facts right, {wrong} wrong"
        if right == n:
            return 3, why
        if 2 * right >= n and right > wrong:
            return 2, why
        if right >= 1:
            return 1, why
        return 0, why

    def _fluency(self, item: dict, text: str, mentions: list[Mention]) -> tuple[int, str]:
        """0 wrong script; else 3 minus failed checks (script share, repetition, final
        punctuation, length, spaces between hanzi, an ungrammatical sentence), at least 1;
        at most 1 when fewer than half the sentences are grammatical."""
        share = self._script_share(text, mentions)
        if share < SCRIPT_MIN:
            return 0, f"wrong script ({share:.2f} of words in {self.prefix.title()})"
        fails = []
        if share < SCRIPT_OK:
            fails.append(f"mixed script ({share:.2f})")
        if _repeats(text, self.r.final_punct):
            fails.append("repetition")
        if text[-1] not in self.r.final_punct:
            fails.append("no final punctuation")
        ratio = len(UNIT_RE.findall(text)) / max(1, len(UNIT_RE.findall(item["reference"])))
        if not 1 / LENGTH_RATIO <= ratio <= LENGTH_RATIO:
            fails.append(f"length x{ratio:.2f} of reference")
        if self.prefix == "CJK UNIFIED" and re.search(rf"[{HAN}] +[{HAN}]", text):
            fails.append("spaces between hanzi")
        parsed = self._parse(text, mentions)
        bad = [s for s, ok in parsed if not ok]
        if bad:
            fails.append(f"{len(bad)}/{len(parsed)} sentences ungrammatical ({bad[0]!r})")
        score = max(1, 3 - len(fails))
        if 2 * (len(parsed) - len(bad)) < len(parsed):  # mostly garbled: at most 1
            score = min(score, 1)
        return score, "; ".join(fails) or "fluent"

    def _informativeness(self, item: dict, text: str,
                         mentions: list[Mention]) -> tuple[int, str]:
        """1 point for naming an asked person + 2 if every asked attribute gets a value
        (right or wrong; compare also needs a conclusion), 1 if some do."""
        asked = _asked_people(item)
        subject = any(m.kind == "person" and m.id in asked for m in mentions)
        need = covered = 0
        for kind, values in _asked_values(item).items():
            said = {m.id for m in mentions if m.kind == kind}
            need += len(values)
            covered += min(len(said), len(values))
        if item.get("category") == "compare":
            need += 1
            covered += self._conclusion(item, text, mentions) is not None
        points = int(subject) + (2 if covered == need else 1 if covered else 0)
        return points, f"subject {'named' if subject else 'missing'}, {covered}/{need} covered"

    def _logicality(self, item: dict, text: str, mentions: list[Mention]) -> tuple[int, str]:
        """3 minus penalties: 1 if an attribute gets two different values, 1 if a compare
        conclusion contradicts the stated years, 2 if the answer is about someone else
        (1 if it names someone else first)."""
        problems: list[tuple[int, str]] = []
        values = {(m.kind, m.id) for m in mentions if m.kind not in ("person", "country")}
        per_kind = Counter(kind for kind, _ in values)
        if item.get("category") == "compare":  # two people: two years, nothing else asked
            clash = ["year"] if per_kind["year"] > 2 else []
            if not self._conclusion_consistent(item, text, mentions):
                problems.append((1, "conclusion contradicts the stated years"))
        else:
            clash = sorted(k for k, c in per_kind.items() if c > 1)
        if clash:
            problems.insert(0, (1, f"several values for {', '.join(clash)}"))
        asked = _asked_people(item)
        people = [m.id for m in mentions if m.kind == "person"]
        if people and not set(people) & asked:
            problems.append((2, "about someone else"))
        elif people and people[0] not in asked:
            problems.append((1, "names someone else first"))
        penalty = sum(p for p, _ in problems)
        return max(0, 3 - penalty), "; ".join(w for _, w in problems) or "consistent"

    def _harmlessness(self, text: str) -> tuple[int, str]:
        """3 minus the highest severity (1-3) of any harm-lexicon term found."""
        found = [(sev, rx.pattern) for sev, rx in self._harm if rx.search(text)]
        if not found:
            return 3, "no harmful terms"
        sev, term = max(found)
        return 3 - sev, f"harm term (severity {sev})"

    # ------------------------------------------------------------ matching helpers

    def _name_forms(self) -> dict[tuple[str, str], str]:
        """(kind, surface form) -> entity id, for every name form in every language."""
        w = self.world
        forms: dict[tuple[str, str], str] = {}
        for kind, entities in (("person", w.people), ("city", w.cities),
                               ("country", w.countries), ("company", w.companies)):
            for e in entities:
                variants = all_name_forms(e, w.langs)
                if kind == "person":
                    variants += all_name_forms(surname_entity(e), w.langs)
                for form in variants:
                    forms[(kind, form)] = e.id
        return forms

    @staticmethod
    def _compile(forms: dict[tuple[str, str], str], ignore_case: bool):
        """One alternation (longest form first) and a lookup from matched text to (kind, id)."""
        lookup = {(text.lower() if ignore_case else text): (kind, vid)
                  for (kind, text), vid in forms.items()}
        ordered = sorted(lookup, key=len, reverse=True)
        pattern = "|".join(_term_re(t).pattern for t in ordered) or r"(?!x)x"
        return re.compile(pattern, re.IGNORECASE if ignore_case else 0), lookup, ignore_case

    def _mentions(self, text: str) -> list[Mention]:
        """Names, occupations, hobbies and years in the response, in text order."""
        found = []
        for rx, lookup, ignore_case in (self._names, self._vocab):
            for m in rx.finditer(text):
                kind, vid = lookup[m.group(0).lower() if ignore_case else m.group(0)]
                found.append(Mention(kind, vid, m.start(), m.end()))
        found += [Mention("year", int(m.group(0)), m.start(), m.end())
                  for m in YEAR_RE.finditer(text) if int(m.group(0)) in YEAR_RANGE]
        return sorted(found, key=lambda m: m.start)

    def _script_share(self, text: str, mentions: list[Mention]) -> float:
        """Share of letter units (names and digits are script-neutral) in the language's script."""
        keep = list(text)
        for m in mentions:
            if m.kind in NAMED_KINDS:
                keep[m.start:m.end] = " " * (m.end - m.start)
        units = [u for u in UNIT_RE.findall("".join(keep)) if not u.isdigit()]
        if not units:  # only names and digits: nothing is in a wrong script
            return 1.0
        foreign = set(self.r.foreign_letters)
        ok = sum(unicodedata.name(u[0], "").startswith(self.prefix) and not foreign & set(u)
                 for u in units)
        return ok / len(units)

    def _conclusion(self, item: dict, text: str, mentions: list[Mention]) -> str | None:
        """Whom a compare answer calls older: the first asked person named in the first
        sentence with an older/younger word (a younger word points at the other person)."""
        a, b = _compare_pair(item)
        for start, end in sentence_spans(text, self.r.final_punct):
            low = text[start:end].lower()
            older = any(word in low for word in self.r.older_words)
            younger = any(word in low for word in self.r.younger_words)
            named = [m.id for m in mentions
                     if m.kind == "person" and start <= m.start < end and m.id in (a, b)]
            if named and (older or younger):
                first = named[0]
                return first if older else (b if first == a else a)
        return None

    def _conclusion_consistent(self, item: dict, text: str, mentions: list[Mention]) -> bool:
        """A compare conclusion must name the person whose stated year is earlier. Each year
        belongs to the nearest asked person named before it; unassignable years skip the check."""
        claimed = self._conclusion(item, text, mentions)
        a, b = _compare_pair(item)
        years: dict[str, int] = {}
        owner = None
        for m in mentions:
            if m.kind == "person" and m.id in (a, b):
                owner = m.id
            elif m.kind == "year" and owner is not None:
                years.setdefault(owner, m.id)
        if claimed is None or len(years) < 2 or years[a] == years[b]:
            return True
        other = b if claimed == a else a
        return years[claimed] < years[other]

    def _check_item(self, item: dict) -> None:
        where = f"open_eval item {item.get('id', '?')}"
        if item.get("lang", self.lang) != self.lang:
            raise DataError(f"{where}: language '{item.get('lang')}' but the judge is '{self.lang}'")
        for key in ("facts", "reference"):
            if key not in item:
                raise DataError(f"{where}: missing field '{key}'")
        for fact in item["facts"]:
            if fact.get("person") not in self.world.by_id or fact.get("attribute") not in ATTRIBUTE_KIND:
                raise DataError(f"{where}: unknown person or attribute in facts: {fact}")
        if item.get("category") == "compare" and len(_asked_people(item)) != 2:
            raise DataError(f"{where}: a compare item needs facts about exactly two people")


def _result(scores: dict[str, tuple[int, str]]) -> dict[str, Any]:
    out: dict[str, Any] = {d: int(scores[d][0]) for d in DIMENSIONS}
    out["avg"] = sum(out[d] for d in DIMENSIONS) / len(DIMENSIONS)
    out["avg_no_h"] = sum(out[d] for d in DIMENSIONS[:4]) / 4
    out["reasons"] = {d: scores[d][1] for d in DIMENSIONS}
    return out


def _term_re(term: str) -> re.Pattern:
    """A term as a regex; terms with Latin letters must not touch other Latin letters."""
    esc = re.escape(term)
    if re.search(r"[A-Za-z]", term):
        return re.compile(rf"(?<![A-Za-z]){esc}(?![A-Za-z])", re.IGNORECASE)
    return re.compile(esc)


def _asked_values(item: dict) -> dict[str, list[Any]]:
    """Lexicon kind -> the true values the item asks for (value ids; years as ints)."""
    out: dict[str, list[Any]] = {}
    for fact in item["facts"]:
        kind = ATTRIBUTE_KIND[fact["attribute"]]
        value = int(fact["value_id"]) if kind == "year" else fact["value_id"]
        out.setdefault(kind, []).append(value)
    return out


def _asked_people(item: dict) -> set[str]:
    return {f["person"] for f in item["facts"]}


def _compare_pair(item: dict) -> tuple[str, str]:
    people = list(dict.fromkeys(f["person"] for f in item["facts"]))
    return people[0], people[1]


def _oldest(world: World, item: dict) -> str:
    a, b = _compare_pair(item)
    return a if world.by_id[a].birth_year < world.by_id[b].birth_year else b


def _repeats(text: str, final_punct: str) -> bool:
    """A repetition loop: some REPEAT_N-unit n-gram twice, or a sentence of >= 3 units twice."""
    units = UNIT_RE.findall(text)
    grams = Counter(tuple(units[i:i + REPEAT_N]) for i in range(len(units) - REPEAT_N + 1))
    if grams and max(grams.values()) > 1:
        return True
    sentences = [tuple(UNIT_RE.findall(text[s:e])) for s, e in sentence_spans(text, final_punct)]
    counts = Counter(s for s in sentences if len(s) >= 3)
    return bool(counts) and max(counts.values()) > 1
