"""Defaults for the scan's flags, from the repository: `.kaze-policy.toml`, or the
`[tool.kaze-policy]` table of `pyproject.toml`, as Conftest and Checkov read theirs.

Found in the current folder or the nearest one above it, up to the repository's root (the
folder holding .git; outside a repository, the current folder only): a file outside the
repository is not the repository's choice. Keys are
the scan's long option names (`fail-on = "high"`, `skip-control = ["KZ-SUP-*"]`); a flag given
on the command line wins. An unknown key or a value of the wrong type is bad input naming the
file: a typo in the file must not silently leave a default in force.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import click

from kaze_policy.errors import InputError

DEFAULTS_FILE = ".kaze-policy.toml"
PYPROJECT = "pyproject.toml"
# The scan's options a file may not set: the paths are the command's own business.
_NOT_FROM_FILE = frozenset({"paths"})
# A defaults file is a few lines; past this it is not one.
MAX_DEFAULTS_BYTES = 1024 * 1024


def find_defaults(start: Path) -> tuple[Path, dict[str, Any]] | None:
    """The nearest defaults file in or above `start` (up to the folder holding .git) and its
    table, or None. In one folder .kaze-policy.toml wins over pyproject.toml; a pyproject.toml
    without a [tool.kaze-policy] table is passed over. Outside a repository only `start` is
    looked in: a file somewhere above (in /tmp, a home folder) is nobody's choice for this scan."""
    for folder in _folders(start):
        own = folder / DEFAULTS_FILE
        if own.is_file():
            return own, _read(own)
        pyproject = folder / PYPROJECT
        if pyproject.is_file():
            table = _read(pyproject).get("tool", {})
            table = table.get("kaze-policy") if isinstance(table, dict) else None
            if table is not None:
                if not isinstance(table, dict):
                    raise InputError("[tool.kaze-policy] must be a table", str(pyproject))
                return pyproject, table
    return None


def _folders(start: Path) -> list[Path]:
    """`start` and its parents up to the repository's root; `start` alone outside a repository."""
    folders = []
    for folder in [start, *start.parents]:
        folders.append(folder)
        if (folder / ".git").exists():
            return folders
    return [start]


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_DEFAULTS_BYTES + 1)
    except OSError as err:
        raise InputError(f"cannot read: {err.strerror or err}", str(path)) from None
    if len(data) > MAX_DEFAULTS_BYTES:
        raise InputError(f"a defaults file is at most {MAX_DEFAULTS_BYTES} bytes", str(path))
    try:
        return tomllib.loads(data.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise InputError(f"invalid TOML: {err}", str(path)) from None


def scan_defaults(command: click.Command, start: Path) -> dict[str, Any]:
    """The defaults for `command` (click's default_map for it), checked against its options."""
    found = find_defaults(start)
    if found is None:
        return {}
    path, table = found
    options = _options_by_key(command)
    defaults: dict[str, Any] = {}
    for key, value in table.items():
        param = options.get(key)
        if param is None:
            known = ", ".join(sorted(options))
            raise InputError(f"unknown key {key!r} (known: {known})", _shown(path))
        defaults[str(param.name)] = _checked(param, key, value, path)
    return defaults


def _shown(path: Path) -> str:
    return str(path) if path.name == DEFAULTS_FILE else f"{path} [tool.kaze-policy]"


def _options_by_key(command: click.Command) -> dict[str, click.Option]:
    """Each option under its long name without dashes: `fail-on`, `skip-control`, `progress`."""
    out: dict[str, click.Option] = {}
    for param in command.params:
        if isinstance(param, click.Option) and param.name not in _NOT_FROM_FILE:
            longs = [o[2:] for o in param.opts if o.startswith("--")]
            if longs:
                out[longs[0]] = param
    return out


def _checked(param: click.Option, key: str, value: Any, path: Path) -> Any:
    """The value as the command line would have given it; a wrong type is bad input."""
    shown = _shown(path)
    if param.multiple:
        if not isinstance(value, list) or not all(isinstance(v, (str, int)) and not isinstance(v, bool)
                                                  for v in value):
            raise InputError(f"{key}: expected a list of strings", shown)
        return [_one(param, key, v, path) for v in value]
    if isinstance(param.type, click.types.BoolParamType):
        if not isinstance(value, bool):
            raise InputError(f"{key}: expected true or false", shown)
        return value
    return _one(param, key, value, path)


def _one(param: click.Option, key: str, value: Any, path: Path) -> Any:
    shown = _shown(path)
    numeric = isinstance(param.type, (click.types.IntParamType, click.types.FloatParamType))
    if numeric and (not isinstance(value, int) or isinstance(value, bool)):
        raise InputError(f"{key}: expected a number", shown)
    if not numeric and not isinstance(value, str):
        raise InputError(f"{key}: expected a string", shown)
    if isinstance(param.type, click.Path):
        # A path in the file means a path next to the file, wherever the scan is started.
        value = str(path.parent / value)
    try:
        return param.type.convert(value, param, None)
    except click.BadParameter as err:
        raise InputError(f"{key}: {' '.join(err.format_message().split())}", shown) from None
