"""A small curated catalogue of post-training techniques, each traced to its paper, ranked against a goal offline.

The facts are hand-written from the papers (ids, exact titles, the settings the papers report); the offline playbook
uses it so a run with no network still cites real papers by id. Ranking is BM25 over name, title, use and keywords.

>>> [t.name for t in technique_catalogue("improve GSM8K math reasoning with RL", limit=3)]
['GRPO', ...]
"""

from typing import Annotated

from posttrain.tools.methods import Condition, techniques

from .models import TechniqueRef


# (name, arXiv id, exact title, when to use, key hyperparameters, extra search keywords)
_ENTRIES: list[tuple[str, str, str, str, dict[str, str], str]] = [
    ("SFT / instruction tuning", "2109.01652", "Finetuned Language Models Are Zero-Shot Learners",
     "First step for any new task format: supervised fine-tuning on (instruction, response) pairs teaches the "
     "output format and the task before any RL or preference stage.",
     {"optimizer": "Adafactor", "learning_rate": "3e-5", "steps": "30k at 8,192 tokens per batch (FLAN, 137B)"},
     "sft supervised finetuning instruction tuning chat format baseline first"),
    ("Small curated SFT (LIMA)", "2305.11206", "LIMA: Less Is More for Alignment",
     "When good data is scarce: about 1,000 carefully curated, diverse, high-quality examples can teach the response "
     "style; quality and diversity matter more than quantity.",
     {"examples": "1,000", "epochs": "15", "learning_rate": "1e-5 decayed linearly to 1e-6"},
     "sft small data quality curation alignment few examples"),
    ("LoRA", "2106.09685", "LoRA: Low-Rank Adaptation of Large Language Models",
     "When memory or compute is tight: train low-rank adapters instead of all weights; quality close to full "
     "fine-tuning at a fraction of the trainable parameters.",
     {"r": "small ranks (1-8) sufficed in the paper's GPT-3 study", "target_modules": "W_q and W_v in the paper",
      "scaling": "alpha / r"},
     "lora peft adapter parameter efficient memory little gpu vram cheap low rank"),
    ("QLoRA", "2305.14314", "QLoRA: Efficient Finetuning of Quantized LLMs",
     "When even LoRA does not fit: keep the base model in 4-bit NF4 and train LoRA adapters on every linear layer.",
     {"quantization": "4-bit NormalFloat (NF4) with double quantization", "r": "64", "lora_alpha": "16",
      "learning_rate": "2e-4 (7B/13B), 1e-4 (33B/65B)"},
     "qlora quantized 4bit peft memory little gpu vram lora"),
    ("NEFTune", "2310.05914", "NEFTune: Noisy Embeddings Improve Instruction Finetuning",
     "A free add-on to SFT for chat quality: add uniform noise to the embeddings during fine-tuning.",
     {"neftune_noise_alpha": "5 (paper also tries 10 and 15)"},
     "sft noise embeddings regularization chat quality"),
    ("Sequence packing", "2107.02027",
     "Efficient Sequence Packing without Cross-contamination: Accelerating Large Language Models without Impacting "
     "Performance",
     "When many examples are short: pack several into one sequence (with attention kept per example) to remove "
     "padding and speed up training without changing the result.",
     {"packing": "bin-packing of sequences into the max length", "attention": "no cross-example attention"},
     "packing padding throughput efficiency speed sft short sequences"),
    ("Curriculum (easy to hard)", "2012.03107", "When Do Curricula Work?",
     "Order training data from easy to hard mainly when the training budget is short or labels are noisy; with "
     "enough steps random order does as well.",
     {"ordering": "easy-to-hard by a difficulty score", "pacing": "grow the training set over time"},
     "curriculum difficulty ordering easy hard noisy budget"),
    ("Self-Instruct", "2212.10560", "Self-Instruct: Aligning Language Models with Self-Generated Instructions",
     "When there is no instruction data: bootstrap instructions and answers from the model itself from a small seed "
     "set, filter near-duplicates, then fine-tune.",
     {"seed_tasks": "175", "dedup_filter": "ROUGE-L < 0.7 against existing instructions"},
     "synthetic data generation instructions bootstrap no data"),
    ("STaR", "2203.14465", "STaR: Bootstrapping Reasoning With Reasoning",
     "Reasoning tasks with answers but no rationales: sample rationales, keep those reaching the right answer "
     "(rationalise failures with the answer as a hint), fine-tune, repeat.",
     {"loop": "generate -> filter by answer -> fine-tune from the base model -> repeat",
      "rationalization": "retry failed problems with the answer given as a hint"},
     "reasoning rationale self training bootstrap chain of thought math answers"),
    ("Rejection-sampling fine-tuning (RFT)", "2308.01825",
     "Scaling Relationship on Learning Mathematical Reasoning with Large Language Models",
     "Cheap step before RL on math: sample many solutions from the SFT model, keep distinct correct ones, and "
     "fine-tune on them; gains are largest for weaker models.",
     {"samples_per_question": "up to 100", "filter": "correct final answer, distinct reasoning paths"},
     "rejection sampling rft math gsm8k reasoning self distillation correct solutions"),
    ("Verifier / best-of-n", "2110.14168", "Training Verifiers to Solve Math Word Problems",
     "When sampling is cheap at test time: train a verifier to score sampled solutions and pick the best; "
     "introduces GSM8K.",
     {"samples_per_problem": "100 at test time", "verifier": "trained on correctness of generated solutions"},
     "verifier best of n reranking math gsm8k test time"),
    ("Process reward models", "2305.20050", "Let's Verify Step by Step",
     "Multi-step reasoning where intermediate steps can be judged: reward each step (process supervision) rather "
     "than only the final answer.",
     {"supervision": "step-level labels (PRM800K)", "use": "rerank best-of-n samples"},
     "process reward model step verification math reasoning prm"),
    ("PPO / RLHF (InstructGPT)", "2203.02155", "Training language models to follow instructions with human feedback",
     "Classic RLHF: SFT, then a reward model trained on human comparisons, then PPO against it with a KL penalty.",
     {"pipeline": "SFT -> reward model -> PPO", "kl_penalty": "per-token KL to the SFT policy",
      "ptx": "mix pretraining gradients (PPO-ptx) to limit regressions"},
     "rlhf ppo reward model human feedback preferences helpful chat alignment"),
    ("PPO", "1707.06347", "Proximal Policy Optimization Algorithms",
     "The clipped policy-gradient objective used by RLHF and GRPO-style trainers.",
     {"clip_epsilon": "0.2"},
     "ppo policy gradient clipping reinforcement learning"),
    ("DPO", "2305.18290", "Direct Preference Optimization: Your Language Model is Secretly a Reward Model",
     "Preference data (chosen/rejected pairs) and no reward model: optimise the policy directly with a classification "
     "loss against a frozen reference; stable and cheap.",
     {"beta": "0.1", "learning_rate": "1e-6", "batch_size": "64", "optimizer": "RMSprop, 150 warmup steps"},
     "dpo preference pairs chosen rejected alignment chat helpful offline"),
    ("KTO", "2402.01306", "KTO: Model Alignment as Prospect Theoretic Optimization",
     "Preference signal is only thumbs-up/down per response (no pairs): KTO learns from unpaired desirable and "
     "undesirable examples.",
     {"beta": "0.1 (TRL default)", "weights": "lambda_D, lambda_U balance desirable vs undesirable"},
     "kto unpaired binary feedback preference alignment"),
    ("ORPO", "2403.07691", "ORPO: Monolithic Preference Optimization without Reference Model",
     "One stage instead of SFT then DPO: adds an odds-ratio preference term to the SFT loss; no reference model.",
     {"lambda": "weight of the odds-ratio term (0.1 in TRL's default)"},
     "orpo preference single stage no reference memory"),
    ("SimPO", "2405.14734", "SimPO: Simple Preference Optimization with a Reference-Free Reward",
     "DPO without a reference model: the reward is the length-normalised log-probability plus a target margin.",
     {"beta": "large (around 2) since the reward is an average log-probability", "gamma": "target reward margin"},
     "simpo preference reference free length normalized"),
    ("Iterative RPO", "2404.19733", "Iterative Reasoning Preference Optimization",
     "A model that already solves some prompts but not reliably: sample several chains of thought per training "
     "prompt, pair a verified answer with a rejected one, train DPO with an NLL term on the chosen answer, repeat "
     "from the new model.",
     {"samples per prompt": "30 (GSM8K)", "loss": "DPO + NLL on the chosen (alpha 1)", "beta": "0.1",
      "learning_rate": "5e-7 (Llama-2-70B)", "iterations": "until the gain saturates (4 on GSM8K)"},
     "iterative rpo dpo nll preference pairs on policy self improvement reasoning math verifiable chosen rejected"),
    ("Zephyr (dSFT + dDPO)", "2310.16944", "Zephyr: Direct Distillation of LM Alignment",
     "Aligning a small chat model from AI feedback: distilled SFT on UltraChat, then DPO on UltraFeedback.",
     {"sft_data": "UltraChat", "dpo_data": "UltraFeedback", "beta": "0.1"},
     "distillation ai feedback ultrafeedback chat small model dpo"),
    ("GRPO (DeepSeekMath)", "2402.03300",
     "DeepSeekMath: Pushing the Limits of Mathematical Reasoning in Open Language Models",
     "RL with verifiable rewards (math answers, unit tests) without a value model: sample a group per prompt and use "
     "the group-normalised reward as the advantage.",
     {"num_generations": "64 per question", "learning_rate": "1e-6", "beta (KL)": "0.04", "max_length": "1024",
      "batch_size": "1024"},
     "grpo rl reinforcement learning verifiable reward math gsm8k reasoning group"),
    ("DeepSeek-R1 (RL for reasoning)", "2501.12948",
     "DeepSeek-R1: Incentivizing Reasoning Capability in LLMs via Reinforcement Learning",
     "Long chain-of-thought reasoning from RL: rule-based accuracy and format rewards with GRPO; a small cold-start "
     "SFT set improves readability.",
     {"rewards": "rule-based accuracy + format", "algorithm": "GRPO", "beta (KL)": "0.001 (as cited by TRL)"},
     "r1 reasoning rl format reward long chain of thought math verifiable"),
    ("DAPO", "2503.14476", "DAPO: An Open-Source LLM Reinforcement Learning System at Scale",
     "GRPO runs that collapse entropy or waste batches: clip-higher, dynamic sampling of prompts with mixed "
     "outcomes, token-level loss and overlong reward shaping; no KL term.",
     {"epsilon_low": "0.2", "epsilon_high": "0.28", "num_generations": "16", "prompt_batch": "512",
      "learning_rate": "1e-6", "beta (KL)": "0"},
     "dapo grpo rl clip higher dynamic sampling entropy collapse math reasoning long"),
    ("Dr. GRPO", "2503.20783", "Understanding R1-Zero-Like Training: A Critical Perspective",
     "GRPO responses growing long without accuracy gains: remove the per-response length normalisation and the "
     "reward std scaling, which bias the optimisation.",
     {"loss_type": "dr_grpo (no length normalisation)", "scale_rewards": "none"},
     "dr grpo length bias rl math reasoning r1 zero unbiased"),
    ("RLOO", "2402.14740",
     "Back to Basics: Revisiting REINFORCE Style Optimization for Learning from Human Feedback in LLMs",
     "A lighter RLHF: REINFORCE with a leave-one-out baseline over k samples per prompt; no value model.",
     {"num_generations": "k samples per prompt (2-4 in the paper)", "baseline": "mean reward of the other k-1"},
     "rloo reinforce rlhf baseline rl cheaper ppo"),
    ("Self-consistency", "2203.11171", "Self-Consistency Improves Chain of Thought Reasoning in Language Models",
     "At evaluation time: sample several chains of thought and take the majority answer.",
     {"samples": "several sampled reasoning paths", "aggregation": "majority vote on the final answer"},
     "self consistency majority vote sampling evaluation reasoning chain of thought"),
]


