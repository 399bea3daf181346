"""Start-up targets of issue 17: a cached count and derive, and many configs in one process.

Each is a ratio against a baseline timed in the same run: ``python -c "import sympy"``
for the new-process commands, transformers' meta build for counting many configs.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

from .targets import Result, _ms
from .timing import fresh_env, interleaved, run_command

__all__ = ["cached_start", "known_shape", "shipped_derive", "every_family", "many_configs", "every_command"]

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "configs"
# The preset whose document takes longest to build (measured against import sympy, every preset in one loop).
SLOWEST_DERIVE = "deepseek-v3.2"


def _command() -> list[str]:
    script = Path(sys.executable).with_name("symparams")
    return [str(script)] if script.exists() else [sys.executable, "-m", "symparams"]


def cached_start(rounds: int = 11) -> list[Result]:
    """New processes answered from a warm result cache vs ``import sympy``; the uncached run as information.

    A brief derivation stands for any document the package does not ship (:func:`shipped_derive` times those it does).
    """
    base = _command()
    sympy_only = [sys.executable, "-c", "import sympy"]
    cases = (("count llama-3-8b", ["count", "llama-3-8b"], 0.35),
             ("count of a Llama config.json", ["count", str(FIXTURES / "llama-2-7b.json")], 0.35),
             ("derive llama-2-7b --brief", ["derive", "llama-2-7b", "--brief"], 1.5),
             (f"derive {SLOWEST_DERIVE} --brief", ["derive", SLOWEST_DERIVE, "--brief"], 1.5))
    out = []
    with tempfile.TemporaryDirectory() as pyc, tempfile.TemporaryDirectory() as cache:
        env = {**fresh_env(pyc), "SYMPARAMS_CACHE_DIR": cache}
        env.pop("SYMPARAMS_NO_CACHE", None)
        off = {**env, "SYMPARAMS_NO_CACHE": "1"}
        for label, argv, target in cases:
            fns = {"cached": run_command(base + argv, env), "sympy": run_command(sympy_only, env)}
            for fn in fns.values():
                fn()  # fills the cache and the bytecode
            t = interleaved(fns, rounds, clock=time.perf_counter)
            ratio = t["cached"].best / t["sympy"].best
            out.append(Result(f"{label}, new process, cached result, vs import sympy", ratio, target, True,
                              f"{_ms(t['cached'].best)} vs {_ms(t['sympy'].best)} (best of {rounds})"))
            cold = interleaved({"uncached": run_command(base + argv, off), "sympy": fns["sympy"]}, 3,
                               clock=time.perf_counter)
            out.append(Result("  (the same with the cache off)", cold["uncached"].best / cold["sympy"].best, target,
                              True, f"{_ms(cold['uncached'].best)} (best of 3)", info=True))
    return out


def known_shape(rounds: int = 11) -> list[Result]:
    """Counts that build no tree: a known shape's forms evaluated (symparams.shapes), in a new process.

    Each round starts from an empty cache folder or writes the config afresh (another
    vocabulary), so the result cache never answers: the count is read, checked and
    evaluated from the forms shipped for the presets' shapes, or kept by an earlier count.
    """
    base = _command()
    sympy_only = [sys.executable, "-c", "import sympy"]
    config = json.loads((FIXTURES / "llama-2-7b.json").read_text())
    vocab = iter(range(32_064, 10**9, 64))
    out = []
    with tempfile.TemporaryDirectory() as pyc, tempfile.TemporaryDirectory() as tmp:
        env = {**fresh_env(pyc), "SYMPARAMS_CACHE_DIR": str(Path(tmp) / "cache")}
        env.pop("SYMPARAMS_NO_CACHE", None)
        path = Path(tmp) / "config.json"
        caches = iter(range(10**6))

        def empty_cache() -> None:
            env["SYMPARAMS_CACHE_DIR"] = str(Path(tmp) / f"cache{next(caches)}")

        def fresh(**fields) -> Callable[[], None]:
            def write() -> None:
                path.write_text(json.dumps({**config, **fields, "vocab_size": next(vocab)}))
            return write

        cases = (
            ("count llama-3-8b, new process, empty cache, vs import sympy", ["count", "llama-3-8b"], empty_cache),
            ("count of a new Llama config.json, empty cache, the same", ["count", str(path)], fresh()),
            ("count of a new config.json of a shape a count kept, the same", ["count", str(path)],
             fresh(hidden_act="gelu_new")),
        )
        for label, argv, setup in cases:
            setup()
            fns = {"new": _run_in(base + argv, env), "sympy": run_command(sympy_only, env)}
            for fn in fns.values():
                fn()  # fills the bytecode, and keeps the shape of the last case
            t = interleaved(fns, rounds, clock=time.perf_counter, setup={"new": setup})
            out.append(Result(label, t["new"].best / t["sympy"].best, 0.35, True,
                              f"{_ms(t['new'].best)} vs {_ms(t['sympy'].best)} (best of {rounds})"))
    return out


def shipped_derive(rounds: int = 3) -> list[Result]:
    """``derive NAME`` of every name the package ships a document for, each in a new process with an empty
    cache, vs ``import sympy``: the slowest; and the same with shipped documents off (the document built)."""
    from symparams.cli.known_documents import names

    base = _command()
    sympy_only = [sys.executable, "-c", "import sympy"]
    ratios: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as pyc, tempfile.TemporaryDirectory() as tmp:
        env = {**fresh_env(pyc), "SYMPARAMS_CACHE_DIR": str(Path(tmp) / "cache")}
        env.pop("SYMPARAMS_NO_CACHE", None)
        caches = iter(range(10**6))

        def empty_cache() -> None:
            env["SYMPARAMS_CACHE_DIR"] = str(Path(tmp) / f"cache{next(caches)}")

        sympy = run_command(sympy_only, env)
        for name in names():
            new = _run_in(base + ["derive", name], env)
            new()  # fills the bytecode
            t = interleaved({"new": new, "sympy": sympy}, rounds, clock=time.perf_counter, setup={"new": empty_cache})
            ratios[name] = t["new"].best / t["sympy"].best
        slowest = max(ratios, key=ratios.__getitem__)
        off = {**env, "SYMPARAMS_NO_CACHE": "1"}
        built = interleaved({"built": run_command(base + ["derive", SLOWEST_DERIVE], off), "sympy": sympy}, rounds,
                            clock=time.perf_counter)
    return [Result("derive of each named model, new process, empty cache: the slowest vs import sympy",
                   ratios[slowest], 1.5, True, f"{slowest}; {len(ratios)} models (best of {rounds} each)"),
            Result(f"  (derive {SLOWEST_DERIVE} built, shipped documents and cache off)",
                   built["built"].best / built["sympy"].best, 1.5, True, f"{_ms(built['built'].best)} (best of {rounds})",
                   info=True)]


def every_family(rounds: int = 5) -> list[Result]:
    """``count`` of one real config.json of each model type, new process, empty cache, vs ``import sympy``.

    Each count reads its config written afresh into a cache folder never used, so only the
    forms shipped with the package can answer without a tree. A round counts every model
    type once, each followed by an ``import sympy``; a model type's ratio is its best count
    over the best of the imports timed beside it. Rounds go across all model types, so a
    spell of noise on this shared machine falls on one round of each, not on every round of
    one (the slowest of 81 ratios otherwise picks it up). Reports the slowest model type and
    how many stay within the target.
    """
    base = _command()
    sympy_only = [sys.executable, "-c", "import sympy"]
    firsts: dict[str, Path] = {}
    for path in sorted(FIXTURES.glob("*.json")):
        firsts.setdefault(str(json.loads(path.read_text()).get("model_type")), path)
    counts: dict[str, list[float]] = {}
    imports: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as pyc, tempfile.TemporaryDirectory() as tmp:
        env = {**fresh_env(pyc)}
        env.pop("SYMPARAMS_NO_CACHE", None)
        fresh = iter(range(10**6))
        run_command(sympy_only, env)()
        targets: dict[str, tuple[Path, str]] = {}
        for model_type, path in sorted(firsts.items()):
            target = Path(tmp) / f"m{len(targets)}" / "config.json"
            target.parent.mkdir()
            targets[model_type] = (target, path.read_text())

        def setup(model_type: str) -> Path:
            target, text = targets[model_type]
            env["SYMPARAMS_CACHE_DIR"] = str(Path(tmp) / f"cache{next(fresh)}")
            target.write_text(text)
            return target

        for model_type in list(targets):
            try:
                run_command(base + ["count", str(setup(model_type))], env)()
            except RuntimeError:
                del targets[model_type]
        for _ in range(rounds):
            for model_type in targets:
                count = run_command(base + ["count", str(setup(model_type))], env)
                t = interleaved({"count": count, "sympy": run_command(sympy_only, env)}, 1, clock=time.perf_counter)
                counts.setdefault(model_type, []).append(t["count"].best)
                imports.setdefault(model_type, []).append(t["sympy"].best)
    ratios = {model_type: min(counts[model_type]) / min(imports[model_type]) for model_type in counts}
    slowest = max(ratios, key=ratios.__getitem__)
    within = sum(r <= 0.35 for r in ratios.values())
    over = ", ".join(f"{t} {r:.2f}x" for t, r in sorted(ratios.items(), key=lambda kv: -kv[1]) if r > 0.35)
    middle = sorted(ratios.values())[len(ratios) // 2]
    return [Result("count of each model type's real config.json, new process, empty cache: the slowest",
                   ratios[slowest], 0.35, True,
                   f"{slowest}; {within} of {len(ratios)} model types within 0.35x, the median {middle:.2f}x (best of "
                   f"{rounds} rounds across all model types)" + (f"; over it: {over}" if over else ""))]


def _run_in(argv: list[str], env: dict[str, str]) -> Callable[[], None]:
    """:func:`run_command` reading ``env`` when it runs, so that a setup step can move the cache folder."""
    def run() -> None:
        run_command(argv, env)()
    return run


def many_configs(files: int = 25) -> list[Result]:
    """``symparams count a.json b.json ...`` in one process: 25 files vs one; and vs transformers' meta builds."""
    from symparams.config import read_json
    from symparams.verify import meta_parameters

    base = _command()
    paths = sorted(FIXTURES.glob("*.json"))
    with tempfile.TemporaryDirectory() as pyc, tempfile.TemporaryDirectory() as tmp:
        env = {**fresh_env(pyc), "SYMPARAMS_NO_CACHE": "1"}
        counted = []
        for path in paths:  # the fixtures symparams counts; each copied so nothing is shared by name
            done = run_command(base + ["count", str(path), "--json"], env)
            try:
                done()
            except RuntimeError:
                continue
            counted.append(path)
        chosen = counted[:files]
        copies = []
        for i, path in enumerate(chosen):
            copy = Path(tmp) / f"m{i}" / "config.json"
            copy.parent.mkdir()
            copy.write_text(path.read_text())
            copies.append(str(copy))
        one = run_command(base + ["count", copies[0], "--json"], env)
        many = run_command(base + ["count", *copies, "--json"], env)
        t = interleaved({"one": one, "many": many}, 5, clock=time.perf_counter)
        out = [Result(f"count {len(copies)} config.json files in one process vs one file", t["many"].best / t["one"].best,
                      2.0, True, f"{_ms(t['many'].best)} vs {_ms(t['one'].best)} (best of 5)")]
        extra = (t["many"].best - t["one"].best) / (len(copies) - 1)
        out.append(Result("  (each further file, vs the one-file run)", extra / t["one"].best, 1 / (len(copies) - 1), True,
                          f"{_ms(extra)} per further file", info=True))

        import symparams

        configs = [read_json(p) for p in counted]
        with tempfile.TemporaryDirectory() as cache:
            previous = {k: os.environ.pop(k, None) for k in ("SYMPARAMS_NO_CACHE", "SYMPARAMS_CACHE_DIR")}
            os.environ["SYMPARAMS_CACHE_DIR"] = cache  # empty: only the forms shipped with the package
            try:
                start = time.perf_counter()
                ours = [symparams.count(p)["total"] for p in counted]
                ours_time = time.perf_counter() - start
                start = time.perf_counter()
                again = [symparams.count(p)["total"] for p in counted]
                again_time = time.perf_counter() - start
            finally:
                for k, v in previous.items():
                    os.environ.pop(k, None)
                    if v is not None:
                        os.environ[k] = v
        start = time.perf_counter()
        trees = [symparams.model(str(p)).total for p in counted]
        trees_time = time.perf_counter() - start
        start = time.perf_counter()
        theirs = [sum(n for _, n in meta_parameters(c, initialise=True, remember=False))  # a plain from_config
                  for c in configs]
        meta_time = time.perf_counter() - start
        if not ours == theirs == again == trees:
            raise AssertionError("symparams and transformers disagree on a fixture config")
        out.append(Result(f"count {len(counted)} real configs in one process vs transformers' meta builds",
                          meta_time / ours_time, 500, False,
                          f"symparams.count {_ms(ours_time)} (first read of each, empty cache), "
                          f"meta {_ms(meta_time)}; totals equal"))
        out.append(Result("  (the same once symparams' modules are loaded: each config read and counted again)",
                          meta_time / again_time, 500, False, f"{_ms(again_time)}", info=True))
        out.append(Result("  (each config's tree built: symparams.model(path).total)",
                          meta_time / trees_time, 500, False, f"{_ms(trees_time)}", info=True))
    return out


