"""How many tokens real models were trained on, each figure with its published source.

The compute-optimal frontier marks these models at (N, D_tok). Only the tokens are
stated here: N is never typed in, it is symparams' own count of the preset named in
each row. A model whose token count was not published (GPT-2, Mistral 7B, Mixtral) is
left out rather than estimated. Plain data, so it ships as a module without packaging
changes.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["TrainedOn", "TRAINED"]


@dataclass(frozen=True)
class TrainedOn:
    """One model's published training-token count: ``preset`` names the model in symparams' catalog."""

    model: str
    preset: str
    tokens: int
    source: str
    url: str


_LLAMA2 = ("Touvron et al. 2023, Llama 2: Open Foundation and Fine-Tuned Chat Models, Table 1 (2.0T tokens)",
           "https://arxiv.org/abs/2307.09288")
_LLAMA3 = ("Meta Llama 3 model card (pretrained on over 15 trillion tokens)",
           "https://github.com/meta-llama/llama3/blob/main/MODEL_CARD.md")
_GEMMA = ("Gemma Team 2024, Gemma: Open Models Based on Gemini Research and Technology (2B on 3T, 7B on 6T tokens)",
          "https://arxiv.org/abs/2403.08295")
_PYTHIA = ("Biderman et al. 2023, Pythia: A Suite for Analyzing Large Language Models (143,000 steps of "
           "2,097,152 tokens)", "https://arxiv.org/abs/2304.01373")

TRAINED: tuple[TrainedOn, ...] = (
    TrainedOn("Pythia 160M", "pythia-160m", 299_892_736_000, *_PYTHIA),
    TrainedOn("Pythia 1.4B", "pythia-1.4b", 299_892_736_000, *_PYTHIA),
    TrainedOn("GPT-J 6B", "gpt-j-6b", 402_000_000_000,
              "EleutherAI GPT-J 6B model card (402 billion tokens over 383,500 steps)",
              "https://huggingface.co/EleutherAI/gpt-j-6b"),
    TrainedOn("Phi-2", "phi-2", 1_400_000_000_000, "Microsoft Phi-2 model card (training tokens: 1.4T)",
              "https://huggingface.co/microsoft/phi-2"),
    TrainedOn("Falcon 7B", "falcon-7b", 1_500_000_000_000,
              "TII Falcon-7B model card (trained on 1,500B tokens of RefinedWeb)",
              "https://huggingface.co/tiiuae/falcon-7b"),
    TrainedOn("Gemma 2B", "gemma-2b", 3_000_000_000_000, *_GEMMA),
    TrainedOn("Gemma 7B", "gemma-7b", 6_000_000_000_000, *_GEMMA),
    TrainedOn("Llama 2 7B", "llama-2-7b", 2_000_000_000_000, *_LLAMA2),
    TrainedOn("Llama 2 13B", "llama-2-13b", 2_000_000_000_000, *_LLAMA2),
    TrainedOn("Llama 2 70B", "llama-2-70b", 2_000_000_000_000, *_LLAMA2),
    TrainedOn("Llama 3 8B", "llama-3-8b", 15_000_000_000_000, *_LLAMA3),
    TrainedOn("Llama 3 70B", "llama-3-70b", 15_000_000_000_000, *_LLAMA3),
    TrainedOn("Qwen2 7B", "qwen2-7b", 7_000_000_000_000,
              "Qwen Team 2024, Qwen2 Technical Report (the models above 0.5B on over 7 trillion tokens)",
              "https://arxiv.org/abs/2407.10671"),
)
