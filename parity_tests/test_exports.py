"""Every re-export ``__init__.py`` of ``scratch`` and ``torch_impl`` lists in ``__all__`` exactly its public names.

``from scratch.functional import *``, ``help(scratch.nn)`` and the reader of the file then agree on the package's
public names. A name added to an ``__init__``'s imports and not to its ``__all__`` (or left in ``__all__`` after its
import went) fails here, with the name.
"""
from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imported_names(path: Path) -> list[str]:
    """The public names an ``__init__`` offers, in order: what it imports by name (``from scratch.nn.linear import
    Linear``; ``from torch.optim import SGD``, a twin that is torch's own) and what it defines itself. A library it
    only uses (``import numpy as np``) is not a re-export."""
    names = []
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.ImportFrom) and node.module != "__future__":
            names += [a.asname or a.name for a in node.names]
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.append(node.name)
    return [n for n in names if not n.startswith("_")]


INITS = sorted(p.relative_to(ROOT).as_posix() for package in ("scratch", "torch_impl")
               for p in (ROOT / package).rglob("__init__.py") if imported_names(p))


@pytest.mark.parametrize("path", INITS)
def test_all_lists_exactly_the_reexported_names(path):
    module = importlib.import_module(path.removesuffix("/__init__.py").replace("/", "."))
    imported = imported_names(ROOT / path)
    assert hasattr(module, "__all__"), f"{path} re-exports {imported} but has no __all__"
    missing = [n for n in imported if n not in module.__all__]
    extra = [n for n in module.__all__ if n not in imported]
    assert not missing and not extra, f"{path}: __all__ lacks {missing}, lists {extra} that it does not import"
    assert len(set(module.__all__)) == len(module.__all__), f"{path}: __all__ repeats a name"
    for name in module.__all__:
        assert hasattr(module, name), f"{path}: __all__ names {name!r}, which the package does not have"
