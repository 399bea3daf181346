"""How training or inference state splits over GPUs: tensor, pipeline, data, expert, sequence and context parallelism.

The layout follows Megatron-LM (Shoeybi et al. 2019; Narayanan et al. 2021; Korthikanti et
al. 2022) and ZeRO (Rajbhandari et al. 2020):

* ``tp`` splits every tensor of two or more dimensions (attention and MLP matrices, the
  vocabulary of the embedding and the head, convolution filters) over tp GPUs, and the
  activations split by heads, hidden size or vocabulary; vectors (norms, biases, scalars)
  are whole on every GPU. It needs tp to divide the query and key/value heads and every
  split tensor. (Megatron also splits the biases of column-parallel layers; they are
  counted whole here, a few vectors per layer too many.)
* ``sp`` (with tp) also splits by tp the activations of the model's width per token;
* ``pp`` cuts the L decoder layers into pp stages of L/pp layers; the embedding goes
  to the first stage, the final norm and head to the last. L counts the copies of the
  Repeats that carry a layer's input: a Repeat of other parts of those layers (Jamba's
  feed-forward halves, ``layer_inputs`` false) goes with its layers, not as more layers.
  Where the tree knows each Repeat's layer indices (the families that group layers by
  kind fill them from the config's layer pattern) a stage holds exactly its own layers'
  parts; else (or where changed values no longer fit them) each kind is cut in tree order.
  A weight-shared block (Zamba2's) goes to every stage whose layers use it, stored again
  on each, with the uses (activations, caches) of that stage's layers. Under full recomputation
  a stage keeps its layers' inputs (a later stage's first input is the fp32 residual where
  the stream is fp32: Repeat's ``continued``) and re-runs its own largest layer. Under the 1F1B schedule
  stage i holds the activations of min(pp - i, m) micro-batches in flight (m the
  micro-batches per step), so the first stage holds pp of them;
* ``dp`` replicates the model; ZeRO stage 1 splits the optimizer state (master copy
  included) over the dp GPUs, stage 2 the gradients as well, stage 3 the weights as well
  (FSDP's full sharding). A split of n values over dp GPUs gives ceil(n/dp) to the
  most loaded;
* ``ep`` spreads each mixture-of-experts layer's E experts over ep GPUs (taken from the
  data-parallel ones: ep divides dp). With balanced routing each GPU still processes
  B*T*k routed tokens, so activations do not change;
* ``cp`` splits the context: each GPU keeps the activations of T/cp tokens (ring
  attention over flash or sdpa kernels; eager attention's T x T probabilities do not
  split this way and are refused).

``per_gpu`` is the most loaded GPU: the stage whose weights, training state, activations
and KV cache add up to the most.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from fractions import Fraction

import sympy
from sympy import Expr, Integer

from .components import Model, Module, Repeat
from .components.composite import layers_hold, recomputed, stack, unplaced, working_set
from .components.saving import Saving
from .components.shared import Shared
from .components.tower import Tower
from .errors import SymparamsError
from .spec import Spec
from .symbols import B, H, H_kv, T

ONE = Integer(1)

__all__ = ["Parallel", "Plan", "Share", "PerGpu", "Load", "most_loaded", "plan", "split"]


def split(n: int, parts: int) -> list[int]:
    """``n`` split as evenly as whole numbers allow: the shares add up to n, the largest is ceil(n/parts)."""
    q, r = divmod(int(n), int(parts))
    return [q + 1] * r + [q] * (parts - r)


def _whole(x: Expr) -> int:
    return int(sympy.ceiling(x))


@dataclass(frozen=True)
class Parallel:
    """Degrees of parallelism and ZeRO stage (all 1 and 0: one GPU)."""

    tp: int = 1
    pp: int = 1
    dp: int = 1
    ep: int = 1
    cp: int = 1
    sp: bool = False
    zero: int = 0
    microbatch: int | None = None

    def __post_init__(self) -> None:
        for name in ("tp", "pp", "dp", "ep", "cp"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise SymparamsError(f"--{name} must be a positive whole number, got {value!r}")
        if self.zero not in (0, 1, 2, 3):
            raise SymparamsError(f"--zero must be 0, 1, 2 or 3, got {self.zero!r}")
        if self.microbatch is not None and (isinstance(self.microbatch, bool) or not isinstance(self.microbatch, int)
                                            or self.microbatch < 1):
            raise SymparamsError(f"--microbatch must be a positive whole number, got {self.microbatch!r}")
        if self.sp and self.tp == 1:
            raise SymparamsError("sequence parallelism (--sp) splits by the tensor-parallel GPUs: give --tp > 1")
        if self.dp % self.ep:
            raise SymparamsError(f"--ep {self.ep} does not divide --dp {self.dp}: expert parallelism takes its GPUs "
                                 "from the data-parallel ones")

    @property
    def gpus(self) -> int:
        return self.tp * self.pp * self.dp * self.cp


@dataclass(frozen=True)
class Share:
    """Parameters one GPU of a pipeline stage holds: split by tp, whole, and experts split by ep (and tp)."""

    stage: int
    split_by_tp: int
    whole: int
    experts: int
    expert_vectors: int

    def held(self, p: Parallel) -> int:
        return (self.split_by_tp // p.tp + self.whole + self.experts // (p.ep * p.tp) + self.expert_vectors // p.ep)

    def stored(self) -> int:
        """All the parameters of the stage, on all its GPUs together (each counted once)."""
        return self.split_by_tp + self.whole + self.experts + self.expert_vectors


@dataclass(frozen=True)
class PerGpu:
    """The most loaded GPU: its bytes, its stage, and the closed form of its total."""

    bytes: int
    stage: int
    formula: Expr


@dataclass(frozen=True)
class Load:
    """One GPU of a pipeline stage: fixed bytes (weights, gradients, optimizer state) and what grows.

    ``activation`` and ``kv_cache`` are forms in T and B at the model's values; ``form`` is
    the stage's closed form in the model's symbols, by part.
    """

    stage: int
    fixed: int
    activation: Expr
    kv_cache: Expr
    form: tuple[Expr, Expr, Expr]
    microbatch: Expr | None = None

    def at(self, seq: int | None, batch: int) -> int:
        """The stage's bytes at context ``seq`` and ``batch`` sequences (growing parts rounded up to whole bytes)."""
        if seq is None:
            return self.fixed
        act = _whole(self.activation.xreplace({T: seq, B: self.microbatch or batch}))
        return self.fixed + act + _whole(self.kv_cache.xreplace({T: seq, B: batch}))

    def formula(self, seq: int | None) -> Expr:
        fixed, act, kv = self.form
        return fixed if seq is None else fixed + act + kv


