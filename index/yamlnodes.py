"""Line-aware YAML reading: values together with the line each one starts on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml


class YamlSyntax(Exception):
    """A YAML document that does not parse; carries the 1-based line."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass
class Located:
    """A parsed value, its YAML node and the 1-based line it starts on."""

    value: Any
    node: yaml.Node | None
    line: int

    def raw(self) -> str | None:
        """The scalar exactly as written in the file (None for non-scalars)."""
        return self.node.value if isinstance(self.node, yaml.ScalarNode) else None


class _Loader(yaml.SafeLoader):
    """SafeLoader that keeps dates as written (they are checked, not trusted)."""


_Loader.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))


def parse(text: str, line_offset: int = 0) -> Located:
    """Parse one YAML document; raise YamlSyntax with the real line on errors."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            _refuse_duplicate_keys(node, line_offset)
        value = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        # an unclosed quote or bracket is found only at the end of the file: name the line it opened on
        ends = "end of stream" in str(exc.problem or "")
        mark = (exc.context_mark if ends else None) or exc.problem_mark or exc.context_mark
        line = (mark.line + 1 if mark else 1) + line_offset
        msg = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        raise YamlSyntax(line, f"YAML syntax error: {msg or exc}") from None
    except (yaml.YAMLError, ValueError, TypeError) as exc:
        raise YamlSyntax(1 + line_offset, f"YAML syntax error: {exc}") from None
    finally:
        loader.dispose()
    line = node.start_mark.line + 1 + line_offset if node is not None else 1 + line_offset
    return Located(value, node, line)


def _refuse_duplicate_keys(node: yaml.Node, line_offset: int) -> None:
    """YamlSyntax for a key written twice in one mapping: the later value would silently win."""
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for knode, vnode in node.value:
            if isinstance(knode, yaml.ScalarNode):
                line = knode.start_mark.line + 1 + line_offset
                if knode.value in seen:
                    raise YamlSyntax(line, f"key '{knode.value}' appears twice in one mapping "
                                           f"(first on line {seen[knode.value]})")
                seen[knode.value] = line
            _refuse_duplicate_keys(vnode, line_offset)
    elif isinstance(node, yaml.SequenceNode):
        for child in node.value:
            _refuse_duplicate_keys(child, line_offset)


def items(loc: Located, line_offset: int = 0) -> list[Located]:
    """The elements of a YAML sequence with their lines."""
    if not isinstance(loc.node, yaml.SequenceNode) or not isinstance(loc.value, list):
        return []
    return [
        Located(v, n, n.start_mark.line + 1 + line_offset)
        for v, n in zip(loc.value, loc.node.value, strict=False)
    ]


def fields(loc: Located, line_offset: int = 0) -> dict[str, Located]:
    """The entries of a YAML mapping keyed by their (string) key, with the value's line."""
    out: dict[str, Located] = {}
    if not isinstance(loc.node, yaml.MappingNode) or not isinstance(loc.value, dict):
        return out
    for knode, vnode in loc.node.value:
        key = knode.value if isinstance(knode, yaml.ScalarNode) else str(knode)
        if key in loc.value:
            out[str(key)] = Located(loc.value[key], vnode, knode.start_mark.line + 1 + line_offset)
    return out
