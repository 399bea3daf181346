"""Cross-check a symbolic count against the model transformers really builds.

The model is instantiated on PyTorch's ``meta`` device: shapes without storage, so
even a 70B config costs no memory and downloads nothing. Parameters are counted
once each (a tied LM head shares the embedding's tensor), then sorted into the
same groups the module tree uses (embedding, attention, mlp, norm, head, other)
by the family's ``hf_group(name)``. Comparing group by group, not only the total,
catches two errors that cancel (a bias counted in the MLP that belongs to
attention) and says where a mismatch lives.

Needs the optional extra ``symparams[verify]`` (torch, transformers).
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterator, TypeVar

from .components import GROUPS
from .errors import SymparamsError, install_hint

Item = TypeVar("Item")

__all__ = ["meta_parameters", "meta_model", "model_class", "GroupCheck", "Verification", "verify_config", "MAX_LAYERS"]


def _require():
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError as err:
        raise SymparamsError(
            f"verify needs torch and transformers ({err.name} is not installed): "
            f"{install_hint('verify', 'torch transformers')}"
        ) from None


# The weight initialisers, and the modules that hold them by name: torch's own and transformers' guarded copies.
_INITIALISERS = ("uniform_", "normal_", "constant_", "ones_", "zeros_", "eye_", "dirac_", "xavier_uniform_",
                 "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "trunc_normal_", "orthogonal_", "sparse_")
_HOLDERS = ("torch.nn.init", "transformers.initialization", *(f"torch.nn.modules.{m}" for m in (
    "activation", "transformer", "linear", "loss", "batchnorm", "conv", "normalization", "rnn", "sparse")))


@contextmanager
def _initialisers_skipped() -> Iterator[None]:
    """The weight initialisers as no-ops while a model is built on the meta device.

    A meta tensor holds no values, so filling it does nothing but take about a third of
    the build. transformers' ``init_weights`` still runs, since it also ties the head to
    the embedding; only the functions that fill tensors are skipped.
    """
    import importlib

    with contextlib.suppress(ImportError):
        # imported before anything is patched: it keeps torch's initialisers by value when first imported
        importlib.import_module("transformers.initialization")
    saved = []
    try:
        for holder in _HOLDERS:
            module = sys.modules.get(holder)
            for name in _INITIALISERS:
                if module is not None and callable(getattr(module, name, None)):
                    saved.append((module, name, getattr(module, name)))
                    setattr(module, name, _skip)
        yield
    finally:
        for module, name, fn in reversed(saved):
            setattr(module, name, fn)


def _skip(tensor, *args, **kwargs):
    return tensor


@contextmanager
def quiet() -> Iterator[None]:
    """transformers' log held at ERROR: a build's notes on defaults and deprecations are not the caller's to read.

    A level already at ERROR or above is left alone. Setting one clears the level every
    logger of the process keeps (torch and transformers hold thousands), some 0.3 ms each
    way, so ``learn``, which builds hundreds of models, holds it once for all of them.
    """
    import transformers

    verbosity = transformers.logging.get_verbosity()
    if verbosity >= transformers.logging.ERROR:
        yield
        return
    transformers.logging.set_verbosity_error()
    try:
        yield
    finally:
        transformers.logging.set_verbosity(verbosity)


def meta_model(cfg, initialise: bool = False, architecture: str | None = None):
    """transformers' causal language model for the config object ``cfg``, built on the meta device.

    ``initialise`` runs the weight initialisers too, as a plain ``from_config`` does (the benchmarks' baseline);
    ``architecture`` names another of transformers' model classes to build in its place (a masked LM's).
    """
    import torch
    import transformers

    with torch.device("meta"), (contextlib.nullcontext() if initialise else _initialisers_skipped()):
        if architecture is not None:
            return getattr(transformers, architecture)._from_config(cfg)
        return transformers.AutoModelForCausalLM.from_config(cfg)


# The builds a process made last, by what they were built from: see :func:`remembered`.
_BUILT: OrderedDict[tuple, tuple[bool, Any]] = OrderedDict()
_KEPT_BUILDS = 256


def build_key(*parts: Any) -> tuple | None:
    """A key naming one build exactly (plain data written out as JSON, key by key), or None where it cannot.

    JSON keeps ``1``, ``1.0``, ``true`` and ``"1"`` apart; anything it would write alike
    or not at all (a tuple, a key that is not text, an object) makes no key: that build is
    simply made again.
    """
    if not all(_plain(p) for p in parts if not isinstance(p, type)):
        return None
    return tuple(p if isinstance(p, (str, int, type)) or p is None else json.dumps(p, sort_keys=True) for p in parts)


def _plain(value: Any) -> bool:
    """Whether ``value`` is JSON's own data (objects keyed by text), which ``json.dumps`` writes one way only."""
    stack = [value]
    while stack:
        item = stack.pop()
        if type(item) is dict:
            if not all(type(k) is str for k in item):
                return False
            stack.extend(item.values())
        elif type(item) is list:
            stack.extend(item)
        elif type(item) not in (str, int, float, bool) and item is not None:
            return False
    return True


