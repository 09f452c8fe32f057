"""Typed configs: YAML in, validated pydantic models out, resolved YAML saved with every run.

Conventions (litgpt / OLMo style):
- a config is a pydantic model; each field has a default and an attribute docstring;
- YAML mirrors the model exactly and unknown keys are errors;
- `--set a.b=value` overrides any field (the value is parsed as YAML: 3, 0.5, true, [a, b]);
- `to_yaml()` prints the resolved config (what `--dry-run` shows) and `config_hash()` keys caches.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from langtransfer.errors import ConfigError

C = TypeVar("C", bound="BaseConfig")


class BaseConfig(BaseModel):
    """Base of every config: strict keys, attribute docstrings become field descriptions."""

    model_config = ConfigDict(
        extra="forbid",
        use_attribute_docstrings=True,
        validate_assignment=True,
        protected_namespaces=(),
    )

    @classmethod
    def load(cls: type[C], path: str | Path | None = None, overrides: list[str] | None = None) -> C:
        """Load from a YAML file (or defaults when path is None) and apply `a.b=v` overrides."""
        data: dict[str, Any] = {}
        source = "--set" if overrides else "<defaults>"
        if path is not None:
            source = str(path)
            data = read_yaml(path)
        if not overrides:
            return cls.from_dict(data, source)
        # Overrides apply to the resolved config, so `--set data.0.path=x` reaches defaults too;
        # if the file alone does not validate, they apply to the raw mapping (and may fix it).
        try:
            resolved = cls.from_dict(data, source).to_dict()
        except ConfigError:
            resolved = data
        apply_overrides(resolved, overrides, source)
        return cls.from_dict(resolved, source)

    @classmethod
    def from_dict(cls: type[C], data: dict[str, Any], source: str = "<dict>") -> C:
        """Validate a plain dict; errors become one line naming the source and the field."""
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise ConfigError(format_validation_error(exc, cls, source)) from None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict of the resolved config."""
        return self.model_dump(mode="json")

    def to_yaml(self) -> str:
        """The resolved config as YAML (keys in declaration order)."""
        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True)

    def config_hash(self, length: int = 12) -> str:
        """Stable content hash of the resolved config (cache and skip key)."""
        canon = json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canon.encode()).hexdigest()[:length]

    def with_updates(self: C, updates: dict[str, Any]) -> C:
        """A validated copy with dotted-key updates applied (used by the study grid)."""
        data = self.to_dict()
        for key, value in updates.items():
            set_dotted(data, key, value)
        return type(self).from_dict(data, "<updates>")


def read_yaml(path: str | Path) -> dict[str, Any]:
    """Read a YAML mapping; a missing file or a syntax error is a one-line ConfigError."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise ConfigError(f"{where}: invalid YAML ({getattr(exc, 'problem', exc)})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of keys at the top level")
    return data


def set_dotted(data: dict[str, Any], key: str, value: Any) -> None:
    """data['a']['b'] = value for key 'a.b', creating intermediate mappings."""
    parts = key.split(".")
    node: Any = data
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(node, list):  # numeric index into a list: data.0.path
            if not part.isdigit() or int(part) >= len(node):
                raise ConfigError(f"--set {key}: '{part}' is not an index of a {len(node)}-item list")
            if last:
                node[int(part)] = value
            else:
                node = node[int(part)]
            continue
        if not isinstance(node, dict):
            raise ConfigError(f"--set {key}: '{parts[i - 1]}' is not a mapping")
        if last:
            node[part] = value
        else:
            if node.get(part) is None:
                node[part] = {}
            node = node[part]


def apply_overrides(data: dict[str, Any], overrides: list[str], source: str = "--set") -> None:
    """Apply `a.b=value` strings in order; values are parsed as YAML scalars/lists."""
    for item in overrides:
        if "=" not in item:
            raise ConfigError(f"--set {item!r}: expected key=value")
        key, raw = item.split("=", 1)
        key = key.strip()
        if not key:
            raise ConfigError(f"--set {item!r}: empty key")
        try:
            value = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError:
            value = raw
        set_dotted(data, key, value)


def _model_at(cls: type[BaseModel], loc: tuple) -> type[BaseModel] | None:
    """The pydantic model class found by walking `loc` (for listing valid keys)."""
    model: Any = cls
    for part in loc:
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        field = model.model_fields.get(str(part))
        if field is None:
            return None
        ann = field.annotation
        model = ann if isinstance(ann, type) and issubclass(ann, BaseModel) else None
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def format_validation_error(exc: ValidationError, cls: type[BaseModel], source: str) -> str:
    """One line for the first error: `source: field 'a.b': what was expected`."""
    err = exc.errors()[0]
    loc = tuple(err["loc"])
    dotted = ".".join(str(p) for p in loc)
    if err["type"] == "extra_forbidden":
        parent = _model_at(cls, loc[:-1])
        known = ", ".join(parent.model_fields) if parent else ""
        hint = f" (known keys: {known})" if known else ""
        return f"{source}: unknown key '{dotted}'{hint}"
    got = err.get("input")
    got_s = "" if isinstance(got, dict) else f" (got {got!r})"
    msg = err["msg"].removeprefix("Value error, ")
    return f"{source}: field '{dotted}': {msg}{got_s}"
