"""Lazy public names for conduit's packages (PEP 562).

``import conduit`` (and ``conduit.mcp``, ``conduit.agent``...) must stay cheap:
the CLI imports them on every run, and ``openai`` / ``mcp`` cost over a
second each. A package lists ``name -> "module"`` (or ``"module:attribute"``)
and gets ``__getattr__`` / ``__dir__`` that import on first use and cache the
value in the package.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any, Callable


def lazy_exports(package: str, exports: dict[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    def __getattr__(name: str) -> Any:
        target = exports.get(name)
        if target is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module_name, _, attribute = target.partition(":")
        value = getattr(importlib.import_module(module_name), attribute or name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(exports))

    return __getattr__, __dir__
