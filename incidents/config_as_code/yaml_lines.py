"""YAML in and out for configuration files. Reading keeps the line of every mapping, so that an
error can name the line a person has to fix; writing keeps keys in the order the export gives."""
from __future__ import annotations

from typing import Any

import yaml


class LineDict(dict):
    """A mapping read from YAML, with the (1-based) line it starts on and the line of each key."""

    line: int = 0
    key_lines: dict | None = None

    def at(self, key) -> int:
        """The line of `key`'s value, or the mapping's own line for a key the file left out."""
        return (self.key_lines or {}).get(key, self.line)


class _LineLoader(yaml.SafeLoader):
    def construct_mapping(self, node, deep=False):
        mapping = LineDict(super().construct_mapping(node, deep=deep))
        mapping.line = node.start_mark.line + 1
        mapping.key_lines = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, str):
                mapping.key_lines[key] = value_node.start_mark.line + 1
        return mapping


# SafeLoader builds mappings through construct_yaml_map, which fills a plain dict after yielding it;
# registering our own constructor makes every mapping a LineDict, built whole (deep) at once.
_LineLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    lambda loader, node: loader.construct_mapping(node, deep=True),
)


class YamlError(Exception):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


def load(text: str) -> Any:
    """The document, every mapping a LineDict. Raises YamlError for text that is not YAML."""
    try:
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else 0
        raise YamlError(line, f"not valid YAML: {e.problem or e}") from None
    except yaml.YAMLError as e:
        raise YamlError(0, f"not valid YAML: {e}") from None


def dump(document: Any, *, header: str = "") -> str:
    body = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100)
    return header + body
