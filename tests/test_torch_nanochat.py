"""The symbolic count equals a real PyTorch nanochat built on the meta device.

The module below follows nanochat's ``gpt.py`` (first release): the parameter layout
is what matters, so the forward pass is left out.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from strategies import nanochat_configs, spec_of

torch = pytest.importorskip("torch", reason="torch is not installed (pip install 'symparams[verify]')")
nn = torch.nn


class CausalSelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        hd = c.width // c.heads
        self.c_q = nn.Linear(c.width, c.heads * hd, bias=c.bias)
        self.c_k = nn.Linear(c.width, c.kv_heads * hd, bias=c.bias)
        self.c_v = nn.Linear(c.width, c.kv_heads * hd, bias=c.bias)
        self.c_proj = nn.Linear(c.heads * hd, c.width, bias=c.bias)


class MLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        hidden = int(c.expansion * c.width)
        self.c_fc = nn.Linear(c.width, hidden, bias=c.bias)
        self.c_proj = nn.Linear(hidden, c.width, bias=c.bias)


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attn = CausalSelfAttention(c)
        self.mlp = MLP(c)


class GPT(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.transformer = nn.ModuleDict(
            {"wte": nn.Embedding(c.vocab, c.width), "h": nn.ModuleList(Block(c) for _ in range(c.layers))}
        )
        self.lm_head = nn.Linear(c.width, c.vocab, bias=False)


@settings(max_examples=60)
@given(nanochat_configs(max_width=1024))
def test_symbolic_count_equals_pytorch_module(c):
    with torch.device("meta"):
        net = GPT(c)
    assert spec_of(c).total == sum(p.numel() for p in net.parameters())
