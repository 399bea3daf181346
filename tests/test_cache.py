"""The result cache: a cached run prints exactly what a fresh one does, and a bad entry is never trusted.

Every property compares against the same command run with the cache off, so a cache
that kept stale, corrupted or someone else's text would fail here.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symparams import cache
from symparams.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "configs"
CONFIGS = sorted(FIXTURES.glob("*.json"))


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def cache_on(tmp_path, monkeypatch):
    monkeypatch.delenv("SYMPARAMS_NO_CACHE", raising=False)
    monkeypatch.setenv("SYMPARAMS_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def uncached(argv: list[str], monkeypatch) -> tuple[int, str, str]:
    with monkeypatch.context() as m:
        m.setenv("SYMPARAMS_NO_CACHE", "1")
        return run(argv)


ARGVS = [
    ["count", "gpt2"], ["count", "llama-2-7b", "--json"], ["count", "mixtral-8x7b", "--format", "md"],
    ["count", "nanochat", "--depth", "12", "--format", "csv", "--non-embedding"],
    ["count", "nanochat", "--depth", "4", "--set", "H_kv=1", "--format", "tex"],
    ["formula", "llama-2-7b", "--latex"], ["derive", "gpt2", "--brief"],
]


@pytest.mark.parametrize("argv", ARGVS, ids=" ".join)
def test_a_cached_run_prints_byte_for_byte_what_a_fresh_run_prints(argv, cache_on, monkeypatch):
    """First run stores, second replays; both equal the run without the cache, and an entry was written."""
    fresh = uncached(argv, monkeypatch)
    assert fresh[0] == 0
    assert run(argv) == fresh
    assert list(cache_on.glob("*.json"))
    assert run(argv) == fresh


def test_a_failed_run_is_not_kept(cache_on):
    """Errors are never cached: only a run that exits 0 leaves an entry."""
    code, _, err = run(["count", "nanochat", "--depth", "4", "--set", "H=7"])
    assert code == 2 and "does not divide" in err
    assert not list(cache_on.glob("*.json"))


def test_a_changed_config_file_is_counted_again(cache_on, tmp_path, monkeypatch):
    """The key holds the file's bytes: editing config.json in place changes the count printed."""
    config = json.loads(CONFIGS[0].read_text())
    path = tmp_path / "model" / "config.json"
    path.parent.mkdir()
    path.write_text(json.dumps(config))
    first = run(["count", str(path), "--json"])
    config["vocab_size"] = int(config.get("vocab_size") or 32000) + 64
    path.write_text(json.dumps(config))
    second = run(["count", str(path), "--json"])
    assert second == uncached(["count", str(path), "--json"], monkeypatch)
    assert json.loads(first[1])["total"] != json.loads(second[1])["total"]


def test_a_new_package_version_misses(cache_on, monkeypatch):
    """The key holds the package version (and every package file's size and mtime)."""
    argv = ["count", "gpt2", "--json"]
    run(argv)
    key = cache.key_for("count", [("x", 1)], ["gpt2"])
    monkeypatch.setattr("symparams.__version__", "0.0.0-other")
    assert cache.key_for("count", [("x", 1)], ["gpt2"]) != key


@pytest.mark.parametrize("where", ["top.py", "inner/deep/form.json"])
@pytest.mark.parametrize("how", ["edit", "touch", "add", "remove", "rename", "add-compiled"])
def test_an_edited_package_file_changes_the_package_digest_and_compiled_files_do_not(how, where, tmp_path, monkeypatch):
    """A package file edited, touched, added, removed or renamed, at any depth, is a different package to the cache;
    bytecode written into ``__pycache__`` is not."""
    package = tmp_path / "package"
    for name in ("top.py", "inner/mid.py", "inner/deep/form.json", "inner/deep/other.json"):
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text(name)
    target = package / where
    monkeypatch.setattr(cache, "PACKAGE", package)

    def digest() -> str:
        cache._files_digest.cache_clear()
        return cache._files_digest()

    try:
        before = digest()
        assert digest() == before
    finally:
        cache._files_digest.cache_clear()
    if how == "edit":
        target.write_text(target.read_text() + "x")
    elif how == "touch":
        st_ = target.stat()
        os.utime(target, ns=(st_.st_atime_ns, st_.st_mtime_ns + 1_000_000))
    elif how == "add":
        (target.parent / "new.txt").write_text("")
    elif how == "remove":
        target.unlink()
    elif how == "rename":
        target.rename(target.with_name("z" + target.name))
    else:
        (target.parent / "__pycache__").mkdir()
        (target.parent / "__pycache__" / "top.cpython-311.pyc").write_bytes(b"\0")
    try:
        assert (digest() == before) == (how == "add-compiled")
    finally:
        cache._files_digest.cache_clear()

def test_a_hub_id_is_never_cached(cache_on):
    """What a Hub id resolves to can change under the same name, so it has no key."""
    assert cache.key_for("count", [], ["org/model"]) is None
    assert cache.key_for("count", [], ["gpt2"]) is not None


