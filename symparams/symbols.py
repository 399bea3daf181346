"""The symbol vocabulary: every size a transformer's closed form is written in.

One module holds them all so that every family, reading and renderer agrees on the
same SymPy objects (SymPy compares symbols by name *and* assumptions, so a second
``Symbol("D")`` made elsewhere would silently be a different variable).
Sizes are positive integers; the MLP expansion ``e`` is a positive rational
(nanochat's 4, or 8/3 for a SwiGLU sized to match a plain MLP).
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

__all__ = [
    "V", "D", "L", "H", "H_kv", "d_h", "e", "F", "E", "k", "P", "T", "B",
    "W", "r_q", "r_kv", "d_nope", "d_rope", "d_v", "F_e", "F_s", "E_s", "L_d", "L_s", "N_s", "d_in", "K_c",
    "H_m", "G", "R_dt", "L_a", "N_b", "r_a", "r_e", "Q", "H_lk", "H_lv", "d_lk", "d_lv", "D_e",
    "H_I", "d_I", "K_I", "d_g", "H_g", "D_p", "V_p", "L_rs", "L_rf",
    "D_vis", "L_vis", "H_vis", "F_vis", "C_img", "S_img", "p_img", "N_img", "t_img", "m_img", "D_proj",
    "N_ds", "L_x", "L_g", "n_tile", "R_ar", "N_f", "H_kv_vis", "d_vis", "P_vis", "D_aud", "L_aud", "H_aud", "K_aud",
    "C_a1", "C_a2", "D_ao", "N_lat", "L_r", "H_r", "H_kv_r", "d_r",
    "SYMBOLS", "Info", "INFO", "LATEX_NAMES", "symbol", "field_latex", "latex_names",
]


def _size(name: str) -> sympy.Symbol:
    return sympy.Symbol(name, positive=True, integer=True)


V = _size("V")
D = _size("D")
L = _size("L")
H = _size("H")
H_kv = _size("H_kv")
d_h = _size("d_h")
e = sympy.Symbol("e", positive=True, rational=True)
F = _size("F")
E = _size("E")
k = _size("k")
P = _size("P")
T = _size("T")
B = _size("B")
W = _size("W")
r_q = _size("r_q")
r_kv = _size("r_kv")
d_nope = _size("d_nope")
d_rope = _size("d_rope")
d_v = _size("d_v")
F_e = _size("F_e")
F_s = _size("F_s")
E_s = _size("E_s")
L_d = _size("L_d")
L_s = _size("L_s")
N_s = _size("N_s")
d_in = _size("d_in")
K_c = _size("K_c")
H_m = _size("H_m")
G = _size("G")
R_dt = _size("R_dt")
L_a = _size("L_a")
N_b = _size("N_b")
r_a = _size("r_a")
r_e = _size("r_e")
Q = _size("Q")
H_lk = _size("H_lk")
H_lv = _size("H_lv")
d_lk = _size("d_lk")
d_lv = _size("d_lv")
D_e = _size("D_e")
H_I = _size("H_I")
d_I = _size("d_I")
K_I = _size("K_I")
d_g = _size("d_g")
H_g = _size("H_g")
D_p = _size("D_p")
V_p = _size("V_p")
L_rs = _size("L_rs")
L_rf = _size("L_rf")
D_vis = _size("D_vis")
L_vis = _size("L_vis")
H_vis = _size("H_vis")
F_vis = _size("F_vis")
C_img = _size("C_img")
S_img = _size("S_img")
p_img = _size("p_img")
N_img = _size("N_img")
t_img = _size("t_img")
m_img = _size("m_img")
D_proj = _size("D_proj")
N_ds = _size("N_ds")
L_x = _size("L_x")
L_g = _size("L_g")
n_tile = _size("n_tile")
R_ar = _size("R_ar")
N_f = _size("N_f")
H_kv_vis = _size("H_kv_vis")
d_vis = _size("d_vis")
P_vis = _size("P_vis")
D_aud = _size("D_aud")
L_aud = _size("L_aud")
H_aud = _size("H_aud")
K_aud = _size("K_aud")
C_a1 = _size("C_a1")
C_a2 = _size("C_a2")
D_ao = _size("D_ao")
N_lat = _size("N_lat")
L_r = _size("L_r")
H_r = _size("H_r")
H_kv_r = _size("H_kv_r")
d_r = _size("d_r")


@dataclass(frozen=True)
class Info:
    """What a symbol means, so tables, help texts and documents can say it."""

    symbol: sympy.Symbol
    meaning: str
    integer: bool = True
    latex: str = ""
    scales: bool = True
    """Whether the symbol grows as models grow (a width, a depth, a vocabulary), which the leading terms of a
    count are read by: not a count of heads, experts or groups, nor a geometry models keep whatever their size
    (a convolution's kernel, an image's channels and patches)."""
    of_depth: bool = False
    """Whether the symbol counts the decoder's layers of one kind among its L (sliding, dense, state-space): a model
    made deeper keeps its mix of layer kinds, so such a count grows with L."""

    @property
    def tex(self) -> str:
        """How papers write the symbol (``H_{kv}``, ``d_h``): SymPy's own name unless given."""
        return self.latex or sympy.latex(self.symbol)


