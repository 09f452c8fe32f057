"""Scoring protocols for multiple choice, named and recorded with every result.

    langtransfer eval knowledge --benchmark ceval --data DIR --model M --out O --protocol letter

- `letter`: the log-likelihood of each answer letter after the prompt (header, k shots, the
  question with its options listed, the answer cue). The letter's form is the template's
  `answer`: "A" after C-Eval's "答案：", " A" after MMLU's "Answer:". C-Eval's and
  Chinese-LLaMA-Alpaca's scripts compare the logits of the letter tokens at the next position;
  for a one-token letter that is the same argmax, and a letter that tokenizes to several
  pieces is still scored whole. Prediction = argmax.
- `option`: the log-likelihood of each option's text (options not listed; lm-eval's "cloze"
  formulation), normalised by `none` (sum), `token` (per token), `char` (per character: what
  lm-eval calls acc_norm) or `byte` (per UTF-8 byte: lm-eval's acc_bytes); char and byte count
  the option text without the leading space, as lm-eval counts the choice string. MiniWorld's
  template sets `blank_split`: a `____` blank splits the question (eval.mc.option_requests).
- `generate`: greedy decoding of the letter prompt until a blank line, EOS or max_new_tokens,
  then a letter is extracted (`extract_letters`): the first letter after an answer cue
  ("答案是 B", "答案：B", "answer is B", "Answer: B"), else the first option letter standing
  alone (not inside a word); a multi-answer item takes every option letter standing alone in
  the first line that has one. No letter found = wrong.

A multi-answer item (AGIEval label lists) is correct only on an exact set match, so under
letter and option (one argmax) it can only be right when it has one gold letter.
k shots: the first k items of the subject's k-shot split, never the item itself.
Each protocol scores all of a benchmark's requests in one `eval.lm.loglikelihood` call (one
generate call), so shared prefixes and length-sorted batches apply across questions.
"""

from __future__ import annotations

import re
from typing import Any, Sequence

from langtransfer.eval.benchmarks import BenchmarkSpec, PromptTemplate, render_subject
from langtransfer.eval.lm import OnBatch
from langtransfer.eval.mc import NORMS, MCItem, _norm_length, option_requests

PROTOCOLS = ("letter", "option", "generate")
_CUE = re.compile(r"(?:答案|[Aa]nswer)\s*(?:是|为|is|应选择|:|：)*\s*[（(]?\s*([A-Z])(?![A-Za-z])")
_ALONE = re.compile(r"(?<![A-Za-z])([A-Z])(?![A-Za-z])")


def template_of(spec: BenchmarkSpec, item: MCItem) -> PromptTemplate:
    """The template of the item's language (AGIEval mixes English and Chinese tasks)."""
    return spec.template_for(item.lang)


def _fields(tpl: PromptTemplate, item: MCItem) -> dict[str, str]:
    sub = item.meta.get("sub")
    return {
        "passage": item.passage, "question": item.question.strip(),
        "options": tpl.option_sep.join(tpl.option.format(letter=letter, text=text)
                                       for letter, text in zip(item.letters, item.options)),
        "last_letter": item.letters[-1], "sub": tpl.sub.format(n=sub) if sub else "",
    }


def _header(spec: BenchmarkSpec, tpl: PromptTemplate, item: MCItem) -> str:
    return tpl.header.format(**render_subject(spec, item.subject))


def shots_for(item: MCItem, shots: dict[str, list[MCItem]] | None, k: int) -> list[MCItem]:
    """The item's shots: its subject's first k, skipping the item itself."""
    pool = (shots or {}).get(item.subject, [])
    return [s for s in pool if (s.question, s.options) != (item.question, item.options)][:k]


def letter_prompt(spec: BenchmarkSpec, item: MCItem, shots: Sequence[MCItem] = ()) -> str:
    """Header + shots (question, answer letter) + the question: the letter/generate prompt."""
    tpl = template_of(spec, item)
    parts = [_header(spec, tpl, item)]
    for shot in shots:
        parts.append(tpl.question.format(**_fields(tpl, shot))
                     + tpl.answer.format(letter=shot.gold) + tpl.shot_sep)
    parts.append(tpl.question.format(**_fields(tpl, item)))
    return "".join(parts)


