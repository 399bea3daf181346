"""Sweeps: every combination of a few size grids, counted exactly in one vectorised call.

A sweep is the outer product of its axes (``depth=4:32:4``, ``H_kv=1,2,4``...).
Each axis is laid along its own array dimension and NumPy broadcasting forms the
combinations, so a million configurations cost one pass of the compiled closed
form (:mod:`symparams.compiled`), not a million SymPy substitutions.

``depth`` is an axis for the depth-sized families: each depth is built by the
family itself (nanochat: D = 64*depth, H = ceil(D/128), L = depth), and any
other axis then overrides what that depth set.

The rule for invalid combinations: a combination that does not describe a
buildable model (H not dividing D, H_kv not dividing H, e*D not whole, top-k
above the experts, ...) is skipped and counted under the first rule it breaks;
the sweep goes on. Values that are never valid (zero, negative, a fraction for a
whole-number size) are errors, as is a grid beyond :data:`MAX_COMBINATIONS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import IO, TYPE_CHECKING, Any, Callable, Sequence

from .errors import SymparamsError
from .spec import Spec

if TYPE_CHECKING:  # pragma: no cover
    import numpy

__all__ = ["Axis", "Sweep", "Streamed", "parse_axis", "sweep", "stream", "MAX_COMBINATIONS", "MAX_STREAMED",
           "MAX_CHUNK", "MAX_AXIS", "write", "needs_pyarrow"]

MAX_COMBINATIONS = 1_000_000
MAX_STREAMED = 10_000_000_000
MAX_CHUNK = 10_000_000
MAX_AXIS = 100_000
FORMATS = ("csv", "json", "npy")
STREAMED_FORMATS = ("csv", "parquet")


@dataclass(frozen=True)
class Axis:
    """One grid: a name and its values (ints, or Fractions for a rational symbol)."""

    name: str
    values: tuple[int | Fraction, ...]


def _number(text: str, where: str) -> Fraction:
    from .parse import parse_number

    try:
        value = parse_number(text.strip())
    except SymparamsError as err:
        raise SymparamsError(f"--grid {where}: {err}") from None
    return Fraction(int(value.p), int(value.q))


def parse_axis(text: str) -> Axis:
    """``NAME=START:STOP[:STEP]`` (STOP included when reached), ``NAME=A,B,C`` or ``NAME=VALUE``.

    >>> parse_axis("depth=4:12:4")
    Axis(name='depth', values=(4, 8, 12))
    >>> parse_axis("e=2:3:1/2").values
    (2, Fraction(5, 2), 3)
    """
    name, eq, spec = text.partition("=")
    name = name.strip()
    if not eq or not name or not spec.strip():
        raise SymparamsError(f"--grid expects NAME=START:STOP[:STEP] or NAME=A,B,C, got {text!r}")
    if ":" in spec:
        parts = spec.split(":")
        if len(parts) not in (2, 3):
            raise SymparamsError(f"--grid {name}: expected START:STOP[:STEP], got {spec!r}")
        start, stop = _number(parts[0], name), _number(parts[1], name)
        step = _number(parts[2], name) if len(parts) == 3 else Fraction(1)
        if step <= 0:
            raise SymparamsError(f"--grid {name}: STEP must be positive, got {step}")
        if stop < start:
            raise SymparamsError(f"--grid {name}: STOP {stop} is below START {start}")
        count = int((stop - start) // step) + 1
        if count > MAX_AXIS:
            raise SymparamsError(f"--grid {name} has {count:,} values; at most {MAX_AXIS:,} per axis")
        values = [start + i * step for i in range(count)]
    else:
        values = [_number(v, name) for v in spec.split(",") if v.strip()]
        if len(values) > MAX_AXIS:
            raise SymparamsError(f"--grid {name} has {len(values):,} values; at most {MAX_AXIS:,} per axis")
    if not values:
        raise SymparamsError(f"--grid {name}: no values")
    if len(set(values)) != len(values):
        raise SymparamsError(f"--grid {name}: a value is listed twice")
    return Axis(name, tuple(int(v) if v.denominator == 1 else v for v in values))


@dataclass(frozen=True)
class Sweep:
    """The valid combinations of a sweep: one column per axis, then the total and each component."""

    model: str
    formula: str
    axes: tuple[Axis, ...]
    columns: dict[str, Any]
    counts: tuple[str, ...]
    combinations: int
    skipped: dict[str, int]

    @property
    def rows(self) -> int:
        return self.combinations - sum(self.skipped.values())

    def records(self) -> list[dict[str, int | str]]:
        """The rows as dicts (fractions as text such as '8/3')."""
        names = list(self.columns)
        cols = [_plain(self.columns[n]) for n in names]
        return [dict(zip(names, row)) for row in zip(*cols)]

    def summary(self) -> str:
        """One line for stderr: how many combinations, how many skipped and why."""
        return _summary(self.combinations, self.rows, self.skipped)


def _summary(combinations: int, rows: int, skipped: dict[str, int]) -> str:
    n_skip = sum(skipped.values())
    line = f"{combinations:,} combinations, {rows:,} valid"
    if n_skip:
        why = "; ".join(f"{n:,} where {reason}" for reason, n in skipped.items())
        line += f"; skipped {n_skip:,} invalid combination{'s' * (n_skip != 1)} ({why})"
    return line


@dataclass(frozen=True)
class Streamed:
    """What a streamed sweep wrote: its rows went to the output chunk by chunk, only the tally is kept."""

    model: str
    combinations: int
    rows: int
    skipped: dict[str, int]

    def summary(self) -> str:
        """One line for stderr, the same as :meth:`Sweep.summary` gives for the same grid."""
        return _summary(self.combinations, self.rows, self.skipped)


def _plain(column) -> list:
    import numpy as np

    if isinstance(column, np.ndarray) and column.dtype != object:
        return column.tolist()
    return [int(v) if isinstance(v, int) or getattr(v, "denominator", 1) == 1 else str(v) for v in column]


def _check_value(axis: Axis, rational: bool) -> None:
    for v in axis.values:
        if v <= 0:
            raise SymparamsError(f"--grid {axis.name}: {v} is not positive")
        if not rational and not isinstance(v, int):
            raise SymparamsError(f"--grid {axis.name}: {v} is not a whole number")


def _ints(values) -> "numpy.ndarray":
    """Whole numbers as an int64 array, or as Python ints (object array) where one would not fit."""
    import numpy as np

    values = [int(v) for v in values]
    return np.array(values, dtype=object if any(abs(v) > 2**62 for v in values) else np.int64)


def _axis_array(axis: Axis, position: int, ndim: int):
    """The axis's values as an array along dimension ``position`` (a pair for fractions)."""

    shape = [1] * ndim
    shape[position] = len(axis.values)
    if all(isinstance(v, int) for v in axis.values):
        return _ints(axis.values).reshape(shape)
    fr = [Fraction(v) for v in axis.values]
    return _ints(f.numerator for f in fr).reshape(shape), _ints(f.denominator for f in fr).reshape(shape)