def remembered(key: tuple | None, make: Callable[[], Item]) -> Item:
    """``make()``, or what it gave (or raised) the last time ``key`` was built in this process.

    A meta build takes some 25 ms, and checking a config means building the configs
    around it, often the same ones again (``learn`` probes each variant against the
    same defaults; a field null and missing often read alike). transformers builds the
    same parameters for the same class and config every time, so the last 256 builds
    are kept; callers get their own copy of what they may change.
    """
    if key is None:
        return make()
    if key in _BUILT:
        _BUILT.move_to_end(key)
        ok, found = _BUILT[key]
        if ok:
            return found
        kind, args = found
        raise kind(*args)
    try:
        found = make()
    except Exception as err:
        if _remade(err):  # kept as its kind and arguments: the exception itself holds the frames of the build
            _keep(key, (False, (type(err), err.args)))
        raise
    _keep(key, (True, found))
    return found


def _remade(err: Exception) -> bool:
    """Whether ``err`` is made again, message and all, from its kind and arguments."""
    try:
        return str(type(err)(*err.args)) == str(err)
    except Exception:  # noqa: BLE001 - an exception that takes other arguments is simply not kept
        return False


def _keep(key: tuple, outcome: tuple[bool, Any]) -> None:
    _BUILT[key] = outcome
    while len(_BUILT) > _KEPT_BUILDS:
        _BUILT.popitem(last=False)


def meta_parameters(config: dict, initialise: bool = False, remember: bool = True) -> list[tuple[str, int]]:
    """(name, numel) of every distinct parameter of the transformers model for ``config``.

    The model is always transformers' own class for the ``model_type``: ``auto_map``
    (custom code named by a config) is dropped, so nothing from the file is run.
    ``initialise``: see :func:`meta_model`. ``remember=False`` builds it even if this
    process built it already (:func:`remembered`), as a benchmark of the build must.
    """
    _require()
    key = build_key("parameters", _versions(), _as_json(config), initialise) if remember else None
    return list(remembered(key, lambda: _meta_parameters(config, initialise)))


def _versions() -> str:
    import torch
    import transformers

    return f"torch {torch.__version__}, transformers {transformers.__version__}"


def _meta_parameters(config: dict, initialise: bool) -> tuple[tuple[str, int], ...]:
    import transformers

    model_type = config["model_type"]
    try:
        declared = _declared_fields(transformers.CONFIG_MAPPING[model_type])
        data = {k: v for k, v in config.items()
                if k not in ("model_type", "auto_map") and (not k.startswith("_") or k in declared)}
        with quiet():
            cfg = transformers.AutoConfig.for_model(model_type, **_as_json(data))
            model = meta_model(cfg, initialise, model_class(model_type))
    except Exception as err:  # whatever transformers or torch raise, it is this config they refuse
        message = " ".join(str(err).split())[:300]
        raise SymparamsError(f"transformers cannot build this {model_type} config: {type(err).__name__}: {message}") from None
    seen: set[int] = set()
    out = []
    for name, p in model.named_parameters(remove_duplicate=False):
        if id(p) in seen:
            continue
        seen.add(id(p))
        out.append((name, p.numel()))
    return tuple(out)


def model_class(model_type: str) -> str | None:
    """The class whose parameters symparams counts for ``model_type``, where it is not AutoModelForCausalLM's."""
    from .families import FAMILIES

    family = FAMILIES.by_type.get(model_type)
    return family.model_class if family is not None else None


