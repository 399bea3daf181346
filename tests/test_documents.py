"""The derivations the package ships (symparams.documents): current, equal to what derive builds,
printed without SymPy, and never printed when they could be wrong."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys

import pytest
from budget import sample
from hypothesis import given, settings
from hypothesis import strategies as st

from symparams import documents
from symparams.cli import main
from symparams.cli.derive import planned
from symparams.cli.known_documents import documents as built
from symparams.cli.known_documents import names
from symparams.report import FORMATS

REGENERATE = "run: python -m symparams.cli.known_documents"
# Models whose shipped documents the derivations/ test compares with the documents it builds anyway.
IN_DERIVATIONS = {model for _, model, depth, fmt, _ in planned() if depth is None and fmt == "md"}


@pytest.fixture
def shipping(monkeypatch):
    """Shipped documents are on (the suite runs with SYMPARAMS_NO_CACHE=1, which turns them off)."""
    monkeypatch.delenv("SYMPARAMS_NO_CACHE", raising=False)


def _read(name: str) -> dict:
    return json.loads(gzip.decompress(documents.shipped_file(name).read_bytes()))


def test_every_named_model_and_no_other_ships_its_documents_in_every_format_under_this_package(shipping):
    """One file per name ``symparams list`` shows, each made by the package as it is now, holding every format."""
    kept = sorted(p.name.removesuffix(".json.gz") for p in documents.SHIPPED.glob("*.json.gz"))
    assert kept == sorted(names()), REGENERATE
    assert documents.made_under() == documents.package_digest(), REGENERATE
    assert all(_read(n)["name"] == n and set(_read(n)["documents"]) == set(FORMATS) for n in names())


@pytest.mark.parametrize("name", sample(sorted(set(names()) - IN_DERIVATIONS), "shipped documents"))
def test_a_shipped_document_is_what_derive_builds(name, shipping):
    """Every format, for the models derivations/ does not hold (the derivations test checks the others)."""
    assert {fmt: documents.shipped(name, fmt) for fmt in FORMATS} == built(name), REGENERATE


def test_the_names_left_to_this_file_are_few_and_the_rest_are_in_derivations():
    """So the derivations test's comparison, made on documents it builds anyway, covers most names."""
    assert IN_DERIVATIONS <= set(names())
    assert len(set(names()) - IN_DERIVATIONS) < len(IN_DERIVATIONS) / 3


def test_derive_prints_a_shipped_document_without_importing_sympy(tmp_path):
    """A named model's derivation, in a new process with an empty cache: what the built one says, and no SymPy."""
    env = {**os.environ, "SYMPARAMS_CACHE_DIR": str(tmp_path)}
    env.pop("SYMPARAMS_NO_CACHE", None)
    code = ("import sys; from symparams.cli import main; code = main(['derive', 'gpt2', '--format', 'md']); "
            "assert 'sympy' not in sys.modules, 'imported sympy'; sys.exit(code)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout == built("gpt2")["md"]


@pytest.mark.parametrize("argv", [["--depth", "20"], ["--set", "V=50000"], ["--brief"], ["--sections", "total"],
                                  ["--seq", "1024"], ["--format", "md", "--brief"]])
def test_anything_set_is_built_not_shipped(argv, shipping, monkeypatch, capsys):
    """Only the whole document of a name alone is shipped; an option that changes it builds it."""
    monkeypatch.setattr(documents, "shipped", lambda *a: pytest.fail("a shipped document was read"))
    name = "nanochat" if "--depth" in argv else "gpt2"
    assert main(["derive", name, *argv]) == 0
    assert capsys.readouterr().out


def test_a_document_of_another_name_spelling_or_package_is_not_printed(shipping, monkeypatch, tmp_path, capsys):
    """A file under another name (a case-insensitive disk), or made by another package, is not trusted:
    derive builds the document instead."""
    true = documents.shipped_file("gpt2").read_bytes()
    monkeypatch.setattr(documents, "SHIPPED", tmp_path)
    (tmp_path / documents.DIGEST).write_text(documents.package_digest())
    (tmp_path / "GPT2.json.gz").write_bytes(true)
    assert documents.shipped("GPT2", "text") is None
    (tmp_path / "gpt2.json.gz").write_bytes(true)
    assert documents.shipped("gpt2", "text") == built("gpt2")["text"]
    assert documents.shipped("../gpt2", "text") is None
    (tmp_path / documents.DIGEST).write_text("0" * 64)
    assert documents.shipped("gpt2", "text") is None
    assert main(["derive", "gpt2"]) == 0
    assert capsys.readouterr().out == built("gpt2")["text"]


@settings(max_examples=60)
@given(data=st.data())
def test_a_corrupted_shipped_file_is_never_printed(data, tmp_path_factory):
    """Bytes flipped, cut or added anywhere in a shipped file: derive prints the true document or builds it."""
    name = "gpt2"
    true = documents.shipped_file(name).read_bytes()
    raw = bytearray(true)
    how = data.draw(st.sampled_from(["flip", "cut", "add"]))
    at = data.draw(st.integers(0, len(raw) - 1))
    if how == "flip":
        raw[at] ^= data.draw(st.integers(1, 255))
    elif how == "cut":
        del raw[at:]
    else:
        raw[at:at] = data.draw(st.binary(min_size=1, max_size=16))
    folder = tmp_path_factory.mktemp("shipped")
    (folder / documents.DIGEST).write_text(documents.package_digest())
    (folder / f"{name}.json.gz").write_bytes(bytes(raw))
    before = documents.SHIPPED, os.environ.pop("SYMPARAMS_NO_CACHE", None)
    documents.SHIPPED = folder
    try:
        got = documents.shipped(name, "text")
    finally:
        documents.SHIPPED = before[0]
        if before[1] is not None:
            os.environ["SYMPARAMS_NO_CACHE"] = before[1]
    assert got is None or got == json.loads(gzip.decompress(true))["documents"]["text"]
