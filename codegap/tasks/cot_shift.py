"""CoT as imitation: does chain-of-thought's benefit survive a distribution shift?

Each instance is a matched pair of twins that differ only in one convention:

- `add`: the same digit strings added in base 10 (familiar) and in base `b`
  (counterfactual, default 9), in the framing of "Reasoning or Reciting?"
  (arXiv 2307.02477). Operands use only digits 0..b-1 so both readings are
  valid, and every pair needs a carry in base b, so the two answers differ.
- `rot`: the same English word encoded with rot-13 (familiar, common on the
  web) and with a rare shift k (counterfactual), as in "Embers of
  Autoregression" (arXiv 2309.13638).

Arms: `direct` (answer only) and `cot` (think step by step, then answer), on
both twins. The generator computes every answer, so each is verified.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Sequence

from codegap.tasks.common import Graded, make_rng, parse_token_answer

Family = Literal["add", "rot"]
Variant = Literal["familiar", "counterfactual"]
Arm = Literal["direct", "cot"]
ARMS: tuple[Arm, ...] = ("direct", "cot")
VARIANTS: tuple[Variant, ...] = ("familiar", "counterfactual")
DIGITS = "0123456789"

#: Common, short English words: a decoded guess is easy to recognise, and the
#: plaintext itself is never the obstacle.
WORDS = (
    "apple", "bread", "chair", "dream", "earth", "field", "glass", "house", "juice", "knife",
    "lemon", "money", "night", "ocean", "paper", "queen", "river", "sugar", "table", "water",
    "world", "green", "light", "plant", "smile", "stone", "train", "voice", "happy", "music",
    "cloud", "dance", "horse", "mouse", "sheep", "storm", "tiger", "heart", "bottle", "garden",
    "friend", "window", "winter", "summer", "school", "market", "silver", "orange", "yellow", "animal",
)


@dataclass(frozen=True)
class Twin:
    """One side of a twin pair: the question and its verified answer."""

    pair: str  # id shared by both twins
    variant: Variant
    family: Family
    question: str
    answer: str
    base: int  # the base for `add`, the shift for `rot`


def to_base(value: int, base: int) -> str:
    """Non-negative integer -> digit string in `base` (2..10)."""
    if not 2 <= base <= 10 or value < 0:
        raise ValueError(f"to_base: need 2 <= base <= 10 and value >= 0, got base={base}, value={value}")
    out = ""
    while True:
        value, r = divmod(value, base)
        out = DIGITS[r] + out
        if value == 0:
            return out


def add_in_base(a: str, b: str, base: int) -> str:
    """The sum of two digit strings read in `base`, written in `base`."""
    return to_base(int(a, base) + int(b, base), base)


def rot(word: str, k: int) -> str:
    """Shift each lowercase letter k places forward in the alphabet (wrapping)."""
    return "".join(chr((ord(ch) - 97 + k) % 26 + 97) if "a" <= ch <= "z" else ch for ch in word)


def _add_pair(rng: Any, digits: int, base: int) -> tuple[str, str]:
    for _ in range(1000):
        a = str(rng.randint(1, base - 1)) + "".join(str(rng.randrange(base)) for _ in range(digits - 1))
        b = str(rng.randint(1, base - 1)) + "".join(str(rng.randrange(base)) for _ in range(digits - 1))
        if add_in_base(a, b, base) != add_in_base(a, b, 10):
            return a, b
    raise RuntimeError(f"no carrying pair found for digits={digits}, base={base}")  # pragma: no cover


def _add_question(a: str, b: str, base: int) -> str:
    return (f"You are a mathematician. Assuming that all numbers are in base-{base}, "
            f"where the digits are \"{DIGITS[:base]}\", what is {a}+{b}?")


def _rot_question(cipher: str, k: int) -> str:
    return (f"The word \"{cipher}\" was encoded with a Caesar cipher that shifts every letter "
            f"{k} places forward in the alphabet (rot-{k}). What is the original English word?")


def generate(seed: int, n: int, family: Family = "add", *, digits: int = 3, base: int = 9,
             shift: int = 8) -> list[tuple[Twin, Twin]]:
    """`n` twin pairs (familiar, counterfactual); a pure function of its arguments.

    For `add`, `digits` is each operand's length and `base` the counterfactual
    base. For `rot`, `shift` is the counterfactual shift (13 is the familiar one).
    """
    if family == "add":
        if not 2 <= base <= 9:
            raise ValueError(f"cot_shift.generate: counterfactual base must be 2..9, got {base}")
        if digits < 1:
            raise ValueError(f"cot_shift.generate: digits must be >= 1, got {digits}")
    elif family == "rot":
        if shift % 26 in (0, 13):
            raise ValueError(f"cot_shift.generate: shift {shift} is not a counterfactual of rot-13")
    else:
        raise ValueError(f"cot_shift.generate: family must be 'add' or 'rot', got {family!r}")
    pairs = []
    for i in range(n):
        rng = make_rng(seed, "cot_shift", family, digits, base, shift, i)
        pid = f"{family}-{i}"
        if family == "add":
            a, b = _add_pair(rng, digits, base)
            fam = Twin(pid, "familiar", family, _add_question(a, b, 10), add_in_base(a, b, 10), 10)
            cf = Twin(pid, "counterfactual", family, _add_question(a, b, base), add_in_base(a, b, base), base)
        else:
            word = rng.choice(WORDS)
            fam = Twin(pid, "familiar", family, _rot_question(rot(word, 13), 13), word, 13)
            cf = Twin(pid, "counterfactual", family, _rot_question(rot(word, shift), shift), word, shift)
        pairs.append((fam, cf))
    return pairs


# --- prompts and scoring ---------------------------------------------------------------


def prompt(twin: Twin, arm: Arm) -> str:
    what = "number" if twin.family == "add" else "word"
    if arm == "direct":
        return f"{twin.question}\n\nDo not show any working. Reply with exactly one line: Answer: <{what}>"
    if arm == "cot":
        return f"{twin.question}\n\nLet's think step by step. Then finish with exactly one line: Answer: <{what}>"
    raise ValueError(f"unknown arm {arm!r}; expected one of {ARMS}")


def max_tokens(twin: Twin, arm: Arm, digits: int) -> int:
    if arm == "direct":
        return 16
    # Measured on qwen2.5-coder-0.5b: its CoT for 2-digit sums often runs past 180 tokens.
    size = digits if twin.family == "add" else len(twin.answer)
    return min(120 + 50 * size, 500)


def grade(completion: str, twin_answer: str, family: Family, base: int) -> Graded:
    """Exact match of the declared answer; digits outside the base or non-letters are unparseable."""
    if family == "add":
        value = parse_token_answer(completion, DIGITS[:10])
        if value is None:
            return Graded(False, True, None, "no 'Answer: <number>' found")
        value = value.lstrip("0") or "0"
        if any(ch not in DIGITS[:base] for ch in value):
            return Graded(False, False, value, f"digit outside base {base}")
        return Graded(value == twin_answer, False, value)
    value = parse_token_answer(completion, "abcdefghijklmnopqrstuvwxyz")
    if value is None:
        return Graded(False, True, None, "no 'Answer: <word>' found")
    return Graded(value == twin_answer, False, value)


# --- inspect task ------------------------------------------------------------------------


def samples(seed: int, n: int, family: Family = "add", *, digits: int = 3, base: int = 9, shift: int = 8,
            arms: Sequence[Arm] = ARMS) -> list[Any]:
    from inspect_ai.dataset import Sample

    out = []
    for fam, cf in generate(seed, n, family, digits=digits, base=base, shift=shift):
        for twin in (fam, cf):
            for arm in arms:
                meta = {"arm": arm, "variant": twin.variant, "family": family, "instance": twin.pair,
                        "target": twin.answer, "base": twin.base, "max_tokens": max_tokens(twin, arm, digits)}
                out.append(Sample(id=f"{twin.pair}-{twin.variant}-{arm}", input=prompt(twin, arm),
                                  target=twin.answer, metadata=meta))
    return out


def task(seed: int = 0, n: int = 12, family: Family = "add", digits: int = 2, base: int = 9, shift: int = 8,
         arms: Sequence[Arm] = ARMS) -> Any:
    from inspect_ai import Task
    from inspect_ai.dataset import MemoryDataset

    from codegap.tasks.common import budgeted_generate, graded_scorer

    def _grade(completion: str, meta: dict[str, Any]) -> Graded:
        base_ = int(meta["base"]) if meta["family"] == "add" else 10
        return grade(completion, str(meta["target"]), meta["family"], base_)

    return Task(
        dataset=MemoryDataset(samples(seed, n, family, digits=digits, base=base, shift=shift, arms=arms),
                              name="cot-imitation"),
        solver=budgeted_generate(),
        scorer=graded_scorer(_grade),
        name="cot_imitation",
    )


def twin_table(df: Any) -> Any:
    """Per pair: 0/1 correctness of each (variant, arm) cell, one row per pair and epoch."""
    wide = df.pivot_table(index=["instance", "epoch"], columns=["variant", "arm"], values="correct",
                          aggfunc="first").astype(float)
    wide.columns = [f"{v}_{a}" for v, a in wide.columns]
    return wide.dropna().reset_index()


def metrics(df: Any, seed: int = 0) -> list[Any]:
    """CoT gain on each twin, the transfer deficit between them, and the CoT accuracy gap (paired)."""
    from codegap import stats

    w = twin_table(df)
    gain_f = (w["familiar_cot"] - w["familiar_direct"]).tolist()
    gain_c = (w["counterfactual_cot"] - w["counterfactual_direct"]).tolist()
    deficit = [f - c for f, c in zip(gain_f, gain_c)]
    return [
        stats.mean_metric("cot_gain_familiar", gain_f, seed=seed, note="CoT minus direct, familiar twin"),
        stats.mean_metric("cot_gain_counterfactual", gain_c, seed=seed, note="CoT minus direct, counterfactual twin"),
        stats.mean_metric("cot_gain_transfer_gap", deficit, seed=seed,
                          note="CoT gain on familiar minus CoT gain on counterfactual, per pair"),
        stats.diff_metric("cot_shift_gap", w["familiar_cot"].tolist(), w["counterfactual_cot"].tolist(),
                          seed=seed, paired=True, note="CoT accuracy, familiar minus counterfactual"),
        stats.diff_metric("direct_shift_gap", w["familiar_direct"].tolist(), w["counterfactual_direct"].tolist(),
                          seed=seed, paired=True, note="direct accuracy, familiar minus counterfactual"),
    ]