@dataclass(frozen=True)
class _Grid:
    """A sweep ready to evaluate: its model, axes and inputs laid along the grid's dimensions."""

    name: str
    base: Spec
    axes: tuple[Axis, ...]
    inputs: dict[str, Any]
    total: int

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(a.values) for a in self.axes)


def _prepare(model: Spec | Callable[..., Spec], axes: Sequence[Axis], limit: int) -> _Grid:
    """Check the axes against the model and lay each input along its axis (a pair for fractions)."""
    from .compiled.vector import Vectorized

    builder: Callable[..., Spec] | None = None if isinstance(model, Spec) else model
    if builder is not None and not callable(builder):
        raise SymparamsError(f"expected a model (a Spec) or a builder from depth to Spec, got {type(model).__name__}")
    axes = tuple(axes)
    if not axes:
        raise SymparamsError("give at least one --grid NAME=START:STOP[:STEP]")
    seen = [a.name for a in axes]
    for a in axes:
        if seen.count(a.name) > 1:
            raise SymparamsError(f"--grid {a.name} given twice")
    total = 1
    for a in axes:
        total *= len(a.values)
    if total > limit:
        hint = "narrow an axis or raise its STEP" if limit == MAX_STREAMED else \
            f"narrow an axis, raise its STEP, or stream it with --chunk, up to {MAX_STREAMED:,}"
        raise SymparamsError(f"the grid has {total:,} combinations; at most {limit:,} ({hint})")
    by_depth = next((a for a in axes if a.name == "depth"), None)
    if by_depth is not None:
        if builder is None:
            assert isinstance(model, Spec)
            raise SymparamsError(f"--grid depth applies only to the depth-sized families ({_depth_families()}), "
                                 f"not {model.name}")
        _check_value(by_depth, False)
        specs = [builder(int(d)) for d in by_depth.values]
        base = specs[0]
    else:
        base = builder() if builder is not None else model  # type: ignore[assignment]
        specs = [base]
    name = _family_name(base) if by_depth is not None else base.name
    vec = Vectorized(base)
    for a in axes:
        if a.name != "depth" and a.name not in vec.symbols:
            allowed = ", ".join(("depth",) * (builder is not None) + vec.symbols)
            raise SymparamsError(f"--grid {a.name}: {base.name} has no such symbol (it has: {allowed})")
        if a.name != "depth":
            _check_value(a, a.name in vec.compiled.rational_names)
    ndim = len(axes)
    inputs: dict[str, Any] = {}
    if by_depth is not None:
        structure = (base.tree, base.relations, base.constraints, tuple(s for s, _ in base.values))
        for s in specs:
            if (s.tree, s.relations, s.constraints, tuple(v for v, _ in s.values)) != structure:
                raise SymparamsError(f"{s.name} differs in structure from {base.name}; sweep these depths apart")
        position = [a.name for a in axes].index("depth")
        for sym, _ in base.values:
            column = [dict(s.values)[sym] for s in specs]
            if all(v == column[0] for v in column):
                continue
            shape = [1] * ndim
            shape[position] = len(specs)
            if all(v.is_Integer for v in column):
                inputs[sym.name] = _ints(column).reshape(shape)
            else:
                inputs[sym.name] = (_ints(v.p for v in column).reshape(shape), _ints(v.q for v in column).reshape(shape))
    for i, a in enumerate(axes):
        if a.name != "depth":
            inputs[a.name] = _axis_array(a, i, ndim)
    return _Grid(name, base, axes, inputs, total)


