"""The performance targets of issues 6 and 17, each a ratio against a baseline timed in the same run.

Each function returns :class:`Result` lines. A baseline written by hand here is
the point of the comparison (what the compiled code must keep up with); every
baseline's numbers are checked equal to symparams' before anything is timed.
"""

from __future__ import annotations

import sys
import tempfile
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Callable

from .timing import fresh_env, interleaved, repeat, run_command

__all__ = ["Result", "vectorised_sweep", "flat_sweeps", "streamed_sweep", "scalar_count", "real_config", "cold_start", "ALL"]

HERE = Path(__file__).parent


@dataclass(frozen=True)
class Result:
    """One line of the report: the measured ratio against its target."""

    name: str
    ratio: float
    target: float
    at_most: bool
    detail: str
    info: bool = False

    @property
    def ok(self) -> bool:
        return self.ratio <= self.target if self.at_most else self.ratio >= self.target

    def line(self) -> str:
        status = "info" if self.info else ("PASS" if self.ok else "FAIL")
        bound = f"<= {self.target:g}x" if self.at_most else f">= {self.target:,g}x"
        return f"{status:4}  {self.name:<58} {self.ratio:>12,.2f}x  target {bound:<10}  {self.detail}"


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:,.2f} ms"


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:,.2f} us"


