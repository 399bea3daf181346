"""The KV-cache reading checked against the cache transformers' own forward pass fills, for every family.

The reference is the cache a transformers forward pass fills with a prompt of T tokens,
never the tree: every tensor it holds, found by walking it, counted by shape. That covers
what each family keeps in its own way with no list of kinds here: keys and values per head
group, multi-head latent attention's latent and rotary key, the convolution and recurrent
state of Mamba and Gated DeltaNet layers, layers that share another layer's cache, and
layers that keep none. Below every window the cache is the one the forward pass returns
(``use_cache=True``: the ``DynamicCache`` that ``generate`` starts from); at or past a
window it is a ``StaticCache`` of T tokens, which gives a layer transformers knows as
sliding min(T, W) rows (``DynamicCache`` keeps W - 1 in shape between steps, W in
storage: tests/test_memory.py measures both).

The reading is what the layers need, as the FLOPs readings are; where transformers' own
implementation caches more, by its design and not the model's (the families in
:data:`CACHED_OTHERWISE`), the cache is compared with the figure the reading gives for what
transformers keeps, ``transformers_kv_cache_bytes``, exactly.

Every drawn config is one ``strategies.CONFIGS`` registers, so a family added there is
checked here too.
"""

from __future__ import annotations

import json
import logging
import warnings
from pathlib import Path

import pytest
from budget import examples
from hypothesis import HealthCheck, assume, given, reject, settings
from hypothesis import strategies as st

from symparams.families import FAMILIES, from_dict
from symparams.memory import memory

from strategies import CONFIGS

torch = pytest.importorskip("torch", reason="torch is not installed (pip install -e '.[verify]')")
transformers = pytest.importorskip("transformers", reason="transformers is not installed (pip install -e '.[verify]')")
from test_flops_torch import _expert_modules, _model, runnable, unrunnable  # noqa: E402

# Vision-language wrappers whose text-only forward pass transformers cannot run; their decoders are checked alone.
NO_TEXT_RUN = {
    "llama4": "its output for a text-only prompt has no image_outputs",
    "qwen2_vl": "its rotary embedding needs an mrope_section that fits the head",
    "qwen2_5_vl": "its rotary embedding needs an mrope_section that fits the head",
}
TYPES = sorted(t for t in CONFIGS if t in FAMILIES.by_type and t not in NO_TEXT_RUN)
# Families whose attention applies no window, whatever the config states. transformers' cache still caps a layer
# at a stated ``sliding_window`` (or a layer ``layer_types`` calls sliding), so past it the cache drops keys the layer
# attends over; the reading keeps every token, as the model needs. Their caches are compared below any window.
NO_WINDOW = {"qwen3_vl", "qwen3_vl_moe"}


# Families whose Spec says transformers' cache holds more than the layers need (Spec.cached_otherwise): there the
# cache is compared with the figure memory() gives for it, transformers_kv_cache_bytes; everywhere else, with the reading.
CACHED_OTHERWISE = {
    # GPTNeoConfig names its local layers in attention_layers, which no cache class reads: every layer's cache keeps
    # every token, though a local layer attends to the last window_size of them.
    "gpt_neo",
    # FalconAttention broadcasts the num_kv_heads key and value heads to the query heads and caches them so
    # (num_kv_heads = num_heads if new_decoder_architecture), though every query head of a group reads one.
    "falcon",
}
# Names under which a config states a window or chunk of a layer's attention.
WINDOWS = ("sliding_window", "attention_chunk_size", "window_size")