def _count(grid: _Grid, inputs: dict[str, Any], exact: bool) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The total, each component and (for mixtures of experts) the active count of the valid entries of ``inputs``.

    Returns the evaluation (``valid`` mask and ``reasons`` included) and the count columns' names.
    """
    from .compiled.vector import Vectorized

    vec = Vectorized(grid.base)
    wanted = ("total",) + vec.components
    try:
        out = vec.evaluate(inputs, wanted, invalid="mask")
    except OverflowError:
        if not exact:
            raise
        out = vec.evaluate(inputs, wanted, invalid="mask", exact=True)
    counts = list(wanted)
    active = Vectorized(grid.base, "active")
    if active.compiled.plan().outputs[0][1].expr != vec.compiled.plan().outputs[0][1].expr:
        try:
            act = active.evaluate(inputs, ("total",), invalid="mask", exact=False)
        except OverflowError:
            if not exact:
                raise
            act = active.evaluate(inputs, ("total",), invalid="mask", exact=True)
        out["active"] = act["total"]
        counts.append("active")
    return out, tuple(counts)


def sweep(model: Spec | Callable[..., Spec], axes: Sequence[Axis], exact: bool = True) -> Sweep:
    """Every combination of ``axes`` for ``model``: a Spec, or a builder from depth to Spec.

    A ``depth`` axis needs the builder (``catalog.ladder(name)``, with any overrides
    bound); other axes override what each depth set. Invalid combinations are skipped
    and counted (see the module's rule). With ``exact`` a count beyond int64 comes
    back as a Python int; without, it raises CountOverflow (an OverflowError).
    """
    import numpy as np

    grid = _prepare(model, axes, MAX_COMBINATIONS)
    out, counts = _count(grid, grid.inputs, exact)
    # An axis no input varies along (a single depth) is absent from the evaluated
    # shape; laying the mask over the full grid keeps every axis a column.
    mask = np.broadcast_to(out["valid"], grid.shape)
    columns: dict[str, Any] = {}
    ndim = len(grid.axes)
    for i, a in enumerate(grid.axes):
        shape = [1] * ndim
        shape[i] = len(a.values)
        columns[a.name] = np.broadcast_to(_axis_values(a).reshape(shape), mask.shape)[mask]
    for n in counts:
        columns[n] = out[n]
    return Sweep(grid.name, str(grid.base.closed_form), grid.axes, columns, counts, grid.total, dict(out["reasons"]))


def _axis_values(axis: Axis) -> "numpy.ndarray":
    import numpy as np

    return _ints(axis.values) if all(isinstance(v, int) for v in axis.values) else np.array(axis.values, dtype=object)


def stream(model: Spec | Callable[..., Spec], axes: Sequence[Axis], chunk: int, out: IO | Any, fmt: str = "csv",
           progress: Callable[[int, int], None] | None = None) -> Streamed:
    """Every combination of ``axes``, ``chunk`` at a time, written to ``out`` as they are counted.

    For grids larger than memory (up to :data:`MAX_STREAMED` combinations): the
    grid is walked in its own order (the rows equal :func:`sweep`'s, row for row),
    each chunk laid out as flat arrays, counted through NumPy, and written before
    the next is formed, so memory stays proportional to ``chunk`` whatever the
    grid's size. ``fmt`` is ``csv`` (text out; counts beyond int64 exact) or
    ``parquet`` (binary out; needs pyarrow; int64 columns, so a count beyond
    int64 is refused). ``progress(done, total)`` is called after each chunk.
    """
    import numpy as np

    if fmt not in STREAMED_FORMATS:
        raise SymparamsError(f"--chunk streams {' or '.join(STREAMED_FORMATS)}, not {fmt} "
                             "(json and npy are written whole: drop --chunk)")
    if not 1 <= chunk <= MAX_CHUNK:
        raise SymparamsError(f"--chunk must be between 1 and {MAX_CHUNK:,}, got {chunk:,}")
    sink = _ParquetSink(out) if fmt == "parquet" else _CsvSink(out)
    grid = _prepare(model, axes, MAX_STREAMED)
    shape = grid.shape
    axis_values = [_axis_values(a) for a in grid.axes]
    rows = 0
    skipped: dict[str, int] = {}
    rules: tuple[str, ...] = ()
    for lo in range(0, grid.total, chunk):
        hi = min(grid.total, lo + chunk)
        index = np.unravel_index(np.arange(lo, hi, dtype=np.intp), shape)
        inputs = {k: _take(v, index) for k, v in grid.inputs.items()}
        try:
            counted, counts = _count(grid, inputs, exact=fmt == "csv")
        except OverflowError:
            raise SymparamsError(f"a count exceeds int64 (at most {2**63 - 1:,}), which {fmt} columns cannot "
                                 "hold; use --format csv") from None
        valid = counted["valid"]
        columns = {a.name: values[i[valid]] for a, values, i in zip(grid.axes, axis_values, index)}
        columns.update((n, counted[n]) for n in counts)
        if lo == 0:
            sink.header(list(columns))
        sink.write(list(columns.values()))
        rows += len(counted["total"])
        rules = rules or counted["rules"]
        for reason, n in counted["reasons"].items():
            skipped[reason] = skipped.get(reason, 0) + n
        if progress is not None:
            progress(hi, grid.total)
    sink.close()
    ordered = {r: skipped[r] for r in rules if r in skipped}
    ordered.update((r, n) for r, n in skipped.items() if r not in ordered)
    return Streamed(grid.name, grid.total, rows, ordered)


def _take(value, index):
    """An input laid along the grid's dimensions, at the grid positions ``index`` (a pair for fractions)."""
    import numpy as np

    if isinstance(value, tuple):
        return tuple(_take(v, index) for v in value)
    if any(n > 1 for n in value.shape):
        return value[tuple(i if n > 1 else 0 for i, n in zip(index, value.shape))]
    return np.broadcast_to(value.reshape(-1)[:1], index[0].shape)


class _CsvSink:
    """CSV text, the same bytes :func:`write` gives for the whole sweep; rows formatted a batch at a time."""

    BATCH = 1 << 16

    def __init__(self, out: IO):
        self.out = out

    def header(self, names: list[str]) -> None:
        self.out.write(",".join(names) + "\n")

    def write(self, columns: list) -> None:
        import numpy as np

        n = len(columns[0])
        whole = all(c.dtype == np.int64 for c in columns)
        line = ",".join(["%d"] * len(columns)) + "\n"
        for lo in range(0, n, self.BATCH):
            part = [c[lo:lo + self.BATCH] for c in columns]
            if whole:
                self.out.write((line * len(part[0])) % tuple(np.column_stack(part).ravel().tolist()))
            else:
                text = zip(*[map(str, _plain(c)) for c in part])
                self.out.write("".join(",".join(row) + "\n" for row in text))

    def close(self) -> None:
        self.out.flush()


def needs_pyarrow() -> None:
    """Refuse parquet in one line when pyarrow is missing (checked before any output file is opened)."""
    try:
        import pyarrow  # noqa: F401
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        raise SymparamsError("--format parquet needs pyarrow, which is not installed (pip install pyarrow); "
                             "--format csv needs nothing more") from None


class _ParquetSink:
    """Parquet through pyarrow, one row group per chunk: int64 counts, a fractional axis as exact text."""

    def __init__(self, out: IO):
        needs_pyarrow()
        self.out = out
        self.writer: Any = None
        self.names: list[str] = []

    def header(self, names: list[str]) -> None:
        self.names = names

    def write(self, columns: list) -> None:
        import numpy as np
        import pyarrow as pa
        import pyarrow.parquet as pq

        arrays = [pa.array(c) if c.dtype == np.int64 else pa.array([str(v) for v in _plain(c)]) for c in columns]
        table = pa.Table.from_arrays(arrays, names=self.names)
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.out, table.schema)
        self.writer.write_table(table)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def _depth_families() -> str:
    from .families import FAMILIES

    return ", ".join(FAMILIES.ladders())


def _family_name(spec: Spec) -> str:
    """The name of the family whose ladder built ``spec`` (a depth sweep is the family's, not one depth's)."""
    from .families import FAMILIES

    family = FAMILIES.of(spec)
    return family.name if family is not None else spec.name


def write(result: Sweep, fmt: str, out: IO) -> None:
    """Write the sweep as csv (header + rows), json (one object) or npy (a structured array)."""
    if fmt == "csv":
        import csv

        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(list(result.columns))
        writer.writerows(zip(*[_plain(c) for c in result.columns.values()]))
    elif fmt == "json":
        import json

        obj = {"model": result.model, "formula": result.formula,
               "grid": {a.name: [v if isinstance(v, int) else str(v) for v in a.values] for a in result.axes},
               "combinations": result.combinations, "valid": result.rows,
               "skipped": sum(result.skipped.values()), "skipped_by_rule": result.skipped,
               "rows": result.records()}
        json.dump(obj, out, indent=1)
        out.write("\n")
    elif fmt == "npy":
        import numpy as np

        np.save(out, _structured(result), allow_pickle=False)
    else:
        raise SymparamsError(f"unknown format {fmt!r} (known: {', '.join(FORMATS)})")


def _structured(result: Sweep) -> "numpy.ndarray":
    """One int64 field per column; a fractional axis becomes NAME_num and NAME_den fields."""
    import numpy as np

    fields, data = [], []
    for name, column in result.columns.items():
        if isinstance(column, np.ndarray) and column.dtype != object:
            fields.append((name, np.int64))
            data.append(column)
            continue
        values = [Fraction(v) for v in column]
        if any(abs(v.numerator) > 2**63 - 1 or v.denominator > 2**63 - 1 for v in values):
            raise SymparamsError(f"{name} exceeds int64, which npy cannot hold; use --format csv or json")
        if all(v.denominator == 1 for v in values):
            fields.append((name, np.int64))
            data.append(np.array([v.numerator for v in values], dtype=np.int64))
        else:
            fields += [(f"{name}_num", np.int64), (f"{name}_den", np.int64)]
            data += [np.array([v.numerator for v in values], dtype=np.int64),
                     np.array([v.denominator for v in values], dtype=np.int64)]
    table = np.zeros(result.rows, dtype=fields)
    for (field, _), column in zip(fields, data):
        table[field] = column
    return table