# when_to_use as rules: technique → (posttrain method, conditions over the ledger that must all hold). The playbook
# evaluates the conditions (posttrain.run.facts / agents.manager.offline) and picks the most specific technique.
APPLIES: dict[str, tuple[str | None, tuple[Condition, ...]]] = {
    **techniques(),  # each training method's own techniques live in its registry entry (tools/methods.py)
    "LoRA": (None, ("large_model",)),
    "QLoRA": (None, ("large_model", "out_of_memory")),
    "Curriculum (easy to hard)": (None, ("labels_noisy",)),
    "Sequence packing": (None, ("large_model",)),
}


def _year(arxiv_id: str) -> int:
    return 2000 + int(arxiv_id[:2])


CATALOGUE: list[TechniqueRef] = [
    TechniqueRef(name=name, paper_id=f"arxiv:{aid}", title=title, year=_year(aid), when_to_use=use,
                 key_hyperparameters=hps, method=APPLIES.get(name, (None, ()))[0],
                 conditions=list(APPLIES.get(name, (None, ()))[1]))
    for name, aid, title, use, hps, _ in _ENTRIES
]
_KEYWORDS = {f"arxiv:{aid}": words for _, aid, _, _, _, words in _ENTRIES}


def _tokens(text: str) -> list[str]:
    import re

    return re.findall(r"[a-z0-9]+", text.lower())


def technique_catalogue(
    goal: Annotated[str, "the training goal, e.g. 'raise GSM8K accuracy of a 0.5B model'"],
    limit: Annotated[int, "how many techniques to return"] = 5,
) -> list[TechniqueRef]:
    """Post-training techniques from a built-in, curated catalogue, most relevant to the goal first; works offline.

    Each TechniqueRef has the technique name, the paper that introduced it (paper_id like "arxiv:2402.03300", exact
    title, year), when to use it, and the key hyperparameters the paper reports. Cite the paper_id when proposing it.
    """
    from rank_bm25 import BM25Okapi

    docs = [_tokens(f"{t.name} {t.title} {t.when_to_use} {_KEYWORDS[t.paper_id]}") for t in CATALOGUE]
    scores = BM25Okapi(docs).get_scores(_tokens(goal))
    order = sorted(range(len(CATALOGUE)), key=lambda i: (-scores[i], i))
    return [CATALOGUE[i] for i in order[: max(0, limit)]]