def vectorised_sweep(rounds: int = 15) -> list[Result]:
    """10^6 nanochat configurations: compiled vs a hand-written NumPy closed form, and vs expr.subs."""
    import numpy as np

    import symparams

    spec = symparams.model("nanochat")
    f = symparams.vectorize(spec)
    widths = np.arange(1, 101) * 640
    grid = {
        "D": widths.reshape(100, 1, 1, 1), "H": (widths // 128).reshape(100, 1, 1, 1),
        "L": np.arange(1, 101).reshape(1, 100, 1, 1), "V": (np.arange(1, 11) * 8192).reshape(1, 1, 10, 1),
        "e": np.arange(1, 11).reshape(1, 1, 1, 10),
    }

    def hand(D, L, V, e, **_):
        return 2*D**2*L*(e + 2) + 2*D*V

    out = []
    got = f(**grid)
    if got.size != 10**6 or not (got == hand(**grid)).all():
        raise AssertionError("compiled and hand-written totals differ on the grid")
    t = interleaved({"compiled": lambda: f(**grid), "numpy": lambda: hand(**grid)}, rounds)
    ratio = t["compiled"].best / t["numpy"].best
    out.append(Result("vectorised sweep, 10^6-config grid, vs hand-written NumPy", ratio, 1.5, True,
                      f"compiled {_ms(t['compiled'].best)}, NumPy {_ms(t['numpy'].best)} (best of {rounds})"))


    form = spec.closed_form
    syms = {s.name: s for s in form.free_symbols}
    sample = [(int(grid["D"].ravel()[i % 100]), int(grid["L"].ravel()[i % 97]), int(grid["V"].ravel()[i % 10]),
               int(grid["e"].ravel()[i % 7])) for i in range(100)]
    for D, L, V, e in sample[:5]:
        if int(form.subs({syms["D"]: D, syms["L"]: L, syms["V"]: V, syms["e"]: e})) != hand(D, L, V, e):
            raise AssertionError("expr.subs and the hand-written closed form differ")

    def subs_all() -> None:
        for D, L, V, e in sample:
            form.subs({syms["D"]: D, syms["L"]: L, syms["V"]: V, syms["e"]: e})

    ts = interleaved({"subs": subs_all}, 3)
    per_config = ts["subs"].best / len(sample)
    ratio = per_config * 10**6 / t["compiled"].best
    out.append(Result("vectorised sweep of 10^6 vs expr.subs per configuration", ratio, 1000, False,
                      f"subs {_us(per_config)} per config (x 10^6 = {per_config * 1e6:,.0f} s)"))
    return out


def _flat_cases(n: int) -> list[tuple[str, str, dict, Callable[..., object]]]:
    """(label, model, inputs, hand-written NumPy closed form) for flat arrays of ``n`` random valid configurations.

    Every entry is valid, so the comparison is like for like: the compiled call
    checks every entry (sizes positive, H | D, H_kv | H, k <= E) and then counts,
    the hand-written form only counts.
    """
    import numpy as np

    rng = np.random.default_rng(0)
    heads = rng.integers(1, 64, n)
    nanochat = {"D": heads * 128, "H": heads, "L": rng.integers(1, 100, n), "V": rng.integers(1_000, 300_000, n),
                "e": rng.integers(1, 8, n)}
    kv = rng.integers(1, 17, n)
    h = kv * rng.integers(1, 9, n)
    # Llama with GQA and the head dimension kept at 128 while width and heads vary (d_h given).
    llama = {"D": h * 128, "H": h, "H_kv": kv, "d_h": 128, "L": rng.integers(1, 128, n),
             "F": rng.integers(1_000, 60_000, n), "V": rng.integers(1_000, 300_000, n)}
    experts = rng.integers(2, 65, n)
    mixtral = {"D": h * 128, "H": h, "H_kv": kv, "L": rng.integers(1, 64, n), "F": rng.integers(1_000, 30_000, n),
               "V": rng.integers(1_000, 300_000, n), "E": experts, "k": rng.integers(1, 3, n)}

    def hand_nanochat(D, L, V, e, **_):
        return 2*D**2*L*(e + 2) + 2*D*V

    def hand_llama(D, H, H_kv, d_h, L, F, V):
        return D*L*(3*F + 2*H*d_h + 2*H_kv*d_h + 2) + 2*D*V + D

    def hand_mixtral(D, H, H_kv, L, F, V, E, k):
        d_h = D // H
        return D*L*(3*E*F + E + 2*H*d_h + 2*H_kv*d_h + 2) + 2*D*V + D

    return [("nanochat", "nanochat", nanochat, hand_nanochat),
            ("Llama GQA, d_h kept", "llama-3-8b", llama, hand_llama),
            ("MoE (Mixtral)", "mixtral-8x7b", mixtral, hand_mixtral)]


def flat_sweeps(rounds: int = 15, n: int = 10**6) -> list[Result]:
    """Flat arrays of 10^6 random configurations, every entry validity-checked, vs the bare hand-written closed form."""
    import symparams

    out = []
    for label, name, inputs, hand in _flat_cases(n):
        f = symparams.vectorize(name)
        if not (f(**inputs) == hand(**inputs)).all():
            raise AssertionError(f"{name}: compiled and hand-written totals differ on flat arrays")
        fns: dict[str, Callable[[], object]] = {"compiled": partial(f, **inputs), "numpy": partial(hand, **inputs)}
        t = interleaved(fns, rounds)
        ratio = t["compiled"].best / t["numpy"].best
        out.append(Result(f"flat 10^6 random configs checked, {label}", ratio, 1.5, True,
                          f"compiled {_ms(t['compiled'].best)} (every entry checked), NumPy "
                          f"{_ms(t['numpy'].best)} (no checks)"))
    return out


class _Discard:
    """A text sink that keeps nothing (the text is still formatted, as for a file)."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


def _stream_grid(depths: int) -> tuple[dict[str, list[int]], Callable[[object, int], None]]:
    """A nanochat grid (width x heads x layers x vocabulary) and a hand-written NumPy streamer of its CSV.

    The hand-written side does what a person would: walk the grid in chunks,
    check H | D, evaluate the closed form and each component, format the rows.
    """
    import numpy as np

    axes = {"D": [128 * k for k in range(1, depths + 1)], "H": list(range(1, 9)), "L": list(range(1, 51)),
            "V": [32768 * k for k in range(1, 26)]}
    values = [np.array(v, dtype=np.int64) for v in axes.values()]
    shape = tuple(len(v) for v in values)
    total = int(np.prod(shape))

    def hand(out, chunk: int) -> None:
        out.write("D,H,L,V,total,wte,blocks,norm_f,lm_head\n")
        line = ",".join(["%d"] * 9) + "\n"
        for lo in range(0, total, chunk):
            index = np.unravel_index(np.arange(lo, min(total, lo + chunk)), shape)
            D, H, L, V = (v[i] for v, i in zip(values, index))
            ok = D % H == 0
            D, H, L, V = D[ok], H[ok], L[ok], V[ok]
            wte = D * V
            blocks = 12 * D * D * L
            cols = [D, H, L, V, blocks + 2 * wte, wte, blocks, np.zeros_like(D), wte]
            for b in range(0, len(D), 1 << 16):
                part = [c[b:b + (1 << 16)] for c in cols]
                out.write((line * len(part[0])) % tuple(np.column_stack(part).ravel().tolist()))

    return axes, hand


def streamed_sweep(rounds: int = 3, depths: int = 100, chunk: int = 1_000_000) -> list[Result]:
    """``sweep --chunk``: configurations per second streamed to CSV, and counted alone, vs hand-written NumPy."""
    import io

    import numpy as np

    import symparams
    from symparams.sweep import Axis, stream

    spec = symparams.model("nanochat")
    small, small_hand = _stream_grid(3)
    ours, theirs = io.StringIO(), io.StringIO()
    stream(spec, [Axis(k, tuple(v)) for k, v in small.items()], 1000, ours)
    small_hand(theirs, 1000)
    if ours.getvalue() != theirs.getvalue():
        raise AssertionError("sweep --chunk and the hand-written NumPy streamer write different CSV")
    axes, hand = _stream_grid(depths)
    grid = [Axis(k, tuple(v)) for k, v in axes.items()]
    n = int(np.prod([len(v) for v in axes.values()]))
    t = interleaved({"symparams": lambda: stream(spec, grid, chunk, _Discard()),
                     "numpy": lambda: hand(_Discard(), chunk)}, rounds, clock=time.perf_counter)
    rate, base = n / t["symparams"].best, n / t["numpy"].best
    out = [Result(f"sweep --chunk to CSV, {n / 1e6:g}M-config grid, vs hand-written NumPy", base / rate, 1.5, True,
                  f"{rate / 1e6:,.2f}M configs/s, NumPy {base / 1e6:,.2f}M/s (checks, counts, CSV text; "
                  f"10^9 in {1e9 / rate / 60:,.0f} min)")]

    f = symparams.vectorize(spec)
    values = [np.array(v, dtype=np.int64) for v in axes.values()]
    shape = tuple(len(v) for v in values)

    def count_only() -> None:
        for lo in range(0, n, chunk):
            index = np.unravel_index(np.arange(lo, min(n, lo + chunk)), shape)
            f.evaluate({k: v[i] for k, v, i in zip(axes, values, index)}, ("total",), invalid="mask")

    def count_hand() -> None:
        for lo in range(0, n, chunk):
            index = np.unravel_index(np.arange(lo, min(n, lo + chunk)), shape)
            D, H, L, V = (v[i] for v, i in zip(values, index))
            ok = D % H == 0
            D, L, V = D[ok], L[ok], V[ok]
            12 * D * D * L + 2 * D * V

    tc = interleaved({"symparams": count_only, "numpy": count_hand}, rounds, clock=time.perf_counter)
    crate, cbase = n / tc["symparams"].best, n / tc["numpy"].best
    out.append(Result("  (the same grid counted and checked, no output)", cbase / crate, 1.5, True,
                      f"{crate / 1e6:,.1f}M configs/s, NumPy {cbase / 1e6:,.1f}M/s (10^9 in "
                      f"{1e9 / crate:,.0f} s)", info=True))
    return out


def scalar_count(rounds: int = 15, number: int = 20_000) -> list[Result]:
    """One exact count in a warm process: count_fn vs a hand-written Python function of the closed form."""
    import symparams

    count = symparams.count_fn("nanochat")

    def hand(V, D, L, e):
        return 2*D**2*L*(e + 2) + 2*D*V

    if count(V=65536, D=1280, L=20, H=10, e=4) != hand(V=65536, D=1280, L=20, e=4):
        raise AssertionError("count_fn and the hand-written closed form differ")
    t = interleaved({
        "compiled": repeat(lambda: count(V=65536, D=1280, L=20, H=10, e=4), number),
        "python": repeat(lambda: hand(V=65536, D=1280, L=20, e=4), number),
    }, rounds)
    ratio = t["compiled"].best / t["python"].best
    return [Result("single exact count, warm, vs hand-written Python", ratio, 3, True,
                   f"count_fn {_us(t['compiled'].best / number)}, Python {_us(t['python'].best / number)} per call "
                   f"(checks H | D too)")]


def _llama_config() -> Path:
    from symparams.presets import PRESETS

    return PRESETS.get("llama-2-70b") or HERE / "fixtures" / "llama-2-70b.json"


def real_config(rounds: int = 8, per_round: int = 5) -> list[Result]:
    """Llama-2-70B config.json: symparams' exact count vs transformers building it on the meta device.

    Both sides run warm (libraries imported, one untimed run each), in
    alternating rounds: transformers builds the model once, then symparams counts
    ``per_round`` files in a row, as a process counting configs does. So that no
    count re-reads a result SymPy memoised earlier, every file differs: the
    Llama-2-70B config with ``vocab_size`` moved by one each time.
    """
    import json

    import symparams
    from symparams.config import read_json
    from symparams.verify import meta_parameters

    path = _llama_config()
    config = read_json(path)
    ours = symparams.model(str(path)).total
    theirs = sum(n for _, n in meta_parameters(config))
    if ours != theirs:
        raise AssertionError(f"Llama-2-70B: symparams {ours:,} != transformers {theirs:,}")
    with tempfile.TemporaryDirectory() as tmp:
        variants = []
        for i in range(1, rounds * per_round + 1):
            variant = Path(tmp) / f"llama-2-70b-v{i}" / "config.json"
            variant.parent.mkdir()
            variant.write_text(json.dumps({**config, "vocab_size": config["vocab_size"] + i}))
            variants.append(str(variant))
        todo = iter(variants)
        fns: dict[str, Callable[[], object]] = {"meta": lambda: meta_parameters(config, initialise=True, remember=False)}
        fns.update({f"symparams {i}": lambda: symparams.model(next(todo)).total for i in range(per_round)})
        t = interleaved(fns, rounds, clock=time.perf_counter)
    best = min(stats.best for name, stats in t.items() if name != "meta")
    ratio = t["meta"].best / best
    return [Result("count Llama-2-70B config.json vs transformers on meta device", ratio, 100, False,
                   f"symparams {_ms(best)} (read JSON, build tree, exact total), meta {_ms(t['meta'].best)}; "
                   f"both {ours:,}")]


def cold_start(rounds: int = 11) -> list[Result]:
    """``symparams count nanochat --depth 20`` in a new process vs ``python -c "import sympy"``, the result
    cache off: a cold start builds the model (``cached_start`` times the cached answer)."""
    script = Path(sys.executable).with_name("symparams")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "symparams"]
    count = command + ["count", "nanochat", "--depth", "20"]
    sympy_only = [sys.executable, "-c", "import sympy"]
    out = []
    with tempfile.TemporaryDirectory() as cache:
        for label, env, info in (("bytecode cached", fresh_env(cache), False),
                                 ("environment as is", fresh_env(None), True)):
            env = {**env, "SYMPARAMS_NO_CACHE": "1"}
            fns = {"symparams": run_command(count, env), "sympy": run_command(sympy_only, env)}
            for fn in fns.values():
                fn()
            t = interleaved(fns, rounds, clock=time.perf_counter)
            ratio = t["symparams"].best / t["sympy"].best
            out.append(Result(f"CLI cold start (no result cache) vs import sympy, {label}", ratio, 1.5, True,
                              f"count {_ms(t['symparams'].best)}, import sympy {_ms(t['sympy'].best)} "
                              f"(best of {rounds}; medians {_ms(t['symparams'].median)} / {_ms(t['sympy'].median)})",
                              info=info))
    return out


ALL = (vectorised_sweep, flat_sweeps, streamed_sweep, scalar_count, real_config, cold_start)
