"""A cache of the command line's results, so a repeated count starts without SymPy.

Importing SymPy costs most of a cold command's time. What ``count`` or ``formula``
prints is a pure function of its arguments, the input files they name and the
installed symparams, so the printed text is kept in the user's cache directory,
keyed by a hash of all three, and printed again next time without building anything.

An entry is trusted only when every check passes, else it is rebuilt from the model:

* its key is the SHA-256 of the symparams version, every package file's path, size
  and modification time (so an edited or upgraded package misses), the command's
  arguments, and the bytes and absolute path of any file the model name points to;
* its text carries an HMAC under a random secret made for this cache directory
  (readable by its owner only), so a corrupted, truncated or edited entry fails;
* a model name that is not a local file and not a name inside the package (a Hub id)
  is never cached, since what it resolves to can change under the same name.

The same store keeps, by key, other JSON data the package trusts under the same HMAC: the
forms of a model's shape (:mod:`symparams.shapes`), keyed by the package digest and the shape.

``SYMPARAMS_CACHE_DIR`` moves the cache; ``SYMPARAMS_NO_CACHE=1`` turns it off. A
cache that cannot be read or written is skipped without a word: it only saves time.
This module imports nothing beyond the standard library.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import os
import sys
from pathlib import Path
from typing import Iterable

__all__ = ["cache_dir", "code_digest", "input_identity", "lookup", "store", "lookup_data", "store_data", "key_for",
           "MAX_ENTRIES"]

PACKAGE = Path(__file__).resolve().parent
# Above this many entries, the older half is removed when a new one is written.
MAX_ENTRIES = 512
# Input files larger than this are not hashed for the cache (configs are kilobytes).
MAX_INPUT_BYTES = 8 << 20


def cache_dir() -> Path | None:
    """Where entries live, or None when caching is off: the platform's user cache folder by default."""
    env = os.environ
    if env.get("SYMPARAMS_NO_CACHE", "") not in ("", "0"):
        return None
    given = env.get("SYMPARAMS_CACHE_DIR")
    if given:
        return _path(given)
    return _default_dir(sys.platform, tuple(env.get(k) for k in _HOMES.get(sys.platform, _HOMES["posix"])))


# What sets the default folder on each platform: its own variable, then those ``expanduser`` reads.
_HOMES = {"win32": ("LOCALAPPDATA", "USERPROFILE", "HOMEDRIVE", "HOMEPATH"), "darwin": ("HOME",),
          "posix": ("XDG_CACHE_HOME", "HOME")}


@functools.lru_cache(maxsize=16)
def _path(given: str) -> Path:
    return Path(given)


@functools.lru_cache(maxsize=16)
def _default_dir(platform: str, variables: tuple[str | None, ...]) -> Path:
    """The platform's user cache folder, kept by the variables that set it (and those ``expanduser`` reads): a count
    asks for it twice."""
    if platform == "win32":
        base = variables[0] or os.path.expanduser("~/AppData/Local")
    elif platform == "darwin":
        base = os.path.expanduser("~/Library/Caches")
    else:
        base = variables[0] or os.path.expanduser("~/.cache")
    return Path(base) / "symparams"


def code_digest() -> str:
    """The installed package as it is now: version, and every file's path, size and mtime."""
    from . import __version__

    return hashlib.sha256(f"{__version__}\0{_files_digest()}".encode()).hexdigest()


@functools.lru_cache(maxsize=1)
def _files_digest() -> str:
    """Every package file's path, size and mtime, hashed; read once per process."""
    lines: list[str] = []
    folders = [(str(PACKAGE), "")]
    while folders:
        folder, prefix = folders.pop()
        with os.scandir(folder) as found:
            entries = sorted(found, key=lambda entry: entry.name)
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if entry.name != "__pycache__":
                    folders.append((entry.path, f"{prefix}{entry.name}/"))
                continue
            st = entry.stat()
            lines.append(f"{prefix}{entry.name}\0{st.st_size}\0{st.st_mtime_ns}\n")
    return hashlib.sha256("".join(lines).encode("utf-8", "surrogatepass")).hexdigest()


