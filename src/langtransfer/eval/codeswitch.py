"""Code-switching detection: split a response into language spans, flag switches, report a rate.

    langtransfer eval codeswitch --responses answers.jsonl --lang zh --json
    langtransfer eval codeswitch --conllu ../shared/data/ud/qtd_sagt-ud-test.conllu --json
    # Python: codeswitch_rate(["回答……", ...], "zh") -> {"rate", "ci_low", "ci_high", ...}

How a response is read (the rules, with their reasons, are in docs/evaluation.md,
"Code-switching"):
1. Code (fenced and inline), URLs and e-mail addresses are masked; numbers and punctuation are
   never evidence.
2. Words are grouped into runs of one Unicode script (eval/scripts.py). A run whose script only
   one candidate language uses gets that language (Han -> zh, Tamil -> ta ...); a run in a script
   no candidate uses gets langid's best guess over all its 97 languages; a run in a script shared
   by several candidates (Latin: id vs en) is tagged word by word with langid restricted to
   those candidates, smoothed by a Viterbi pass with a switch penalty (`tag_words`).
3. Latin named entities carry no evidence: every Latin word that starts with a capital (names,
   acronyms, and sentence-initial words, which cannot be told from names without a lexicon).
4. A span is a maximal run of words with one label; a response is code-switched when it has a
   span in another language with at least `min_letters` letters, at least `min_letters / 2`
   of them in words that carry evidence (not names), and - when
   its script is shared - that langid, run once on the span, gives that language at least
   `min_confidence` against the other candidates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable, Sequence

import numpy as np

from langtransfer.errors import ConfigError
from langtransfer.eval.scripts import Token, lang_script, mask_non_prose, tokenize
from langtransfer.text.normalize import normalize

NAME = "name"
"""Label of a run made only of named entities (rule 3): never a switch."""
SENTENCE_END = set(".!?。！？।॥۔\n")  # Latin, CJK, Devanagari danda, Urdu full stop
SOURCE_LANG = "en"
"""The language a transferred model came from: a candidate by default (the paper's switches)."""

# Tagger settings. SWITCH_PENALTY and MAX_EVIDENCE were chosen on the even-numbered sentences
# of the SAGT Turkish-German treebank (benchmarks/codeswitch_sagt.py) and checked on the odd
# ones; EXPECTED_BIAS (nats per word towards the expected language) keeps a response's own
# language the default for ambiguous short words (NusaX id + en tests).
SWITCH_PENALTY = 2.4
"""Nats charged for changing language between neighbouring words."""
MAX_EVIDENCE = 6.0
"""A single word can favour one language over another by at most this many nats: langid is
over-confident on short strings, and one odd word should not outvote its neighbours."""
EXPECTED_BIAS = 0.5
MIN_LETTERS = 10
"""A switch must span at least this many letters (a name or an acronym is shorter)."""
MIN_CONFIDENCE = 0.7
"""langid's posterior for a same-script span's language against the other candidates."""


@lru_cache(maxsize=1)
def _identifier():
    """langid.py's model, loaded once (~1-2 s); raw log-scores, normalised here when needed."""
    from langid.langid import LanguageIdentifier, model

    return LanguageIdentifier.from_modelstring(model, norm_probs=False)


def langid_labels() -> tuple[str, ...]:
    """Every language label langid.py knows (97 ISO 639-1-like codes)."""
    return tuple(_identifier().nb_classes)


@lru_cache(maxsize=256)
def _label_indices(langs: tuple[str, ...]) -> np.ndarray:
    known = langid_labels()
    missing = [lang for lang in langs if lang not in known]
    if missing:
        raise ConfigError(f"language-ID label(s) {missing} unknown to langid.py "
                          f"(known: {', '.join(sorted(known))})")
    return np.array([known.index(lang) for lang in langs])


@lru_cache(maxsize=200_000)
def _log_likelihoods(text: str) -> np.ndarray:
    """langid's naive-Bayes log-likelihoods of `text` for all its languages, without the class
    prior: a word none of langid's 7480 byte n-gram features match then scores 0 everywhere
    (no evidence) instead of the prior's preference (en over id by 3.7 nats, de over tr)."""
    ident = _identifier()
    fv = ident.instance2fv(text)
    nz = np.flatnonzero(fv)  # a word touches a few dozen of the 7480 features: sparse dot
    return fv[nz] @ ident.nb_ptc[nz]


def lang_scores(text: str, langs: Sequence[str]) -> np.ndarray:
    """langid log-likelihoods of `text` (no class prior) restricted to `langs` (same order)."""
    return _log_likelihoods(text)[_label_indices(tuple(langs))]


def best_language(text: str) -> str:
    """langid's top language over everything it knows (used for runs in a non-candidate script)."""
    return langid_labels()[int(np.argmax(_log_likelihoods(text) + _identifier().nb_pc))]


def posterior(text: str, langs: Sequence[str]) -> np.ndarray:
    """langid's posterior over `langs` only (softmax of the restricted log-scores)."""
    s = lang_scores(text, langs)
    e = np.exp(s - s.max())
    return e / e.sum()


def word_evidence(word: str, langs: Sequence[str], max_evidence: float = MAX_EVIDENCE) -> np.ndarray:
    """Per-language evidence of one word: log-score minus the best, floored at -max_evidence.

    The word is lower-cased and padded with spaces so langid sees its boundaries (byte n-grams
    such as " da "): +4 to +6 points of accuracy on the SAGT treebank over the bare word.
    """
    s = lang_scores(f" {word.lower()} ", langs)
    return np.maximum(s - s.max(), -max_evidence)


def viterbi(evidence: np.ndarray, switch_penalty: float | np.ndarray,
            bias: np.ndarray | None = None) -> list[int]:
    """Best label sequence under per-word evidence (n, K) and a flat switch penalty.

    Args:
        evidence: log-evidence per word and label; an all-zero row is a word with no evidence
            (it follows its neighbours).
        switch_penalty: nats subtracted for each change of label; an array gives the penalty
            of each transition into word i (index 0 unused).
        bias: nats added per word to each label (a prior); zeros when None.

    Returns:
        One label index per row (ties keep the previous label, then the lowest index).
    """
    n, k = evidence.shape
    if n == 0:
        return []
    bias = np.zeros(k) if bias is None else bias
    penalties = np.broadcast_to(np.asarray(switch_penalty, dtype=np.float64), (n,))
    score = evidence[0] + bias
    back = np.zeros((n, k), dtype=np.int64)
    for i in range(1, n):
        # moving[j] = best score of arriving in j from another label (or staying, if better)
        trans = score[:, None] - penalties[i] * (1 - np.eye(k))
        back[i] = np.argmax(trans, axis=0)
        score = trans[back[i], np.arange(k)] + evidence[i] + bias
    path = [int(np.argmax(score))]
    for i in range(n - 1, 0, -1):
        path.append(int(back[i, path[-1]]))
    return path[::-1]


def tag_words(words: Sequence[str], langs: Sequence[str], *, neutral: Sequence[bool] | None = None,
              switch_penalty: float = SWITCH_PENALTY, max_evidence: float = MAX_EVIDENCE,
              bias: dict[str, float] | None = None,
              sentence_starts: Sequence[bool] | None = None) -> list[str]:
    """Tag each word with one of `langs`, using langid per word plus Viterbi smoothing.

    Args:
        words: the words, in order (no punctuation or numbers).
        langs: candidate langid labels (two or more).
        neutral: per word, True when it carries no evidence (named entities).
        switch_penalty: nats per change of language between neighbours.
        max_evidence: cap of one word's evidence (see `word_evidence`).
        bias: nats per word towards a language, e.g. {"tr": 2.0}.
        sentence_starts: per word, True when a sentence starts there: changing language
            between sentences is free (switches happen at sentence boundaries most often),
            and a word without evidence takes the label of the nearest word with evidence
            in its own sentence.

    Returns:
        One label of `langs` per word.
    """
    ev = np.zeros((len(words), len(langs)))
    prior = np.array([(bias or {}).get(lang, 0.0) for lang in langs])
    for i, word in enumerate(words):
        if not (neutral and neutral[i]):  # the prior too: a name is no vote for any language
            ev[i] = word_evidence(word, langs, max_evidence) + prior
    penalties = np.full(len(words), float(switch_penalty))
    if sentence_starts is not None:
        penalties[np.asarray(sentence_starts, dtype=bool)] = 0.0
        ev += _sentence_evidence(words, langs, neutral, sentence_starts, max_evidence)
    labels = viterbi(ev, penalties)
    if neutral and sentence_starts is not None:
        labels = _follow_evidence(labels, neutral, sentence_starts)
    return [langs[j] for j in labels]


def _sentence_evidence(words: Sequence[str], langs: Sequence[str], neutral: Sequence[bool] | None,
                       sentence_starts: Sequence[bool], max_evidence: float) -> np.ndarray:
    """One extra vote per sentence, shared by its evidence words: langid on the sentence's words
    together (capped at max_evidence), which sees n-grams across word boundaries."""
    out = np.zeros((len(words), len(langs)))
    bounds = [i for i, s in enumerate(sentence_starts) if s or i == 0] + [len(words)]
    for a, b in zip(bounds, bounds[1:]):
        idx = [i for i in range(a, b) if not (neutral and neutral[i])]
        if not idx:
            continue
        s = lang_scores(" " + " ".join(words[i].lower() for i in idx) + " ", langs)
        out[idx] = np.maximum(s - s.max(), -max_evidence) / len(idx)
    return out


def _follow_evidence(labels: list[int], neutral: Sequence[bool],
                     sentence_starts: Sequence[bool]) -> list[int]:
    """Give each word without evidence the label of the nearest evidence word in its sentence
    (the next one first: "Tino was born in" is one English span, not "Tino" + English)."""
    out = list(labels)
    sentence, sid = [], 0
    for i, start in enumerate(sentence_starts):
        sid += bool(start and i)
        sentence.append(sid)
    for i in range(len(labels)):
        if not neutral[i]:
            continue
        for j in sorted(range(len(labels)), key=lambda j: (abs(j - i), j < i)):
            if sentence[j] == sentence[i] and not neutral[j]:
                out[i] = labels[j]
                break
    return out


@dataclass(frozen=True)
class Span:
    """A maximal run of words with one language label."""

    lang: str
    """langid label, or NAME for a run of named entities only."""
    script: str
    start: int
    end: int
    text: str
    letters: int
    evidence_letters: int
    """Letters of the words that carried evidence (not named entities)."""


@dataclass
class ResponseAnalysis:
    """A response's spans and the ones that count as switches."""

    spans: list[Span]
    switched: list[Span] = field(default_factory=list)

    @property
    def is_switched(self) -> bool:
        return bool(self.switched)


def _neutral_flags(words: list[Token]) -> list[bool]:
    """Rule 3: Latin words that start with a capital (names, acronyms, and sentence-initial
    words, which cannot be told from names) carry no language evidence."""
    return [w.script == "Latn" and w.text[:1].isupper() for w in words]


def _script_runs(words: list[Token]) -> list[list[int]]:
    """Indices of consecutive words grouped by script."""
    runs: list[list[int]] = []
    for i, w in enumerate(words):
        if runs and words[runs[-1][-1]].script == w.script:
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs


def _sentence_starts(words: list[Token], text: str) -> list[bool]:
    """Per word: does a sentence end (. ! ? 。 ！ ？ or a line break) between it and the previous word?"""
    starts, prev_end = [], 0
    for w in words:
        starts.append(not starts or any(ch in SENTENCE_END for ch in text[prev_end:w.start]))
        prev_end = w.end
    return starts


def _label_run(words: list[Token], neutral: list[bool], run: list[int], lang: str,
               candidates: list[str], settings: dict) -> list[str]:
    """Rule 2: the label of every word of one single-script run."""
    script = words[run[0]].script
    if all(neutral[i] for i in run):
        return [NAME] * len(run)
    in_script = [c for c in candidates if lang_script(c) == script]
    if len(in_script) == 1:
        return in_script * len(run)
    if not in_script:
        return [best_language(" ".join(words[i].text for i in run))] * len(run)
    bias = {lang: settings["expected_bias"]}
    return tag_words([words[i].text for i in run], in_script, neutral=[neutral[i] for i in run],
                     switch_penalty=settings["switch_penalty"],
                     max_evidence=settings["max_evidence"], bias=bias,
                     sentence_starts=[settings["starts"][i] for i in run])


def _spans(text: str, words: list[Token], neutral: list[bool], labels: list[str],
           runs: list[list[int]]) -> list[Span]:
    spans = []
    for run in runs:
        start = 0
        for k in range(1, len(run) + 1):
            if k == len(run) or labels[run[k]] != labels[run[start]]:
                idx = run[start:k]
                first, last = words[idx[0]], words[idx[-1]]
                spans.append(Span(
                    labels[idx[0]], first.script, first.start, last.end, text[first.start:last.end],
                    sum(words[i].letters for i in idx),
                    sum(words[i].letters for i in idx if not neutral[i])))
                start = k
    return spans


def analyse_response(text: str, lang: str, *, candidates: Sequence[str] | None = None,
                     min_letters: int = MIN_LETTERS, min_confidence: float = MIN_CONFIDENCE,
                     switch_penalty: float = SWITCH_PENALTY, max_evidence: float = MAX_EVIDENCE,
                     expected_bias: float = EXPECTED_BIAS) -> ResponseAnalysis:
    """Split one response into language spans and pick out the switches (rules 1-4).

    Args:
        text: the response.
        lang: the expected language (ISO code of `langtransfer.langs`).
        candidates: languages a word may be tagged with; default: `lang` and English.
        min_letters: shortest span (in letters) that counts as a switch.
        min_confidence: langid posterior a same-script span needs to count.
        switch_penalty, max_evidence, expected_bias: tagger settings (module constants).

    Returns:
        ResponseAnalysis with every span and the switched ones.
    """
    cands = _candidates(lang, candidates)
    text = normalize(text, lang)  # the project's one normaliser (docs/miniworld.md)
    words = [t for t in tokenize(mask_non_prose(text)) if t.kind == "word"]
    neutral = _neutral_flags(words)
    runs = _script_runs(words)
    settings = {"switch_penalty": switch_penalty, "max_evidence": max_evidence,
                "expected_bias": expected_bias, "starts": _sentence_starts(words, text)}
    labels: list[str] = [""] * len(words)
    for run in runs:
        for i, label in zip(run, _label_run(words, neutral, run, lang, cands, settings)):
            labels[i] = label
    spans = _spans(text, words, neutral, labels, runs)
    switched = [s for s in spans if _is_switch(s, words, neutral, lang, cands, min_letters,
                                               min_confidence, max_evidence)]
    return ResponseAnalysis(spans, switched)


def _candidates(lang: str, candidates: Sequence[str] | None) -> list[str]:
    lang_script(lang)  # unknown expected language: one-line ConfigError
    cands = list(dict.fromkeys([lang, *(candidates if candidates else [SOURCE_LANG])]))
    for c in cands:
        lang_script(c)
    return cands


def _is_switch(span: Span, words: list[Token], neutral: list[bool], lang: str,
               cands: list[str], min_letters: int, min_confidence: float,
               max_evidence: float = MAX_EVIDENCE) -> bool:
    """Rule 4: long enough, with evidence, and confirmed by langid when the script is shared."""
    if span.lang in (lang, NAME) or span.letters < min_letters:
        return False
    if 2 * span.evidence_letters < min_letters:
        return False  # names around a particle: "Ferdinand de Saussure", "Li, Fu, and Sun"
    in_script = [c for c in cands if lang_script(c) == span.script]
    if len(in_script) < 2 or span.lang not in in_script:
        return True
    # One langid pass on the span's evidence words together: n-grams across words (" s on ")
    # add what single words lack.
    text = " ".join(w.text for w, n in zip(words, neutral)
                    if span.start <= w.start < span.end and not n)
    return float(posterior(f" {text.lower()} ", in_script)[in_script.index(span.lang)]) >= min_confidence


def codeswitch_rate(responses: Iterable[str], lang: str, *, ids: Sequence[str] | None = None,
                    candidates: Sequence[str] | None = None, min_letters: int = MIN_LETTERS,
                    min_confidence: float = MIN_CONFIDENCE, max_examples: int = 5,
                    n_boot: int = 1000, seed: int = 0, **tagger: float) -> dict:
    """Share of responses that switch language, with a bootstrap CI and example spans.

    Args:
        responses: response texts.
        lang: expected language (ISO code).
        ids: optional ids for the examples (default: the response's index).
        candidates: see `analyse_response` (default: `lang` and English).
        min_letters, min_confidence: see `analyse_response`.
        max_examples: switched spans to return as examples.
        n_boot, seed: bootstrap resamples and seed for the 95% interval.
        **tagger: switch_penalty, max_evidence, expected_bias.

    Returns:
        {"lang", "rate", "ci_low", "ci_high", "n", "n_switched", "switched_to": {lang: responses},
        "examples": [{"id", "lang", "span"}], "settings": {...}}.
    """
    from langtransfer.eval.metrics import bootstrap_ci

    flags, switched_to, examples = [], {}, []
    for k, text in enumerate(responses):
        analysis = analyse_response(text, lang, candidates=candidates, min_letters=min_letters,
                                    min_confidence=min_confidence, **tagger)
        flags.append(1.0 if analysis.is_switched else 0.0)
        for to in sorted({s.lang for s in analysis.switched}):
            switched_to[to] = switched_to.get(to, 0) + 1
        if analysis.switched and len(examples) < max_examples:
            span = max(analysis.switched, key=lambda s: s.letters)
            examples.append({"id": ids[k] if ids is not None else k, "lang": span.lang,
                             "span": span.text})
    rate = sum(flags) / len(flags) if flags else math.nan
    low, high = bootstrap_ci(flags, n_boot=n_boot, seed=seed)
    settings = {"candidates": _candidates(lang, candidates), "min_letters": min_letters,
                "min_confidence": min_confidence, "switch_penalty": SWITCH_PENALTY,
                "max_evidence": MAX_EVIDENCE, "expected_bias": EXPECTED_BIAS, **tagger}
    return {"lang": lang, "rate": rate, "ci_low": low, "ci_high": high, "n": len(flags),
            "n_switched": int(sum(flags)), "switched_to": dict(sorted(switched_to.items())),
            "examples": examples, "settings": settings}