def option_requests_for(spec: BenchmarkSpec, item: MCItem,
                        shots: Sequence[MCItem] = ()) -> list[tuple[str, str]]:
    """(context, continuation) per option under the option protocol."""
    tpl = template_of(spec, item)
    prefix = _header(spec, tpl, item) + "".join(
        tpl.cloze.format(**_fields(tpl, s)) + tpl.option_prefix + s.options[s.golds[0]]
        + tpl.shot_sep for s in shots if s.golds)
    if tpl.blank_split:
        return [(prefix + ctx, cont) for ctx, cont in option_requests(item)]
    context = prefix + tpl.cloze.format(**_fields(tpl, item))
    return [(context, tpl.option_prefix + option) for option in item.options]


def prompt_text(spec: BenchmarkSpec, item: MCItem, protocol: str,
                shots: Sequence[MCItem] = ()) -> str:
    """What the model reads before the scored text (dry-run's first_prompt)."""
    if protocol == "option":
        return option_requests_for(spec, item, shots)[0][0]
    return letter_prompt(spec, item, shots)


def _row(item: MCItem, pred: str, **extra: Any) -> dict:
    """A prediction record: correct is None when the answer is unknown (C-Eval test)."""
    gold = item.gold
    correct = (sorted(pred) == sorted(gold) and pred != "") if gold else None
    row = {"id": item.id, "subject": item.subject, "lang": item.lang, "gold": gold, "pred": pred,
           "correct": correct, "chance": item.chance, **extra}
    return {**row, **{k: v for k, v in item.meta.items() if k not in row}}


def _argmax(scores: Sequence[float]) -> int:
    return max(range(len(scores)), key=lambda k: (scores[k], -k))  # first maximum wins ties


def score_letter(model: Any, tok: Any, spec: BenchmarkSpec, items: Sequence[MCItem],
                 shots: dict[str, list[MCItem]] | None = None, k: int = 0,
                 batch_size: int = 32, on_batch: OnBatch = None) -> list[dict]:
    """The letter protocol: log p(letter | prompt) per option letter; pred = argmax."""
    from langtransfer.eval.lm import loglikelihood

    requests = []
    for item in items:
        prompt = letter_prompt(spec, item, shots_for(item, shots, k))
        answer = template_of(spec, item).answer
        requests.append([(prompt, answer.format(letter=letter)) for letter in item.letters])
    flat = [r for reqs in requests for r in reqs]
    scored = iter(loglikelihood(model, tok, flat, batch_size=batch_size, on_batch=on_batch))
    out = []
    for item, reqs in zip(items, requests):
        logliks = [next(scored)[0] for _ in reqs]
        out.append(_row(item, item.letters[_argmax(logliks)], scores=logliks))
    return out


def _score_option_requests(model: Any, tok: Any, items: Sequence[MCItem],
                           requests: list[list[tuple[str, str]]], norm: str, batch_size: int,
                           on_batch: OnBatch) -> list[dict]:
    from langtransfer.eval.lm import loglikelihood

    if norm not in NORMS:
        raise ValueError(f"norm must be one of {', '.join(NORMS)}, got {norm!r}")
    flat = [r for reqs in requests for r in reqs]
    scored = iter(loglikelihood(model, tok, flat, batch_size=batch_size, on_batch=on_batch))
    out = []
    for item, reqs in zip(items, requests):
        results = [next(scored) for _ in reqs]
        logliks = [ll for ll, _, _ in results]
        n_tokens = [n for _, _, n in results]
        scores = logliks if norm == "none" else [
            ll / _norm_length(item, cont, norm, n)
            for ll, (_, cont), n in zip(logliks, reqs, n_tokens)]
        out.append(_row(item, item.letters[_argmax(scores)], scores=scores, logliks=logliks,
                        n_tokens=n_tokens))
    return out


