"""Results a run makes once and its pytest-xdist workers share.

Each worker is its own process, so a result kept in memory (``functools.lru_cache``) is made
again by every worker that needs it. A costly one (a model type learned from transformers,
some 5 s) is made by the first worker to ask and written to a folder of the run's own, which
the other workers read back; a lock keeps the second from starting it while the first works.
The folder is made when the run starts (tests/conftest.py) and removed when it ends.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable

FOLDER = "SYMPARAMS_TEST_SHARED"


def start() -> str | None:
    """Make the run's folder, unless a run that started this process made one; the folder made, else None."""
    if os.environ.get(FOLDER):
        return None
    os.environ[FOLDER] = tempfile.mkdtemp(prefix="symparams-tests-")
    return os.environ[FOLDER]


def end(made: str | None) -> None:
    if made:
        shutil.rmtree(made, ignore_errors=True)
        os.environ.pop(FOLDER, None)


def once(name: str, make: Callable[[], str]) -> str:
    """The text ``make`` returns, made once a run: by the first worker that asks, read back by the others."""
    folder = os.environ.get(FOLDER)
    try:
        import fcntl
    except ImportError:  # no POSIX locks (Windows): each worker makes its own
        folder = None
    if not folder or not Path(folder).is_dir():
        return make()
    path = Path(folder) / name
    with open(path.with_name(name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if path.exists():
            return path.read_text(encoding="utf-8")
        text = make()
        part = path.with_name(name + ".part")
        part.write_text(text, encoding="utf-8")
        part.replace(path)
        return text
