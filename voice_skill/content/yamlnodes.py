"""YAML read at the edge into plain values that remember their line, so content errors name file:line."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from ..errors import ContentError

# libyaml's parser is several times faster than the pure-Python one; both give the same nodes.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Located:
    """A YAML value with where it came from."""

    value: object
    """str, int, float, bool, None, list[Located] or dict[str, Located]."""
    origin: str
    """'file:line' of the value's first character (lines count from 1)."""
    key_origin: str = ""
    """'file:line' of the key a mapping value is stored under ('' elsewhere)."""

    @property
    def where(self) -> str:
        """Where an editor looks for this entry: its key's line when it has one."""
        return self.key_origin or self.origin


def _origin(path: Path, node: yaml.Node) -> str:
    return f"{path}:{node.start_mark.line + 1}"


# YAML's own spellings of numbers ("0x1F", "1_000", ".inf", "010") are not Python's: let
# PyYAML's safe constructor read them.
_CONSTRUCTOR = yaml.constructor.SafeConstructor()


def _scalar(node: yaml.ScalarNode) -> object:
    """Only the scalar types the content uses; everything else stays text."""
    kind = node.tag.rsplit(":", 1)[-1]
    if kind == "null":
        return None
    if kind == "bool":
        return _CONSTRUCTOR.construct_yaml_bool(node)
    if kind == "int":
        return _CONSTRUCTOR.construct_yaml_int(node)
    if kind == "float":
        return _CONSTRUCTOR.construct_yaml_float(node)
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
        result[key] = replace(_convert(path, value_node), key_origin=_origin(path, key_node))
    return result


def read_yaml(path: Path) -> Located:
    """Parse one YAML file; syntax errors become one ContentError naming file:line."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ContentError(f"{path}: cannot read ({error.strerror})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise ContentError(f"{path}:{line}: not UTF-8 text (byte {error.start}: "
                           f"{raw[error.start]:#04x})") from None
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise ContentError(f"{where}: malformed YAML: {error.problem or error}") from None
    except yaml.reader.ReaderError as error:
        # Its own message spans two lines and names a character position, not a line.
        line = text.count("\n", 0, error.position) + 1
        code = error.character if isinstance(error.character, int) else ord(error.character)
        raise ContentError(f"{path}:{line}: malformed YAML: character #x{code:04x} is not "
                           f"allowed ({error.reason})") from None
    except yaml.YAMLError as error:
        raise ContentError(f"{path}: malformed YAML: {error}") from None
    if node is None:
        return Located({}, f"{path}:1")
    return _convert(path, node)


def mapping(node: Located, what: str, allowed: set[str]) -> dict[str, Located]:
    """node as a mapping whose keys are all allowed; otherwise one error naming file:line."""
    if not isinstance(node.value, dict):
        raise ContentError(f"{node.origin}: {what} must be a mapping of keys to values")
    for key, value in node.value.items():
        if key not in allowed:
            raise ContentError(f"{value.where}: unknown key {key!r} in {what} "
                               f"(use {', '.join(sorted(allowed))})")
    return node.value
