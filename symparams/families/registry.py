"""The family registry: model_type -> the family that reads its config and builds its tree.

A family is data plus one builder: the model_types it reads, transformers' field table
(defaults, aliases, nulls, parameter groups), the builder from a config to a
:class:`~symparams.spec.Spec`, the field that holds its context length, and, for
families sized by one knob, its depth ladder. Nothing outside a family module asks which
family a model is: readings and outputs ask the :class:`Family` instead.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Callable, Iterable, Iterator, Mapping

from sympy import Expr, Symbol

from ..config import Config, Fields, check_architectures, printable, read_json
from ..errors import SymparamsError
from ..spec import Spec

__all__ = ["Family", "Registry", "refused_whole"]


@dataclass(frozen=True)
class Family:
    """One architecture: how its configs read and how its tree is built.

    ``build`` turns a :class:`Config` (read through ``fields``) into a Spec;
    ``ladder`` builds the model at a depth, for families sized by depth alone;
    ``context`` names the config field with the model's context length, and
    ``default_context`` is used where no config says it (a depth ladder's models).
    ``refused`` says what the family does not model, for the README's table.
    ``retired`` maps model_types the family's configs once carried, which transformers
    no longer reads (Falcon's ``RefinedWeb``), to the message that says what to write
    instead: such a config is refused with it, never read as something else.
    ``symbolic_ladder(n)`` says how each symbol follows the depth ``n`` in closed form
    (nanochat: L = n, D = 64n), so sizing can solve the count along the ladder.
    """

    name: str
    summary: str
    model_types: tuple[str, ...] = ()
    fields: Fields = field(default_factory=Fields)
    build: Callable[[Config], Spec] | None = None
    context: str | None = "max_position_embeddings"
    default_context: int | None = None
    ladder: Callable[..., Spec] | None = None
    default_depth: int | None = None
    refused: str = ""
    guide: bool = False
    retired: Mapping[str, str] = field(default_factory=dict)
    symbolic_ladder: Callable[[Symbol], Mapping[Symbol, Expr]] | None = None

    def group(self, param_name: str) -> str:
        """The tree group of one of transformers' parameter names (for verification)."""
        return self.fields.group(param_name)

    def at_depth(self, depth: int | None = None, **overrides) -> Spec:
        if self.ladder is None:
            raise SymparamsError(f"{self.name} is not sized by depth")
        spec = self.ladder(depth if depth is not None else self.default_depth, overrides=overrides)
        return spec if spec.context is not None else replace(spec, context=self.default_context)


def refused_whole(model_type: str, reason: str, summary: str, refused: str) -> Family:
    """A family that refuses its model type whole, with ``reason`` as the one-line error.

    For architectures whose weights could be counted but whose cache and FLOPs would be
    guesses until their node kinds exist: counting them in part would hand out a total
    whose other readings silently miss layers.
    """

    def build(cfg: Config) -> Spec:
        raise SymparamsError(f"{cfg.source}: {reason}")

    return Family(name=model_type, summary=summary, model_types=(model_type,), fields=Fields(), build=build,
                  context=None, refused=refused)


class Registry:
    """Families by name and by model_type; a model_type belongs to exactly one family."""

    def __init__(self, *families: Family):
        self.by_name: dict[str, Family] = {}
        self.by_type: dict[str, Family] = {}
        self.retired: dict[str, str] = {}
        for fam in families:
            assert fam.name not in self.by_name, fam.name
            self.by_name[fam.name] = fam
            for t in fam.model_types:
                assert t not in self.by_type, t
                self.by_type[t] = fam
            for t, why in fam.retired.items():
                assert t not in self.by_type and t not in self.retired, t
                self.retired[t] = why

    def __iter__(self) -> Iterator[Family]:
        return iter(self.by_name.values())

    def model_types(self) -> list[str]:
        return sorted(self.by_type)

    def ladders(self) -> dict[str, Family]:
        """The families sized by depth (nanochat), by name."""
        return {f.name: f for f in self if f.ladder is not None}

    def of(self, spec: Spec) -> Family | None:
        """The family that built ``spec`` (None for a tree built by hand)."""
        return self.by_name.get(spec.family) or learned_family(spec.family)

    def for_type(self, cfg: Config) -> Family:
        """The hand-written family of the config's model_type, else its shipped learned family
        (whose data loads only then: a preset's derivation does not need it)."""
        model_type = cfg.model_type
        fam = self.by_type.get(model_type)
        if fam is None and model_type in self.retired:
            raise cfg.error("model_type", self.retired[model_type])
        if fam is None and isinstance(model_type, str):
            from .learned import PREFIX

            fam = learned_family(PREFIX + model_type)
        if fam is None:
            inner = cfg.data.get("text_config")
            if isinstance(inner, dict) and isinstance(inner.get("model_type"), str) and inner["model_type"] in self.by_type:
                raise cfg.error("model_type", (
                    f"{printable(repr(model_type))} wraps a language model with other towers (vision, audio); "
                    f"symparams counts language models: save its text_config (model_type "
                    f"{printable(repr(inner['model_type']))}) as a file of its own to count that part"))
            from .learned import refused, shipped

            why = refused().get("refused", {}).get(model_type)
            if isinstance(why, dict):
                raise cfg.error("model_type", f"{printable(repr(model_type))} has no hand-written family, and "
                                              f"symparams learn could not read it: {printable(str(why.get('reason')))}")
            known = ", ".join(self.model_types())
            shown = model_type if len(model_type) <= 40 else model_type[:37] + "..."
            learned = len(shipped())
            raise cfg.error("model_type", f"{printable(repr(shown))} is not supported (supported: {known}; "
                                          f"and {learned} learned model types, listed by symparams list)")
        return fam

    def from_dict(self, data: dict, source: str = "config", name: str | None = None) -> Spec:
        """The Spec for a config given as a dict (as :func:`~symparams.config.read_json` returns it)."""
        cfg = Config(data, source)
        fam = self.for_type(cfg)
        cfg.fields = fam.fields
        check_architectures(cfg)
        assert fam.build is not None
        spec = fam.build(cfg)
        try:
            spec.env
        except SymparamsError as err:
            raise SymparamsError(f"{cfg.source}: {err}") from None
        context = _context(cfg, fam)
        spec = replace(spec, family=fam.name, context=context)
        return replace(spec, name=name) if name else spec

    def from_file(self, path: str | os.PathLike) -> Spec:
        data = read_json(path)
        source = os.fspath(path)
        shown = os.path.basename(os.path.dirname(os.path.abspath(source))) + "/" + os.path.basename(source)
        return self.from_dict(data, printable(source), name=printable(shown))


@lru_cache(maxsize=None)
def learned_family(name: str) -> Family | None:
    """The family of a shipped learned file, by name (``learned:<model_type>``), or None."""
    from .learned import PREFIX, LearnedFields, learned
    from .learned.tree import build_spec

    if not name.startswith(PREFIX):
        return None
    model_type = name[len(PREFIX):]
    family = learned(model_type)
    if family is None:
        return None

    def build(cfg: Config) -> Spec:
        return build_spec(family, cfg.data, cfg.source, cfg.source)

    return Family(name=name, summary=f"learned from the shapes transformers {family.transformers} builds",
                  model_types=(model_type,), fields=LearnedFields(family), build=build,
                  refused="KV cache, attention FLOPs, activations (a learned family knows shapes, not semantics)")


def _context(cfg: Config, fam: Family) -> int | None:
    """The model's own context length, where its config states one."""
    if fam.context is None:
        return fam.default_context
    if fam.context in fam.fields:
        value = cfg.get(fam.context)
        return value if isinstance(value, int) else fam.default_context
    if cfg.has(fam.context):
        return cfg.int(fam.context)
    return fam.default_context


def names(families: Iterable[Family]) -> list[str]:
    return [f.name for f in families]