def held(obj, seen: set[int] | None = None) -> int:
    """Bytes of every tensor ``obj`` holds, at any depth of its attributes, lists and dicts, each tensor once.

    Zero-dimensional tensors are the cache's counters (tokens seen so far), not cached values."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return 0
    seen.add(id(obj))
    if isinstance(obj, torch.Tensor):
        return obj.numel() * obj.element_size() if obj.dim() else 0
    if isinstance(obj, (list, tuple)):
        return sum(held(x, seen) for x in obj)
    if isinstance(obj, dict):
        return sum(held(x, seen) for x in obj.values())
    if type(obj).__module__.startswith("transformers") and hasattr(obj, "__dict__"):
        return sum(held(x, seen) for x in vars(obj).values())
    return 0


def windows(config: dict) -> list[int]:
    """Every window or chunk length stated in ``config``, nested configs included."""
    found = []
    for key, value in config.items():
        if isinstance(value, dict):
            found += windows(value)
        elif key in WINDOWS and type(value) is int and value > 0:
            found.append(value)
    return found


def cached(config: dict, seq: int, static: bool) -> int:
    """Bytes of the cache transformers' forward pass fills with a prompt of ``seq`` tokens, in fp32: the one it
    returns, or (``static``) a ``StaticCache`` of ``seq`` tokens passed to it.

    On the meta device, which gives every tensor its shape without computing values, unless
    routing to experts needs values (then on the CPU, with small random weights)."""
    model = _model(config, "meta")
    device = "meta"
    if _expert_modules(model):
        device = "cpu"
        torch.manual_seed(0)
        model = _model(config, device)
    model.requires_grad_(False)
    ids = torch.zeros((1, seq), dtype=torch.long, device=device)
    cache = transformers.StaticCache(config=model.config, max_cache_len=seq) if static else None
    with torch.no_grad():
        try:
            out = model(input_ids=ids, past_key_values=cache, use_cache=True)
        except ValueError as err:
            # A hybrid drawn with no attention layer: transformers' forward pass asks the cache for the sequence
            # length, which only attention layers hold, and stops.
            if "only contain LinearAttention" in str(err):
                reject()
            raise
        except (NotImplementedError, RuntimeError) as err:
            if device != "meta" or "meta" not in str(err):
                raise
            torch.manual_seed(0)
            ids = torch.zeros((1, seq), dtype=torch.long)
            cache = transformers.StaticCache(config=model.config, max_cache_len=seq) if static else None
            out = _model(config, "cpu").requires_grad_(False)(input_ids=ids, past_key_values=cache, use_cache=True)
    return held(cache if static else out.past_key_values)


@pytest.mark.sampled
@pytest.mark.parametrize("model_type", TYPES)
def test_the_kv_cache_is_what_transformers_caches_after_a_prompt(model_type):
    """For random small configs and prompts, the KV cache at context T, for one sequence in fp32, is the bytes of
    every tensor transformers' cache holds after a T-token prompt."""
    logging.disable(logging.WARNING)
    warnings.filterwarnings("ignore")

    @settings(max_examples=examples(8), deadline=None, suppress_health_check=list(HealthCheck))
    @given(config=CONFIGS[model_type], seq=st.integers(1, 24))
    def check(config, seq):
        assume(unrunnable(config) is None)
        spec = from_dict(config)
        config = runnable(config, seq)
        tcfg = transformers.AutoConfig.for_model(config["model_type"],
                                                 **{k: v for k, v in config.items() if k != "model_type"})
        limit = getattr(tcfg.get_text_config(), "max_position_embeddings", None)
        assume(type(limit) is not int or seq <= limit)  # learned positions stop at their table
        static = any(seq >= w for w in windows(config))
        assume(not (static and model_type in NO_WINDOW))
        m = memory(spec, "fp32", training=False, seq=seq)
        theirs = cached(config, seq, static)
        if m.transformers_kv_cache_bytes is None:
            assert m.kv_cache_bytes == theirs, f"{model_type}: read {m.kv_cache_bytes} B, cached {theirs} B"
        else:
            assert model_type in CACHED_OTHERWISE, f"{model_type}: {m.warnings}"
            assert m.transformers_kv_cache_bytes == theirs, (
                f"{model_type} (where transformers {spec.cached_otherwise.why}): read {m.transformers_kv_cache_bytes} B "
                f"for its cache, cached {theirs} B")

    check()


@pytest.mark.parametrize("preset, layers, seq", [("falcon-40b", {"num_hidden_layers": 2}, 3),
                                                 ("gpt-neo-125m", {"num_layers": 2, "attention_layers": None,
                                                                   "attention_types": [[["global", "local"], 1]]}, 300)])
def test_where_transformers_caches_more_than_the_layers_need_the_reading_says_what_they_need(preset, layers, seq):
    """Falcon-40B's 8 key/value heads, cached by transformers as its 128 query heads; GPT-Neo's local layers, cached
    past their window of 256 tokens: the reading is below transformers' cache, and the figure it gives for that
    cache, with its warning, is the cache, whatever the draws above reach."""
    from symparams.catalog import preset_paths

    config = {k: v for k, v in {**json.loads(Path(preset_paths()[preset]).read_text()), **layers}.items()
              if v is not None and k not in ("torch_dtype", "dtype")}  # built in fp32, as the reading is taken
    logging.disable(logging.WARNING)
    theirs = cached(config, seq, any(seq >= w for w in windows(config)))
    m = memory(from_dict(config), "fp32", training=False, seq=seq)
    assert m.kv_cache_bytes < theirs
    assert m.transformers_kv_cache_bytes == theirs, f"{preset}: {m.warnings}"
    assert any(f"{theirs:,} bytes" in w for w in m.warnings)