# One call of each command that reads a model, as a user would type it.
COMMANDS = (["count", "llama-3-8b"], ["formula", "llama-3-8b"], ["sensitivity", "llama-3-8b"], ["flops", "llama-3-8b"],
            ["memory", "llama-3-8b"], ["optimal", "--compute", "1e21", "nanochat"], ["derive", "llama-3-8b"],
            ["latex", "llama-3-8b"], ["list"])


def every_command(rounds: int = 3) -> list[Result]:
    """What each command costs in a new process with the result cache off, against ``import sympy``: information
    beside the targets, which time count and derive."""
    base = _command()
    out = []
    with tempfile.TemporaryDirectory() as pyc:
        env = {**fresh_env(pyc), "SYMPARAMS_NO_CACHE": "1"}
        sympy_only = run_command([sys.executable, "-c", "import sympy"], env)
        for argv in COMMANDS:
            command = run_command(base + argv, env)
            command()  # the bytecode
            t = interleaved({"command": command, "sympy": sympy_only}, rounds, clock=time.perf_counter)
            out.append(Result(f"symparams {' '.join(argv)}, new process, cache off, vs import sympy",
                              t["command"].best / t["sympy"].best, 1.5, True,
                              f"{_ms(t['command'].best)} vs {_ms(t['sympy'].best)} (best of {rounds})", info=True))
    return out