def most_loaded(loads: tuple[Load, ...], seq: int | None, batch: int) -> PerGpu:
    """The stage whose GPU holds the most at ``seq`` and ``batch``."""
    best = max(loads, key=lambda load: (load.at(seq, batch), -load.stage))
    return PerGpu(best.at(seq, batch), best.stage, best.formula(seq))


@dataclass(frozen=True)
class Plan:
    """A parallel layout checked against one model: which stage holds what."""

    parallel: Parallel
    stages: tuple[tuple[tuple[Expr, Module], ...], ...]
    layers: int
    training: bool
    microbatches: int

    def to_json(self) -> dict:
        p = self.parallel
        return {"tp": p.tp, "pp": p.pp, "dp": p.dp, "ep": p.ep, "cp": p.cp, "sp": p.sp, "zero": p.zero,
                "microbatch": p.microbatch, "microbatches": self.microbatches, "gpus": p.gpus,
                "layers_per_stage": self.layers // p.pp}

    def in_flight(self, stage: int) -> int:
        """Micro-batches whose activations stage ``stage`` holds at once under 1F1B."""
        return min(self.parallel.pp - stage, self.microbatches)

    def shares(self, spec: Spec) -> list[Share]:
        """Per stage, the parameters one of its GPUs holds, by how they split (exact counts)."""
        out = []
        for i, parts in enumerate(self.stages):
            terms: list[list[Expr]] = [[], [], [], []]
            for copies, node in parts:
                for kind, count in _classified(node):
                    terms[kind].append(copies * count)
            out.append(Share(i, *(int(spec.value(sympy.Add(*t))) for t in terms)))
        return out

    def loads(self, spec: Spec, *, weight_width: Expr, grad_width: Expr, master: bool, optimizer,
              state_width: Expr, saving: Saving, batch: int, kv_width: Expr | None,
              activations: bool = True) -> tuple["Load", ...]:
        """What one GPU of each stage holds: fixed bytes, and activations and KV cache as forms in T and B.

        ``activations=False`` leaves the activations out (training without a context): the
        fixed bytes are read even for a model whose activations are not modelled.
        """
        p = self.parallel
        out = []
        for i, share in enumerate(self.shares(spec)):
            held = share.held(p)
            weights = _whole(held * weight_width)
            grads = _whole(held * grad_width)
            states = sympy.Add(*(spec.value(copies) * optimizer.state(tuple(spec.value(x) for x in shape), group,
                                                                      state_width)
                                 for copies, group, shape in self._tensors(i))) if self.training else Integer(0)
            opt = _whole(states + (held * 4 if master else 0))
            if p.zero >= 1:
                opt = split(opt, p.dp)[0]
            if p.zero >= 2:
                grads = split(grads, p.dp)[0]
            if p.zero >= 3:
                weights = split(weights, p.dp)[0]
            act = self._activation_form(spec, i, saving) if self.training and activations else Integer(0)
            kv = self._kv_form(spec, i, kv_width) if kv_width is not None else Integer(0)
            form = (self._stage_form(spec, i, weight_width, grad_width, master, optimizer, state_width), act, kv)
            out.append(Load(i, weights + grads + opt, spec.value(act), spec.value(kv), form,
                            Integer(p.microbatch) if p.microbatch else None))
        return tuple(out)

    # ---- what one stage holds ---------------------------------------------------------
    def _tensors(self, stage: int):
        """``(copies, group, shape)`` of every tensor one GPU of ``stage`` holds.

        Experts are spread over ep GPUs (E/ep copies each); a matrix is split by tp along
        its first dimension (for the optimizers whose state follows the number of values
        or the number of dimensions; Adafactor with tp > 1 is refused before this).
        """
        p = self.parallel
        for copies, node in self.stages[stage]:
            for inner, group, shape, expert in _leaf_tensors(node):
                if len(shape) >= 2 and p.tp > 1:
                    shape = (shape[0] / p.tp, *shape[1:])
                yield copies * inner / (p.ep if expert else 1), group, shape

    def _activation_form(self, spec: Spec, stage: int, saving: Saving) -> Expr:
        """Activations of one GPU of ``stage``: its layers' (times the micro-batches in flight) and its extras.

        Context parallelism keeps T/cp tokens per GPU: the form is the reading at T/cp.
        """
        p = self.parallel
        s = replace(saving, tp=Integer(p.tp), sp=p.sp)
        tree: Model = spec.tree
        parts = self.stages[stage]
        nodes = tuple(node for _, node in parts)
        working = working_set(nodes, T, s) if s.recompute == "full" else Integer(0)
        own = (recomputed(nodes, T, s) - working if s.recompute == "full"
               else sympy.Add(*(node.activation_bytes(T, s) for node in nodes)))
        extras = tree.shared_activation(T, s, tuple(node for _, node in parts))
        if stage == p.pp - 1:
            extras += tree.loss_activation(T, s)
        flight = self.in_flight(stage)
        form = flight * (own + extras) + working
        if p.microbatch is not None:
            form = form.xreplace({B: Integer(p.microbatch)})
        return spec.substitute(form.xreplace({T: T / p.cp}) if p.cp > 1 else form)

    def _kv_form(self, spec: Spec, stage: int, kv_width: Expr) -> Expr:
        """The KV cache one GPU of ``stage`` keeps: key/value heads split by tp; other caches (latents, states) whole."""
        p = self.parallel
        total = Integer(0)
        for copies, node in self.stages[stage]:
            for times, owner in _cache_owners(node):
                div = p.tp if getattr(owner, "kv_heads", None) is not None else 1
                total += copies * times * owner.cache_elements(T) / div
        return spec.substitute(total * B * kv_width)

    def _stage_form(self, spec: Spec, stage: int, w: Expr, g: Expr, master: bool, optimizer,
                    state_width: Expr) -> Expr:
        """The closed form of one GPU's weights, gradients and optimizer state in ``stage``."""
        p = self.parallel
        tensors = list(self._tensors(stage))
        held = sympy.Add(*(copies * sympy.Mul(*shape) for copies, _, shape in tensors))
        states = sympy.Add(*(copies * optimizer.state(shape, group, state_width) for copies, group, shape in tensors)) \
            if self.training else Integer(0)
        held, states = spec.substitute(held), spec.substitute(states)
        weights = held * w / (p.dp if p.zero >= 3 else 1)
        grads = held * g / (p.dp if p.zero >= 2 else 1)
        opt = (states + (held * 4 if master else 0)) / (p.dp if p.zero >= 1 else 1)
        return weights + grads + opt


def _leaf_tensors(node: Module, copies: Expr = ONE, expert: bool = False):
    """``(copies, group, shape, inside routed experts)`` for every tensor under ``node``."""
    if not node.children():
        for shape in node.tensor_shapes():  # type: ignore[attr-defined]
            yield copies, node.group, tuple(sympy.sympify(x) for x in shape), expert
        return
    routed = getattr(node, "routed", None)
    experts = routed() if callable(routed) else None
    inner = copies * node.multiplier()
    for child in node.children():
        yield from _leaf_tensors(child, inner, expert or (experts is not None and child == experts))


def _classified(node: Module):
    """``(kind, count)``: 0 split by tp, 1 whole, 2 expert matrices, 3 expert vectors."""
    for copies, _group, shape, expert in _leaf_tensors(node):
        matrix = len(shape) >= 2
        kind = (2 if matrix else 3) if expert else (0 if matrix else 1)
        yield kind, copies * sympy.Mul(*shape)


def _cache_owners(node: Module, times: Expr = ONE):
    """Nodes that answer ``cache_elements`` themselves (attention, latent attention, state-space layers)."""
    if type(node).cache_elements is not Module.cache_elements:
        yield times, node
        return
    for child in node.children():
        yield from _cache_owners(child, times * node.multiplier())


def _stages(tree: Model, pp: int, spec: Spec) -> tuple[tuple[tuple[tuple[Expr, Module], ...], ...], int]:
    """The top-level parts of each pipeline stage, with the layer copies each holds, and the decoder layers.

    The layers are the copies of the Repeats that carry a layer's input; a Repeat of other
    parts of those layers (``layer_inputs`` false: Jamba's feed-forward halves) is not more
    layers, and its copies go with their layers. Where every Repeat knows its layers'
    indices, stage i holds layers i*L/pp to (i+1)*L/pp - 1 and each Repeat the copies among
    them; else (indices unknown, or no longer fitting counts that changed values) no Repeat
    keeps its indices and each track of Repeats (layer inputs, other halves) is cut in tree order.
    A tower whose layers sit among the decoder's (Mllama's cross-attention layers) is split with
    them by index, and is refused where its indices no longer fit; any other tower (a vision
    encoder, its projector) makes the first layer's input, and sits on the first stage.
    """
    indexed = layers_hold(tree.children(), lambda n: int(spec.value(n)))
    parts = list(tree.children() if indexed else unplaced(tree.children()))
    reps: dict[int, Repeat] = {i: c for i, c in enumerate(parts) if isinstance(c, Repeat)}
    counts = {i: int(spec.value(r.count)) for i, r in reps.items()}
    among = [p for p in parts if isinstance(p, Tower) and p.in_stack]
    total = sum(int(spec.value(r.count)) for r in stack(parts) if r.layer_inputs)
    if pp > 1 and among and not indexed:
        raise SymparamsError(f"pipeline stages of {spec.name} are not read with these layer counts: its config "
                             f"lists where its {among[0].name} sit among its layers, and those indices no longer fit "
                             "the counts")
    if pp > 1 and not reps:
        if any(isinstance(node, Repeat) for _, _, node in tree.walk()):
            raise SymparamsError(f"pipeline stages of {spec.name} are not read: its stacks of layers sit inside "
                                 "groups (a learned family's tree), which do not say which stack is the decoder's")
        raise SymparamsError(f"{spec.name} has no repeated layers for pipeline stages to share")
    if pp == 1:
        return ((tuple((Integer(1), part) for part in parts)),), total
    if total % pp:
        raise SymparamsError(f"--pp {pp} does not divide the {total} layers of {spec.name}: each pipeline stage "
                             "holds the same number of layers")
    per = total // pp
    stages: list[list[tuple[Expr, Module]]] = [[] for _ in range(pp)]
    seen = {True: 0, False: 0}
    tracks = {flag: sum(counts[i] for i, r in reps.items() if r.layer_inputs == flag) for flag in (True, False)}
    first, last = min(reps), max(reps)
    for i, part in enumerate(parts):
        rep = reps.get(i)
        if isinstance(part, Tower) and part.in_stack:
            for stage in range(pp):
                share = _tower_share(part, stage, per)
                if share is not None:
                    stages[stage].append((Integer(1), share))
        elif isinstance(part, Tower):
            stages[0].append((Integer(1), part))
        elif rep is not None and indexed:
            for stage in range(pp):
                held = _held(rep, stage, per)
                if held is not None:
                    stages[stage].append((Integer(1), held))
        elif rep is not None:
            quota = Fraction(tracks[rep.layer_inputs], pp)
            n, start = counts[i], seen[rep.layer_inputs]
            while n:
                stage = min(int(start // quota), pp - 1)
                take = min(n, max(1, math.ceil((stage + 1) * quota) - start))
                stages[stage].append((Integer(1), replace(rep, count=Integer(take), continued=start > 0)))
                start += take
                n -= take
            seen[rep.layer_inputs] = start
        elif i < first:
            stages[0].append((Integer(1), part))
        elif i > last:
            stages[-1].append((Integer(1), part))
        else:
            stages[min(seen[True] // per, pp - 1)].append((Integer(1), part))
    return tuple(_with_shared(st, parts, reps) for st in stages), total


def _held(rep: Repeat, stage: int, per: int) -> Repeat | None:
    """The copies of ``rep`` among stage ``stage``'s layers (``per`` a stage), by their indices; None where it has none."""
    mine = tuple(j for j in rep.layers if stage * per <= j < (stage + 1) * per)
    return replace(rep, count=Integer(len(mine)), layers=mine, continued=mine[0] > 0) if mine else None


def _tower_share(tower: Tower, stage: int, per: int) -> Tower | None:
    """What stage ``stage`` holds of a tower whose layers sit among the decoder's: its layers there, and on the first
    stage anything else it holds; None where that is nothing."""
    kept = [_held(r, stage, per) if isinstance(r, Repeat) else r for r in tower.parts
            if isinstance(r, Repeat) or stage == 0]
    parts = tuple(k for k in kept if k is not None)
    return replace(tower, parts=parts) if parts else None


def _with_shared(stage: list[tuple[Expr, Module]], parts: list[Module], reps: dict[int, Repeat]
                 ) -> tuple[tuple[Expr, Module], ...]:
    """A stage's parts, with a weight-shared block (Zamba2's) on every stage whose layers use it.

    The block is used once by each copy of the Repeat whose count is its uses (the hybrid
    layers, which take the stored blocks in turn): a stage with n of them holds
    min(copies, n) blocks and n uses (their activations and caches), so the blocks are
    stored again on each stage that uses them, and on no other.
    """
    shared = [p for p in parts if isinstance(p, Shared) and any(p.uses == r.count for r in reps.values())]
    if not shared:
        return tuple(stage)
    out = [(n, node) for n, node in stage if not any(node is b for b in shared)]
    for block in shared:
        owners = {r.name for r in reps.values() if r.count == block.uses}
        uses = sympy.Add(*(node.count for _, node in stage if isinstance(node, Repeat) and node.name in owners))
        if uses != 0:
            out.insert(0, (Integer(1), replace(block, copies=sympy.Min(block.copies, uses), uses=uses)))
    return tuple(out)


def _check_tp(spec: Spec, tp: int) -> None:
    if tp == 1:
        return
    env = spec.env
    for sym, what in ((H, "query heads"), (H_kv, "key/value heads")):
        if sym in env and env[sym] % tp:
            raise SymparamsError(f"--tp {tp} does not divide {sym.name}={env[sym]} ({what}): tensor parallelism "
                                 "gives each GPU whole heads")
    for _, _copies, node in spec.tree.walk():
        if not node.children():
            for shape in node.tensor_shapes():  # type: ignore[attr-defined]
                if len(shape) >= 2:
                    n = spec.value(sympy.sympify(sympy.Mul(*shape)))
                    if n % tp:
                        raise SymparamsError(f"--tp {tp} does not divide {node.name} ({n:,} values): tensor "
                                             "parallelism splits every matrix evenly")


def _check_ep(spec: Spec, ep: int) -> None:
    if ep == 1:
        return
    found = False
    for _, _, node in spec.tree.walk():
        routed = getattr(node, "routed", None)
        if callable(routed):
            found = True
            experts = spec.value(routed().count)
            if experts % ep:
                raise SymparamsError(f"--ep {ep} does not divide the {experts} experts of {node.name}: each GPU "
                                     "holds the same number of experts")
    if not found:
        raise SymparamsError(f"{spec.name} has no mixture-of-experts layers for --ep to spread")


def plan(spec: Spec, parallel: Parallel, *, training: bool, batch: int, seq: int | None) -> Plan:
    """Check ``parallel`` against ``spec`` (every split must divide) and lay the model out over stages."""
    p = parallel
    if not training and p.zero:
        raise SymparamsError("ZeRO splits training state; --zero does not apply to --inference")
    _check_tp(spec, p.tp)
    _check_ep(spec, p.ep)
    stages, layers = _stages(spec.tree, p.pp, spec)
    if seq is not None and seq % p.cp:
        raise SymparamsError(f"--cp {p.cp} does not divide the context of {seq:,} tokens: each GPU keeps T/cp of them")
    micro = p.microbatch or batch
    if batch % micro:
        raise SymparamsError(f"--microbatch {micro} does not divide the batch of {batch}: a step runs whole "
                             "micro-batches")
    return Plan(p, stages, layers, training, batch // micro)