def score_option(model: Any, tok: Any, spec: BenchmarkSpec, items: Sequence[MCItem],
                 shots: dict[str, list[MCItem]] | None = None, k: int = 0, norm: str = "none",
                 batch_size: int = 32, on_batch: OnBatch = None) -> list[dict]:
    """The option protocol: (normalised) log-likelihood of each option's text; pred = argmax."""
    requests = [option_requests_for(spec, item, shots_for(item, shots, k)) for item in items]
    return _score_option_requests(model, tok, items, requests, norm, batch_size, on_batch)


def score_cloze_items(model: Any, tok: Any, items: Sequence[MCItem], norm: str = "none",
                      batch_size: int = 32, on_batch: OnBatch = None) -> list[dict]:
    """The option protocol on eval.mc's cloze formulation, zero-shot (eval.mc.score_mc)."""
    requests = [option_requests(item) for item in items]
    return _score_option_requests(model, tok, items, requests, norm, batch_size, on_batch)


def extract_letters(text: str, item: MCItem) -> str:
    """The answer letter(s) of a generated response (rule in the module docstring)."""
    allowed = set(item.letters)
    if len(item.multi) > 1:
        for line in text.splitlines():
            found = sorted({m.group(1) for m in _ALONE.finditer(line)} & allowed)
            if found:
                return "".join(found)
        return ""
    for pattern in (_CUE, _ALONE):
        for match in pattern.finditer(text):
            if match.group(1) in allowed:
                return match.group(1)
    return ""


def score_generate(model: Any, tok: Any, spec: BenchmarkSpec, items: Sequence[MCItem],
                   shots: dict[str, list[MCItem]] | None = None, k: int = 0,
                   batch_size: int = 16, max_new_tokens: int = 16,
                   on_batch: OnBatch = None) -> list[dict]:
    """The generate protocol: greedy response to the letter prompt, letter extracted."""
    from langtransfer.eval.generate import generate

    prompts = [letter_prompt(spec, item, shots_for(item, shots, k)) for item in items]
    outs = generate(model, tok, prompts, max_new_tokens, batch_size, stop=("\n\n",),
                    on_batch=on_batch)
    return [_row(item, extract_letters(out.text, item), scores=None, response=out.text)
            for item, out in zip(items, outs)]


def score(model: Any, tok: Any, spec: BenchmarkSpec, items: Sequence[MCItem], protocol: str,
          *, shots: dict[str, list[MCItem]] | None = None, k: int = 0, norm: str = "none",
          batch_size: int = 32, max_new_tokens: int = 16, on_batch: OnBatch = None) -> list[dict]:
    """Score items under a named protocol; one prediction record per item, in order.

    Args:
        model, tok: the LM and its tokenizer.
        spec: the benchmark (templates).
        items: the questions.
        protocol: letter | option | generate.
        shots: subject -> k-shot pool (benchmarks.load_shots); None = zero-shot.
        k: shots per prompt.
        norm: the option protocol's length normalisation (none | token | char | byte).
        batch_size: sequences per forward pass (prompts per generate batch).
        max_new_tokens: the generate protocol's cap.
        on_batch: progress callback (requests done per batch).

    Returns:
        {"id","subject","lang","gold","pred","correct","chance","scores", ...} per item
        (option adds logliks and n_tokens, generate the response), plus the item's meta.
    """
    if protocol == "letter":
        return score_letter(model, tok, spec, items, shots, k, batch_size, on_batch)
    if protocol == "option":
        return score_option(model, tok, spec, items, shots, k, norm, batch_size, on_batch)
    if protocol == "generate":
        return score_generate(model, tok, spec, items, shots, k, batch_size, max_new_tokens,
                              on_batch)
    raise ValueError(f"protocol must be one of {', '.join(PROTOCOLS)}, got {protocol!r}")


def n_requests(items: Sequence[MCItem], protocol: str) -> int:
    """Requests a protocol makes (the progress total): one per option, or one per item."""
    return len(items) if protocol == "generate" else sum(len(i.options) for i in items)
