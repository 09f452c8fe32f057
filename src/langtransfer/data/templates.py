"""Instruction prompt templates, shared by SFT (training) and evaluation (generation).

A model must be prompted at evaluation with exactly the template it was tuned with, so both
stages import from here: `render_prompt` (one instruction -> the prompt text generation starts
from) and `conversation_segments` (a whole conversation -> text pieces, each marked as trained
or not, which data.transforms.sft_v1 tokenises). `alpaca` is Stanford Alpaca's template (what
Chinese-LLaMA-Alpaca used); `alpaca_short` drops its preamble — for tiny models the 30-token
preamble is pure overhead; `chat` is the tokenizer's own chat template
(`tok.apply_chat_template`), for model families that ship one.
"""

from __future__ import annotations

from typing import Any

from langtransfer.errors import ConfigError, DataError

_ALPACA_PREAMBLE = (
    "Below is an instruction that describes a task{ctx}. "
    "Write a response that appropriately completes the request.\n\n"
)

TEMPLATES: dict[str, tuple[str, str]] = {
    # name: (template without input, template with input)
    "alpaca": (
        _ALPACA_PREAMBLE.format(ctx="")
        + "### Instruction:\n{instruction}\n\n### Response:\n",
        _ALPACA_PREAMBLE.format(ctx=", paired with an input that provides further context")
        + "### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:\n",
    ),
    "alpaca_short": (
        "### Instruction:\n{instruction}\n\n### Response:\n",
        "### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:\n",
    ),
}
CHAT = "chat"
TEMPLATE_NAMES = (*TEMPLATES, CHAT)


def render_prompt(instruction: str, input: str = "", template: str = "alpaca_short",
                  tokenizer: Any = None) -> str:
    """The prompt text that precedes the response.

    Args:
        instruction: the user's request.
        input: optional context (Alpaca's `input`).
        template: alpaca, alpaca_short or chat.
        tokenizer: required for `chat` (its chat template renders the prompt, with the
            generation prompt appended).

    Raises:
        ConfigError: unknown template; `chat` without a tokenizer or with one that has no
            chat template.
    """
    if template == CHAT:
        user = {"role": "user", "content": instruction, "input": input}
        return _render_chat(require_chat_template(tokenizer), [user], generation_prompt=True)
    if template not in TEMPLATES:
        raise ConfigError(f"unknown prompt template '{template}' (known: "
                          f"{', '.join(TEMPLATE_NAMES)})")
    plain, with_input = TEMPLATES[template]
    if input and input.strip():
        return with_input.format(instruction=instruction, input=input)
    return plain.format(instruction=instruction)


def require_chat_template(tokenizer: Any) -> Any:
    """The tokenizer, checked to have a chat template (one-line ConfigError otherwise)."""
    if tokenizer is None:
        raise ConfigError("template 'chat' needs the tokenizer (its chat template renders the "
                          "prompt)")
    if not getattr(tokenizer, "chat_template", None):
        name = getattr(tokenizer, "name_or_path", "") or type(tokenizer).__name__
        raise ConfigError(f"template 'chat': the tokenizer {name} has no chat template (use "
                          "template alpaca or alpaca_short)")
    return tokenizer


def conversation_segments(messages: list[dict], template: str,
                          tokenizer: Any = None) -> list[tuple[str, bool]]:
    """A conversation as consecutive text pieces, True for the pieces the loss is on.

    alpaca / alpaca_short: a system message becomes "SYSTEM\\n\\n" (not trained), each user
    turn its `render_prompt` text, each assistant turn its content (trained); the caller adds
    <s> first and </s> after each answer (data.transforms.sft_v1). A single turn is therefore
    exactly `render_prompt(...)` + answer, what evaluation prompts with.

    chat: the tokenizer's template renders the conversation; the trained pieces are the text
    each assistant turn adds (its content and whatever end-of-turn marker the template puts
    after it). The first piece is the text of `render_prompt(..., "chat", tokenizer)`.

    Raises:
        ConfigError: unknown template, or `chat` without a chat template.
        DataError: the chat template does not render turn by turn (a shorter conversation's
            text is not a prefix of the longer one's), so answers cannot be marked.
    """
    if template == CHAT:
        return _chat_segments(require_chat_template(tokenizer), messages)
    if template not in TEMPLATES:
        raise ConfigError(f"unknown prompt template '{template}' (known: "
                          f"{', '.join(TEMPLATE_NAMES)})")
    segments = []
    for msg in messages:
        if msg["role"] == "system":
            segments.append((msg["content"] + "\n\n", False))
        elif msg["role"] == "user":
            segments.append((render_prompt(msg["content"], msg.get("input", ""), template), False))
        else:
            segments.append((msg["content"], True))
    return segments


def _plain_messages(messages: list[dict]) -> list[dict[str, str]]:
    """{role, content} only: an Alpaca `input` joins its instruction after a blank line."""
    out = []
    for msg in messages:
        content = msg["content"]
        if msg.get("input", "").strip():
            content = f"{content}\n\n{msg['input']}"
        out.append({"role": msg["role"], "content": content})
    return out


def _render_chat(tok: Any, messages: list[dict], *, generation_prompt: bool) -> str:
    try:
        return tok.apply_chat_template(_plain_messages(messages), tokenize=False,
                                       add_generation_prompt=generation_prompt)
    except Exception as exc:  # jinja raises TemplateError for conversations it rejects
        raise DataError(f"chat template rejected a conversation ({type(exc).__name__}: "
                        f"{exc})") from None


def _chat_segments(tok: Any, messages: list[dict]) -> list[tuple[str, bool]]:
    segments: list[tuple[str, bool]] = []
    done = ""  # text rendered so far
    for i, msg in enumerate(messages):
        if msg["role"] != "assistant":
            continue
        prompt = _render_chat(tok, messages[:i], generation_prompt=True)
        full = _render_chat(tok, messages[:i + 1], generation_prompt=False)
        if not (prompt.startswith(done) and full.startswith(prompt)):
            raise DataError("chat template does not render conversations turn by turn "
                            f"(turn {i}): answers cannot be marked for the loss; use template "
                            "alpaca or alpaca_short")
        segments += [(prompt[len(done):], False), (full[len(prompt):], True)]
        done = full
    return [(text, train) for text, train in segments if text]