def _as_json(value):
    """A config as ``json`` would have read it, for transformers: exact decimals become floats.

    symparams reads decimals exactly (``decimal.Decimal``) and keeps NaN and Infinity as
    markers; transformers' config classes expect the floats Python's ``json`` gives.
    """
    from decimal import Decimal

    from .config import _Constant

    if isinstance(value, dict):
        return {k: _as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_json(v) for v in value]
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, _Constant):
        return float(value.name)
    return value


def _declared_fields(cls) -> set[str]:
    """The fields a transformers config class declares.

    Keys starting with ``_`` are mostly bookkeeping a saved config carries
    (``_name_or_path``, ``_commit_hash``) and are dropped, but a class may declare
    one that shapes the model (OPT's ``_remove_final_layer_norm``), which is kept.
    """
    import dataclasses
    import inspect

    try:
        return {f.name for f in dataclasses.fields(cls)}
    except TypeError:
        return set(inspect.signature(cls.__init__).parameters)


@dataclass(frozen=True)
class GroupCheck:
    """One group's parameters, counted both ways."""

    group: str
    symbolic: int
    transformers: int

    @property
    def match(self) -> bool:
        return self.symbolic == self.transformers

    def to_json(self) -> dict:
        return {"group": self.group, "symbolic": self.symbolic, "transformers": self.transformers, "match": self.match}


@dataclass(frozen=True)
class Verification:
    """The comparison of one config: every group that is non-zero on either side, and the total."""

    model: str
    model_type: str
    groups: tuple[GroupCheck, ...]
    total: GroupCheck

    @property
    def ok(self) -> bool:
        return self.total.match and all(g.match for g in self.groups)

    def to_json(self) -> dict:
        return {
            "model": self.model,
            "model_type": self.model_type,
            "match": self.ok,
            "total": self.total.to_json(),
            "groups": [g.to_json() for g in self.groups],
        }

    def table(self) -> str:
        """A plain-text report: group, symbolic, transformers, match."""
        from .format import table

        rows = [(g.group, f"{g.symbolic:,}", f"{g.transformers:,}", "yes" if g.match else "NO")
                for g in (*self.groups, self.total)]
        return table(rows, ("group", "symbolic", "transformers", "match"), "lrrr", rules=[len(rows) - 1])


# transformers builds every layer and every expert as modules, even on the meta device:
# 20,000 layers take half a minute and a gigabyte. Real models stay far below these.
MAX_LAYERS = 1024
MAX_EXPERT_LAYERS = 65_536


def _check_work(spec) -> None:
    """Refuse, before transformers runs, a model whose modules alone would take minutes to build."""
    from .symbols import E, L

    env = spec.env
    layers = int(env.get(L, 1))
    if layers > MAX_LAYERS:
        raise SymparamsError(f"{spec.name}: verify builds every layer in transformers; "
                             f"{layers:,} layers exceed its limit of {MAX_LAYERS:,}")
    experts = layers * int(env.get(E, 1))
    if experts > MAX_EXPERT_LAYERS:
        raise SymparamsError(f"{spec.name}: verify builds every expert of every layer in transformers; "
                             f"{experts:,} expert-layers exceed its limit of {MAX_EXPERT_LAYERS:,}")


def verify_config(data: dict, source: str = "config", name: str | None = None) -> Verification:
    """Compare the symbolic counts of a config (as a dict) with transformers' model for it.

    The symbolic side is checked first, so a bad config is reported as such even
    where torch and transformers are not installed.
    """
    from .config import Config
    from .families import FAMILIES, from_dict

    spec = from_dict(data, source, name=name)
    spec.env
    _check_work(spec)
    _require()
    family = FAMILIES.for_type(Config(data, source))
    ours = spec.breakdown().groups()
    theirs: dict[str, int] = {}
    for pname, numel in meta_parameters(data):
        group = family.group(pname)
        theirs[group] = theirs.get(group, 0) + numel
    names = [g for g in GROUPS if ours.get(g, 0) or theirs.get(g, 0)]
    names += sorted(g for g in set(ours) | set(theirs) if g not in GROUPS and (ours.get(g, 0) or theirs.get(g, 0)))
    groups = tuple(GroupCheck(g, ours.get(g, 0), theirs.get(g, 0)) for g in names)
    total = GroupCheck("total", spec.total, sum(theirs.values()))
    return Verification(spec.name, data["model_type"], groups, total)