def input_identity(name: object) -> str | None:
    """What a model name stands for, as text to hash; None when it cannot be pinned down cheaply.

    A name on disk is its absolute path and its bytes (a folder: its config.json's);
    a name not on disk and shaped like a package name (a family or preset, no separator)
    is itself, since the package digest covers what it resolves to.
    """
    if not isinstance(name, str) or "\0" in name:
        return None
    if os.path.exists(name):
        path = os.path.join(name, "config.json") if os.path.isdir(name) else name
        try:
            if not os.path.isfile(path) or os.path.getsize(path) > MAX_INPUT_BYTES:
                return None
            data = Path(path).read_bytes()
        except OSError:
            return None
        return f"file\0{os.path.abspath(name)}\0{hashlib.sha256(data).hexdigest()}"
    if "/" in name or os.sep in name or name.startswith(".") or name.endswith((".json", ".safetensors", ".gguf")):
        return None
    return f"name\0{name}"


def key_for(command: str, arguments: Iterable[tuple[str, object]], models: Iterable[object]) -> str | None:
    """The entry key of a command run, or None when some input cannot be cached."""
    if cache_dir() is None:
        return None
    parts = [command, code_digest()]
    for name in models:
        ident = input_identity(name)
        if ident is None:
            return None
        parts.append(ident)
    parts.append(json.dumps(sorted((k, repr(v)) for k, v in arguments)))
    return hashlib.sha256("\0\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def _secret(folder: Path, create: bool) -> bytes | None:
    path = folder / "secret"
    try:
        data = path.read_bytes()
        if len(data) == 32:
            return data
        if not create:
            return None
        path.unlink()
    except FileNotFoundError:
        if not create:
            return None
    folder.mkdir(parents=True, exist_ok=True)
    data = os.urandom(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    return data


def _mac(secret: bytes, key: str, payload: str) -> str:
    return hmac.new(secret, f"{key}\0{payload}".encode(), hashlib.sha256).hexdigest()


def lookup(key: str | None) -> dict | None:
    """The stored result under ``key`` (``{"stdout": ..., "stderr": ...}``), or None if absent or not trustworthy."""
    result = lookup_data(key)
    if not (isinstance(result, dict) and isinstance(result.get("stdout"), str)
            and isinstance(result.get("stderr"), str)):
        return None
    return result


def store(key: str | None, stdout: str, stderr: str = "") -> None:
    """Keep a successful run's output under ``key``; any failure to write is ignored."""
    store_data(key, {"stdout": stdout, "stderr": stderr})


def lookup_data(key: str | None) -> object:
    """The JSON data stored under ``key``, or None if absent or not trustworthy."""
    folder = cache_dir()
    if key is None or folder is None:
        return None
    try:
        secret = _secret(folder, create=False)
        if secret is None:
            return None
        entry = json.loads((folder / f"{key}.json").read_text(encoding="utf-8"))
        payload, mac = entry["payload"], entry["mac"]
        if not (isinstance(payload, str) and isinstance(mac, str) and entry.get("key") == key
                and hmac.compare_digest(mac, _mac(secret, key, payload))):
            return None
        return json.loads(payload)
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None


def store_data(key: str | None, data: object) -> None:
    """Keep JSON ``data`` under ``key``; any failure to write is ignored."""
    folder = cache_dir()
    if key is None or folder is None:
        return
    try:
        secret = _secret(folder, create=True)
        if secret is None:  # pragma: no cover - create=True always gives one
            return
        payload = json.dumps(data)
        entry = json.dumps({"key": key, "payload": payload, "mac": _mac(secret, key, payload)})
        tmp = folder / f".{key}.{os.getpid()}.tmp"
        tmp.write_text(entry, encoding="utf-8")
        os.replace(tmp, folder / f"{key}.json")
        _prune(folder)
    except (OSError, ValueError):
        pass


def _prune(folder: Path) -> None:
    entries = [p for p in folder.iterdir() if p.suffix == ".json"]
    if len(entries) <= MAX_ENTRIES:
        return
    entries.sort(key=lambda p: p.stat().st_mtime_ns)
    for old in entries[: len(entries) // 2]:
        old.unlink(missing_ok=True)