INFO: dict[str, Info] = {
    info.symbol.name: info
    for info in (
        Info(V, "vocabulary size (rows of the token embedding)"),
        Info(D, "model width (d_model)"),
        Info(L, "number of layers (blocks)"),
        Info(H, "query heads", scales=False),
        Info(H_kv, "key/value heads (H for MHA, 1 for MQA)", latex=r"H_{\mathrm{kv}}", scales=False),
        Info(d_h, "head dimension", latex="d_h"),
        Info(e, "MLP expansion factor (F = e*D)", integer=False, scales=False),
        Info(F, "MLP hidden size (intermediate_size)"),
        Info(E, "experts per mixture-of-experts layer", scales=False),
        Info(k, "experts active per token (top-k)", scales=False),
        Info(P, "learned positions (max_position_embeddings)"),
        Info(T, "context length in tokens", scales=False),
        Info(B, "batch size in sequences", scales=False),
        Info(W, "sliding-window size: the most tokens a windowed layer attends to and caches", scales=False),
        Info(r_q, "query low-rank dimension of latent attention (q_lora_rank)", latex=r"r_{q}"),
        Info(r_kv, "key/value latent dimension of latent attention (kv_lora_rank)", latex=r"r_{\mathrm{kv}}"),
        Info(d_nope, "per-head query/key dimension without rotary positions (qk_nope_head_dim)",
             latex=r"d_{\mathrm{nope}}"),
        Info(d_rope, "per-head query/key dimension with rotary positions (qk_rope_head_dim)",
             latex=r"d_{\mathrm{rope}}"),
        Info(d_v, "per-head value dimension (v_head_dim)", latex=r"d_{v}"),
        Info(F_e, "hidden size of one routed expert (moe_intermediate_size)", latex=r"F_{e}"),
        Info(F_s, "hidden size of the shared expert(s)", latex=r"F_{s}"),
        Info(E_s, "shared experts every token passes through", latex=r"E_{s}", scales=False),
        Info(L_d, "dense (non-MoE) layers", latex=r"L_{d}", of_depth=True),
        Info(L_s, "layers of a second kind (state-space, sliding or MoE layers in a hybrid)", latex=r"L_{s}", of_depth=True),
        Info(N_s, "state size of a state-space layer (d_state)", latex=r"N_{s}"),
        Info(d_in, "inner width of a state-space layer (expand * D)", latex=r"d_{\mathrm{in}}"),
        Info(K_c, "convolution kernel width of a state-space layer (d_conv)", latex=r"K_{c}", scales=False),
        Info(H_m, "heads of a Mamba-2 layer", latex=r"H_{m}", scales=False),
        Info(G, "groups of B and C in a Mamba-2 layer (n_groups)", scales=False),
        Info(R_dt, "rank of the time-step projection of a Mamba layer (dt_rank)", latex=r"R_{\Delta}"),
        Info(L_a, "attention layers of a hybrid whose other layers are not attention (Nemotron-H, Zamba2)", latex=r"L_{a}",
             of_depth=True),
        Info(N_b, "stored copies of a weight-shared block (Zamba2's num_mem_blocks)", latex=r"N_{b}", scales=False),
        Info(r_a, "rank of the per-use adapters on a weight-shared block (Zamba2's adapter_rank)", latex=r"r_{a}"),
        Info(r_e, "latent width the routed experts work in (Nemotron-H's moe_latent_size)", latex=r"r_{e}"),
        Info(Q, "chunk length of a Mamba-2 (SSD) scan (chunk_size)", scales=False),
        Info(H_lk, "key heads of a linear-attention layer (Gated DeltaNet's linear_num_key_heads)", latex=r"H_{\ell k}",
             scales=False),
        Info(H_lv, "value heads of a linear-attention layer (linear_num_value_heads)", latex=r"H_{\ell v}", scales=False),
        Info(d_lk, "key head dimension of a linear-attention layer (linear_key_head_dim)", latex=r"d_{\ell k}"),
        Info(d_lv, "value head dimension of a linear-attention layer (linear_value_head_dim)", latex=r"d_{\ell v}"),
        Info(D_e, "width of a token embedding narrower than D, projected in and out (OPT's word_embed_proj_dim)",
             latex=r"D_{e}"),
        Info(H_I, "heads of a sparse-attention indexer (DeepSeek-V3.2's index_n_heads)", latex=r"H_{I}", scales=False),
        Info(d_I, "head dimension of a sparse-attention indexer (index_head_dim)", latex=r"d_{I}"),
        Info(K_I, "keys a sparse-attention indexer keeps per query (index_topk)", latex=r"K_{I}", scales=False),
        Info(d_g, "head dimension of the full-attention layers where it differs (Gemma 4's global head_dim)",
             latex=r"d_{g}"),
        Info(H_g, "key/value heads of the full-attention layers where they differ (Gemma 4)", latex=r"H_{g}", scales=False),
        Info(D_p, "width of each layer's slice of the per-layer embeddings (hidden_size_per_layer_input)",
             latex=r"D_{p}"),
        Info(V_p, "rows of the per-layer embedding table (vocab_size_per_layer_input)", latex=r"V_{p}"),
        Info(L_rs, "sliding-window layers that reuse an earlier layer's keys and values (Gemma 4)",
             latex=r"L_{\mathrm{rs}}", of_depth=True),
        Info(L_rf, "full-attention layers that reuse an earlier layer's keys and values (Gemma 4)",
             latex=r"L_{\mathrm{rf}}", of_depth=True),
        Info(D_vis, "width of the vision tower of a vision-language model", latex=r"D_{\mathrm{vis}}"),
        Info(L_vis, "layers of the vision tower", latex=r"L_{\mathrm{vis}}"),
        Info(H_vis, "attention heads of the vision tower", latex=r"H_{\mathrm{vis}}", scales=False),
        Info(F_vis, "MLP hidden size of the vision tower", latex=r"F_{\mathrm{vis}}"),
        Info(C_img, "channels of an input image (num_channels)", latex=r"C_{\mathrm{img}}", scales=False),
        Info(S_img, "side of an input image in pixels (image_size)", latex=r"S_{\mathrm{img}}", scales=False),
        Info(p_img, "side of one image patch in pixels (patch_size)", latex=r"p_{\mathrm{img}}", scales=False),
        Info(N_img, "learned positions of the vision tower (SigLIP: one per patch, floor(S_img/p_img)^2)",
             latex=r"N_{\mathrm{img}}", scales=False),
        Info(t_img, "frames one patch spans (temporal_patch_size)", latex=r"t_{\mathrm{img}}", scales=False),
        Info(m_img, "patches a side merged into one token (spatial_merge_size)", latex=r"m_{\mathrm{img}}", scales=False),
        Info(D_proj, "width of a vision adapter's output, projected into the decoder (Llama 4's projector_output_dim)",
             latex=r"D_{\mathrm{proj}}"),
        Info(N_ds, "vision layers whose features a merger of its own also adds to the decoder (Qwen3-VL's "
                   "deepstack_visual_indexes)", latex=r"N_{\mathrm{ds}}", scales=False),
        Info(L_x, "decoder layers that cross-attend to image features (Mllama's cross_attention_layers)",
             latex=r"L_{\times}", of_depth=True),
        Info(L_g, "gated global layers of a tiled vision tower (Mllama's num_global_layers)", latex=r"L_{g}"),
        Info(n_tile, "tiles an image is cut into at most (max_num_tiles)", latex=r"n_{\mathrm{tile}}", scales=False),
        Info(R_ar, "tile layouts a tiled image may take (supported_aspect_ratios)", latex=r"R_{\mathrm{ar}}", scales=False),
        Info(N_f, "intermediate vision layers whose features join the last one's (intermediate_layers_indices)",
             latex=r"N_{f}", scales=False),
        Info(H_kv_vis, "key/value heads of the vision tower where they differ from its query heads (Gemma 4)",
             latex=r"H_{\mathrm{kv,vis}}", scales=False),
        Info(d_vis, "head dimension of the vision tower where it is a field of its own (Gemma 4's head_dim)",
             latex=r"d_{\mathrm{vis}}"),
        Info(P_vis, "learned positions per image axis of the vision tower (Gemma 4's position_embedding_size)",
             latex=r"P_{\mathrm{vis}}"),
        Info(D_aud, "width of the audio tower", latex=r"D_{\mathrm{aud}}"),
        Info(L_aud, "layers of the audio tower", latex=r"L_{\mathrm{aud}}"),
        Info(H_aud, "attention heads of the audio tower", latex=r"H_{\mathrm{aud}}", scales=False),
        Info(K_aud, "kernel width of the audio tower's depthwise convolution (conv_kernel_size)",
             latex=r"K_{\mathrm{aud}}", scales=False),
        Info(C_a1, "channels of the audio tower's first subsampling convolution (subsampling_conv_channels[0])",
             latex=r"C_{a1}"),
        Info(C_a2, "channels of the audio tower's second subsampling convolution (subsampling_conv_channels[1])",
             latex=r"C_{a2}"),
        Info(D_ao, "width of the audio tower's output, projected into the decoder (output_proj_dims)",
             latex=r"D_{\mathrm{ao}}"),
        Info(N_lat, "learned latents a perceiver resampler turns each image into (resampler_n_latents)",
             latex=r"N_{\mathrm{lat}}"),
        Info(L_r, "layers of a perceiver resampler (resampler_depth)", latex=r"L_{r}"),
        Info(H_r, "query heads of a perceiver resampler (resampler_n_heads)", latex=r"H_{r}", scales=False),
        Info(H_kv_r, "key/value heads of a perceiver resampler", latex=r"H_{\mathrm{kv},r}", scales=False),
        Info(d_r, "head dimension of a perceiver resampler (resampler_head_dim)", latex=r"d_{r}"),
    )
}