def _corrupt(folder: Path, how: str, where: int, byte: int) -> None:
    entries = sorted(folder.glob("*.json"))
    secret = folder / "secret"
    if how == "flip":
        for entry in entries:
            data = bytearray(entry.read_bytes())
            data[where % len(data)] ^= byte or 1
            entry.write_bytes(bytes(data))
    elif how == "truncate":
        for entry in entries:
            data = entry.read_bytes()
            entry.write_bytes(data[: where % len(data)])
    elif how == "edit":  # a plausible entry with other numbers and a recomputed but wrong MAC
        for entry in entries:
            doc = json.loads(entry.read_text())
            doc["payload"] = doc["payload"].replace("1", "7")
            doc["mac"] = cache._mac(os.urandom(32), doc["key"], doc["payload"])
            entry.write_text(json.dumps(doc))
    elif how == "swap":  # each entry moved under another entry's key
        texts = [e.read_bytes() for e in entries]
        for entry, text in zip(entries, texts[1:] + texts[:1]):
            entry.write_bytes(text)
    elif how == "new-secret":
        secret.write_bytes(os.urandom(32))
    elif how == "short-secret":
        secret.write_bytes(os.urandom(where % 32))
    elif how == "junk":
        for entry in entries:
            entry.write_bytes(bytes([byte]) * (where % 64))


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(how=st.sampled_from(["flip", "truncate", "edit", "swap", "new-secret", "short-secret", "junk"]),
       where=st.integers(0, 10**6), byte=st.integers(0, 255),
       argvs=st.lists(st.sampled_from([tuple(a) for a in ARGVS[:5]]), min_size=2, max_size=3, unique=True))
def test_a_corrupted_or_tampered_cache_is_rebuilt_and_counts_stay_exact(how, where, byte, argvs, tmp_path_factory):
    """Whatever is done to the entries or the secret, every run prints what the uncached run prints."""
    folder = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as m:
        m.setenv("SYMPARAMS_NO_CACHE", "1")
        fresh = {a: run(list(a)) for a in argvs}
        m.delenv("SYMPARAMS_NO_CACHE")
        m.setenv("SYMPARAMS_CACHE_DIR", str(folder))
        for argv in argvs:
            run(list(argv))
        _corrupt(folder, how, where, byte)
        for argv in argvs:
            assert run(list(argv)) == fresh[argv]
            assert run(list(argv)) == fresh[argv]


def test_a_cached_count_starts_without_sympy(tmp_path):
    """In a new process, a count answered from the cache imports neither SymPy nor NumPy (a family sized by
    depth, whose first count builds its tree, so that the first run does)."""
    from symparams.catalog import depth_families

    name = sorted(depth_families())[0]
    env = {**os.environ, "SYMPARAMS_CACHE_DIR": str(tmp_path)}
    env.pop("SYMPARAMS_NO_CACHE", None)
    probe = (f"import sys; from symparams.cli import main; code = main(['count', {name!r}]); "
             "print({m.split('.')[0] for m in sys.modules} & {'sympy', 'numpy'}, code, file=sys.stderr)")
    first = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=300)
    second = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=300)
    assert first.stderr.strip().endswith("{'sympy'} 0")
    assert second.stderr.strip().endswith("set() 0")
    assert first.stdout == second.stdout != ""


def test_many_models_count_in_one_process_one_json_line_each(tmp_path):
    """``count a b c --json``: one JSON object per line, equal to each model's own count; a bad file is
    reported on stderr in one line, the others still counted, and the exit status is 2."""
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    names = [str(CONFIGS[0]), "gpt2", str(bad), str(CONFIGS[-1])]
    code, out, err = run(["count", *names, "--json"])
    lines = out.splitlines()
    assert code == 2 and len(lines) == 3 and len(err.splitlines()) == 1 and "bad.json" in err
    for name, line in zip([n for n in names if n != str(bad)], lines):
        alone = json.loads(run(["count", name, "--json"])[1])
        assert json.loads(line) == alone


def test_many_models_in_text_are_each_models_own_output():
    """Text output of several models is each one's output, separated by a blank line."""
    code, out, _ = run(["count", "gpt2", "opt-125m"])
    assert code == 0
    assert out == run(["count", "gpt2"])[1] + "\n" + run(["count", "opt-125m"])[1]


@settings(max_examples=50, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(st.sampled_from(["SYMPARAMS_NO_CACHE", "SYMPARAMS_CACHE_DIR", "XDG_CACHE_HOME", "HOME"]),
                                st.one_of(st.none(), st.sampled_from(["", "0", "1", "/a", "/b/c", "relative"]))),
                      min_size=1, max_size=8))
def test_the_cache_folder_follows_the_environment_at_every_call(steps, monkeypatch):
    """The folder is kept between calls (a count asks twice), but every change of the variables that set it is
    seen at the next call, in any order of changes."""
    if sys.platform in ("win32", "darwin"):  # pragma: no cover - the folder's rule below is the one for Linux
        return
    for name, value in steps:
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
        env = os.environ
        if env.get("SYMPARAMS_NO_CACHE", "") not in ("", "0"):
            expected = None
        elif env.get("SYMPARAMS_CACHE_DIR"):
            expected = Path(env["SYMPARAMS_CACHE_DIR"])
        else:
            expected = Path(env.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")) / "symparams"
        assert cache.cache_dir() == expected
