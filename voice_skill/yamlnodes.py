"""YAML read at the edge into plain values that remember their line, so content errors name file:line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from .errors import ContentError

# libyaml's parser is several times faster than the pure-Python one; both give the same nodes.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Located:
    """A YAML value with where it came from."""

    value: object
    """str, int, float, bool, None, list[Located] or dict[str, Located]."""
    origin: str
    """'file:line' of the value's first character (lines count from 1)."""


def _origin(path: Path, node: yaml.Node) -> str:
    return f"{path}:{node.start_mark.line + 1}"


def _scalar(node: yaml.ScalarNode) -> object:
    """Only the scalar types the content uses; everything else stays text."""
    kind = node.tag.rsplit(":", 1)[-1]
    if kind == "null":
        return None
    if kind == "bool":
        return node.value.lower() in ("true", "yes", "on")
    if kind == "int":
        return int(node.value)
    if kind == "float":
        return float(node.value)
    return node.value


def _convert(path: Path, node: yaml.Node) -> Located:
    origin = _origin(path, node)
    if isinstance(node, yaml.ScalarNode):
        return Located(_scalar(node), origin)
    if isinstance(node, yaml.SequenceNode):
        return Located([_convert(path, item) for item in node.value], origin)
    if isinstance(node, yaml.MappingNode):
        return Located(_mapping(path, node), origin)
    raise ContentError(f"{origin}: unsupported YAML node")


def _mapping(path: Path, node: yaml.MappingNode) -> dict[str, Located]:
    """PyYAML keeps the last of two equal keys silently; an editor's typo deserves an error."""
    result: dict[str, Located] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            raise ContentError(f"{_origin(path, key_node)}: keys must be plain words")
        key = str(key_node.value)
        if key in result:
            raise ContentError(f"{_origin(path, key_node)}: duplicate key {key!r}")
        result[key] = _convert(path, value_node)
    return result


def read_yaml(path: Path) -> Located:
    """Parse one YAML file; syntax errors become one ContentError naming file:line."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ContentError(f"{path}: not UTF-8 text (byte {error.start})") from None
    except OSError as error:
        raise ContentError(f"{path}: cannot read ({error.strerror})") from None
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = f":{mark.line + 1}" if mark else ""
        raise ContentError(f"{path}{line}: malformed YAML: {error.problem or error}") from None
    except yaml.YAMLError as error:
        raise ContentError(f"{path}: malformed YAML: {error}") from None
    if node is None:
        return Located({}, f"{path}:1")
    return _convert(path, node)