SYMBOLS: dict[str, sympy.Symbol] = {name: info.symbol for name, info in INFO.items()}

# symbol -> LaTeX, for ``sympy.latex(..., symbol_names=LATEX_NAMES)``.
LATEX_NAMES: dict[sympy.Symbol, str] = {info.symbol: info.latex for info in INFO.values() if info.latex}


def field_latex(sym: sympy.Symbol) -> str | None:
    """LaTeX for a symbol named after a config field (a learned family's ``type_vocab_size``): upright, its
    underscores kept; None for the project's symbols and for a letter with a subscript (d_in).

    SymPy reads a name's first underscore as a subscript and the others as spaces, and its letters as a
    product: ``type_{vocab size}`` would be cited as a variable with a subscript.

    >>> print(field_latex(sympy.Symbol("type_vocab_size")), field_latex(D), field_latex(sympy.Symbol("alpha")))
    \\mathrm{type\\_vocab\\_size} None None
    """
    from sympy.printing.latex import greek_letters_set

    from .format import latex_text

    if sym in LATEX_NAMES or SYMBOLS.get(sym.name) == sym:
        return None
    head, _, rest = sym.name.partition("_")
    if len(head) <= 1 and "_" not in rest or not rest and head.lower() in greek_letters_set:
        return None
    return r"\mathrm{" + latex_text(sym.name) + "}"


def latex_names(expr: sympy.Basic) -> dict[sympy.Symbol, str]:
    """``symbol_names`` for ``sympy.latex`` of ``expr``: the project's names, and each config field's."""
    fields = {s: field_latex(s) for s in expr.free_symbols if isinstance(s, sympy.Symbol)}
    return {**LATEX_NAMES, **{s: t for s, t in fields.items() if t is not None}}


def symbol(name: str) -> sympy.Symbol:
    """The symbol called ``name``; a clear error for any other name."""
    from .errors import SymparamsError

    try:
        return SYMBOLS[name]
    except KeyError:
        known = ", ".join(SYMBOLS)
        raise SymparamsError(f"unknown symbol {name!r} (known: {known})") from None
