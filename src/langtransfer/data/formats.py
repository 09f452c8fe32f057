"""Instruction formats by name: each turns one raw row into chat messages.

Exercised by `langtransfer train sft` (`data: [{path: belle.json, instruction_format: belle}]`)
and tests/unit/data/test_data_formats.py. Every format gives
`[{"role": "system"|"user"|"assistant", "content": str}, ...]`: optional system first, then
user and assistant turns alternating, at least one assistant turn. Alpaca-style rows keep
their `input` on the user message (`{"role": "user", "content": instruction, "input": ...}`)
so the alpaca templates render it as its own section, exactly as before this registry.

A new layout is one decorated function; a row that does not fit raises RowError, which the
reader turns into a DataError naming the file and line (or row).
"""

from __future__ import annotations

from typing import Any, Callable

FORMATS: dict[str, Callable[[dict], list[dict]]] = {}
ROLES = ("system", "user", "assistant")
# ShareGPT speakers: "human"/"gpt" in the original dumps; some exports use role names.
SHAREGPT_SPEAKERS = {"human": "user", "user": "user", "gpt": "assistant",
                     "assistant": "assistant", "system": "system"}


class RowError(ValueError):
    """A row does not fit its format (the message says which field; the caller adds where)."""


def register_format(name: str) -> Callable[[Callable], Callable]:
    """Decorator: add a row -> messages function to FORMATS under `name`."""
    def add(fn: Callable[[dict], list[dict]]) -> Callable[[dict], list[dict]]:
        FORMATS[name] = fn
        return fn
    return add


def to_messages(name: str, row: Any) -> list[dict]:
    """The messages of one raw row in format `name`, checked.

    Args:
        name: a FORMATS key.
        row: one raw row (a dict).

    Returns:
        The conversation; a trailing user turn (no answer to learn) is dropped.

    Raises:
        RowError: the row misses a field, has a wrong type, an unknown role, turns out of
            order or no assistant turn.
    """
    if not isinstance(row, dict):
        raise RowError(f"expected an object, got {type(row).__name__}")
    return check_conversation(FORMATS[name](row))


def check_conversation(messages: list[dict]) -> list[dict]:
    """Check roles and order (system?, then user/assistant alternating); drop a trailing user
    turn; require an assistant turn."""
    if not messages:
        raise RowError("no turns")
    start = 1 if messages[0]["role"] == "system" else 0
    for i, msg in enumerate(messages):
        if msg["role"] not in ROLES:
            raise RowError(f"turn {i}: unknown role '{msg['role']}' (expected one of "
                           f"{', '.join(ROLES)})")
        if not isinstance(msg["content"], str):
            raise RowError(f"turn {i}: content must be a string")
        if i >= start:
            expected = "user" if (i - start) % 2 == 0 else "assistant"
            if msg["role"] != expected:
                raise RowError(f"turn {i}: expected a {expected} turn, got {msg['role']}")
    if messages[-1]["role"] == "user":
        messages = messages[:-1]
    if not any(m["role"] == "assistant" for m in messages):
        raise RowError("no assistant turn (nothing to learn): missing 'output'?")
    return messages


def _string_field(row: dict, key: str, *, required: bool) -> str:
    value = row.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise RowError(f"missing '{key}' (a string is required)")
    return value


def _instruction_row(row: dict) -> list[dict]:
    """instruction / input / output -> one user turn (with its input) and one answer."""
    instruction = _string_field(row, "instruction", required=True)
    extra = _string_field(row, "input", required=False)
    output = _string_field(row, "output", required=True)
    user: dict[str, str] = {"role": "user", "content": instruction}
    if extra:
        user["input"] = extra
    return [user, {"role": "assistant", "content": output}]


@register_format("alpaca")
def alpaca(row: dict) -> list[dict]:
    """Stanford Alpaca: {instruction, input?, output} (a JSON list or JSON Lines)."""
    return _instruction_row(row)


@register_format("belle")
def belle(row: dict) -> list[dict]:
    """BELLE: Alpaca's fields; BELLE's files are JSON Lines despite their .json names."""
    return _instruction_row(row)


@register_format("bactrian_x")
def bactrian_x(row: dict) -> list[dict]:
    """Bactrian-X (MBZUAI/Bactrian-X, one subset per language): {instruction, input, id,
    output}; the id is kept on the normalised row, the language comes from the source."""
    return _instruction_row(row)


@register_format("sharegpt")
def sharegpt(row: dict) -> list[dict]:
    """ShareGPT: {conversations: [{from: human|gpt|system, value}]}."""
    turns = row.get("conversations")
    if not isinstance(turns, list):
        raise RowError("missing 'conversations' (a list of {from, value} is required)")
    messages = []
    for i, turn in enumerate(turns):
        if not isinstance(turn, dict) or "from" not in turn or "value" not in turn:
            raise RowError(f"turn {i}: expected {{from, value}}")
        role = SHAREGPT_SPEAKERS.get(turn["from"])
        if role is None:
            raise RowError(f"turn {i}: unknown speaker '{turn['from']}' (expected one of "
                           f"{', '.join(SHAREGPT_SPEAKERS)})")
        messages.append({"role": role, "content": turn["value"]})
    return messages


@register_format("messages")
def messages(row: dict) -> list[dict]:
    """OpenAI-style chat: {messages: [{role: system|user|assistant, content}]}."""
    turns = row.get("messages")
    if not isinstance(turns, list):
        raise RowError("missing 'messages' (a list of {role, content} is required)")
    out = []
    for i, turn in enumerate(turns):
        if not isinstance(turn, dict) or "role" not in turn or "content" not in turn:
            raise RowError(f"turn {i}: expected {{role, content}}")
        out.append({"role": turn["role"], "content": turn["content"]})
    return out
