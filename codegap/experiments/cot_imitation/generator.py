"""Twin tasks: the same text under a familiar convention and under a counterfactual one.

Why twins: the claim says chain-of-thought reproduces familiar reasoning forms,
so its benefit should fade on a variant that a procedure-follower finds just
as easy but that is rare in training data. Each unit of evidence is therefore
one *pair* of instances that share their surface (the same digit strings, the
same plaintext word, the same expression) and differ only in the stated
convention, plus one comprehension check of the counterfactual rule:

- `familiar`: the common convention (base-10, rot-13, left-to-right order);
- `counterfactual`: a rare convention with exactly the same number and kind
  of steps (base-k with the carries in the same columns, rot-k, "every
  addition before any subtraction");
- `check`: the counterfactual rule applied once, on an item where the
  familiar convention gives a different, detectable answer (a counterfactual
  comprehension check, after Wu et al. 2023, arXiv 2307.02477). A model that
  ignores the framing fails it; a model that answers at random fails it.

Three families (units take turns, `unit i` uses `families[i % len]`):

- `base`: addition of two operands of 3-4 digits ("Reasoning or Reciting?").
  Digits are drawn from 0..k-1 so both readings are valid, and pairs are kept
  only when the carries fall in the same columns in base k and in base 10
  (at least one, two for 4 digits): the two procedures are step for step the
  same, and the answers always differ.
- `rot`: decoding a common English word of 6-8 letters from a Caesar cipher,
  rot-13 versus a rare shift ("Embers of Autoregression", arXiv 2309.13638:
  GPT-4 decodes well only with the common shifts 1, 3 and 13). Both twins
  decode to the same word.
- `precedence`: a chain of 5 numbers joined by + and -, evaluated left to
  right (familiar) or with every addition before any subtraction
  (counterfactual). Both readings do the same 4 operations on the same
  numbers; the first number is one digit longer so no value goes below zero.

Every answer is computed here, so each instance carries its verified answer
and `familiar_answer`, what the familiar convention gives on the same text:
a counterfactual reply equal to it shows the familiar form intruding.
"""

from __future__ import annotations

from dataclasses import dataclass
from random import Random
from typing import Literal, Sequence

from codegap.experiments.answers import make_rng

Family = Literal["base", "rot", "precedence"]
Variant = Literal["familiar", "counterfactual", "check"]
FAMILIES: tuple[Family, ...] = ("base", "rot", "precedence")
VARIANTS: tuple[Variant, ...] = ("familiar", "counterfactual", "check")
DIGITS = "0123456789"
LETTERS = "abcdefghijklmnopqrstuvwxyz"
#: shifts that are common in training data (Embers of Autoregression): never counterfactual
COMMON_SHIFTS = frozenset({1, 3, 13, 23, 25})
#: the comprehension check of `precedence` (2-digit numbers): bounds of its operands
_CHECK_FIRST, _CHECK_REST = (60, 99), (11, 29)

#: Common English words of 6-8 letters: a decoded guess is easy to recognise, and the
#: plaintext itself is never the obstacle (only the shift is).
WORDS = (
    "animal", "autumn", "basket", "bottle", "bridge", "butter", "candle", "carpet", "castle", "cherry",
    "circle", "coffee", "cotton", "danger", "dinner", "doctor", "dragon", "engine", "family", "farmer",
    "finger", "flower", "forest", "friend", "garden", "ginger", "guitar", "hammer", "island", "jacket",
    "kitchen", "letter", "market", "meadow", "mirror", "monkey", "mother", "number", "orange", "pencil",
    "pepper", "pillow", "planet", "pocket", "rabbit", "record", "ribbon", "rocket", "saddle", "school",
    "silver", "spring", "summer", "ticket", "tomato", "tunnel", "turtle", "valley", "velvet", "window",
    "winter", "yellow", "blanket", "cabinet", "chicken", "country", "diamond", "evening", "feather",
    "holiday", "husband", "journey", "kingdom", "library", "lantern", "morning", "network", "picture",
    "problem", "rainbow", "station", "teacher", "thunder", "vehicle", "village", "weather", "whisper",
    "airplane", "birthday", "building", "calendar", "princess", "elephant", "football", "hospital",
    "mountain", "painting", "sandwich", "shoulder", "squirrel", "strength", "treasure", "umbrella",
)


@dataclass(frozen=True)
class Instance:
    """One generated item with its verified answer.

    `size` is the operand length in digits (`base`, `precedence`) or the
    word length (`rot`); `inputs` are the numbers or the cipher text as
    shown (a model that copies its input answers with one of them).
    """

    id: str
    unit: int
    family: Family
    variant: Variant
    size: int
    convention: str
    question: str
    answer: str
    familiar_answer: str
    inputs: tuple[str, ...]


# --- base-k addition --------------------------------------------------------------------------


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


def carry_columns(a: str, b: str, base: int) -> tuple[int, ...]:
    """Columns (0 = units) that produce a carry when `a + b` is done digit by digit in `base`."""
    width = max(len(a), len(b))
    a, b = a.zfill(width), b.zfill(width)
    carry, out = 0, []
    for col in range(width):
        s = int(a[-1 - col]) + int(b[-1 - col]) + carry
        carry = int(s >= base)
        if carry:
            out.append(col)
    return tuple(out)


def _operand(rng: Random, digits: int, base: int) -> str:
    return str(rng.randint(1, base - 1)) + "".join(str(rng.randrange(base)) for _ in range(digits - 1))


def _base_question(a: str, b: str, base: int) -> str:
    return (f"You are a mathematician. Assuming that all numbers are in base-{base}, where the digits are "
            f"\"{DIGITS[:base]}\", what is {a}+{b}?")


def _base_check_question(n: str, base: int) -> str:
    return (f"You are a mathematician. Assuming that all numbers are in base-{base}, where the digits are "
            f"\"{DIGITS[:base]}\", what number comes right after {n}?")


def _base(rng: Random, unit: int, digits: int, base: int) -> list[Instance]:
    need = 1 if digits < 4 else 2
    for _ in range(5000):
        a, b = _operand(rng, digits, base), _operand(rng, digits, base)
        ck = carry_columns(a, b, base)
        if len(ck) >= need and ck == carry_columns(a, b, 10):
            break
    else:  # pragma: no cover - guarded by the base check in `unit`
        raise RuntimeError(f"cot-imitation: no operand pair with matching carries for base {base}, {digits} digits")
    fam_ans, cf_ans = add_in_base(a, b, 10), add_in_base(a, b, base)
    # check: the successor of a number ending in the top digit (the familiar reading gives a digit k)
    n = str(rng.randint(1, base - 1)) + str(rng.randrange(base)) + str(base - 1)
    stem = f"u{unit}-base"
    return [
        Instance(f"{stem}-familiar", unit, "base", "familiar", digits, "base-10", _base_question(a, b, 10),
                 fam_ans, fam_ans, (a, b)),
        Instance(f"{stem}-counterfactual", unit, "base", "counterfactual", digits, f"base-{base}",
                 _base_question(a, b, base), cf_ans, fam_ans, (a, b)),
        Instance(f"{stem}-check", unit, "base", "check", 3, f"base-{base}", _base_check_question(n, base),
                 to_base(int(n, base) + 1, base), str(int(n) + 1), (n,)),
    ]


# --- rot-k decoding -------------------------------------------------------------------------------


def rot(text: str, k: int) -> str:
    """Shift each lowercase letter k places forward in the alphabet, wrapping from z to a."""
    return "".join(LETTERS[(LETTERS.index(ch) + k) % 26] if ch in LETTERS else ch for ch in text)


def _rot_question(cipher: str, k: int) -> str:
    return (f"The word \"{cipher}\" was encoded with a Caesar cipher that shifts every letter {k} places "
            f"forward in the alphabet (rot-{k}), wrapping around from z to a. What is the original English word?")


def _rot_check_question(letter: str, k: int) -> str:
    return (f"A Caesar cipher that shifts every letter {k} places forward in the alphabet (rot-{k}), wrapping "
            f"around from z to a, turned one letter into \"{letter}\". Which letter was it?")


def _rot(rng: Random, unit: int, shifts: Sequence[int]) -> list[Instance]:
    while True:  # a cipher text that happens to be a word of the list would be a give-away
        word = rng.choice(WORDS)
        k = rng.choice(list(shifts))
        fam_cipher, cf_cipher = rot(word, 13), rot(word, k)
        if fam_cipher not in WORDS and cf_cipher not in WORDS:
            break
    # check: a plain letter whose encoding wraps past z, so decoding must wrap back
    plain = LETTERS[rng.randint(26 - k, 25)]
    enc = rot(plain, k)
    stem = f"u{unit}-rot"
    return [
        Instance(f"{stem}-familiar", unit, "rot", "familiar", len(word), "rot-13", _rot_question(fam_cipher, 13),
                 word, word, (fam_cipher,)),
        Instance(f"{stem}-counterfactual", unit, "rot", "counterfactual", len(word), f"rot-{k}",
                 _rot_question(cf_cipher, k), word, rot(cf_cipher, -13), (cf_cipher,)),
        Instance(f"{stem}-check", unit, "rot", "check", 1, f"rot-{k}", _rot_check_question(enc, k),
                 plain, rot(enc, -13), (enc,)),
    ]


# --- counterfactual precedence -------------------------------------------------------------------

FAMILIAR_ORDER = "left to right"
COUNTERFACTUAL_ORDER = "additions first"
_RULES = {
    FAMILIAR_ORDER: "Use the usual rule: additions and subtractions are carried out one after another from "
                    "left to right.",
    COUNTERFACTUAL_ORDER: "Use this rule: every addition is carried out before any subtraction (first add up "
                          "the numbers joined by +, then do the subtractions from left to right).",
}


def evaluate(numbers: Sequence[int], ops: Sequence[str], order: str) -> int:
    """The value of `n0 op0 n1 op1 ...` under `order` ('left to right' or 'additions first')."""
    if len(ops) != len(numbers) - 1 or any(op not in "+-" for op in ops):
        raise ValueError(f"evaluate: need one + or - between each two numbers, got {ops!r}")
    if order == FAMILIAR_ORDER:
        value = numbers[0]
        for op, n in zip(ops, numbers[1:]):
            value = value + n if op == "+" else value - n
        return value
    if order == COUNTERFACTUAL_ORDER:
        groups = [numbers[0]]
        for op, n in zip(ops, numbers[1:]):
            if op == "+":
                groups[-1] += n
            else:
                groups.append(n)
        return groups[0] - sum(groups[1:])
    raise ValueError(f"evaluate: unknown order {order!r}")


def expression(numbers: Sequence[int], ops: Sequence[str]) -> str:
    parts = [str(numbers[0])]
    for op, n in zip(ops, numbers[1:]):
        parts += [op, str(n)]
    return " ".join(parts)


def _precedence_question(expr: str, order: str) -> str:
    return f"Evaluate {expr}. {_RULES[order]} What is the result?"


def _precedence(rng: Random, unit: int, digits: int) -> list[Instance]:
    lo, hi = 10 ** (digits - 1), 10 ** digits - 1
    for _ in range(1000):
        ops = [rng.choice("+-") for _ in range(4)]
        rest = [rng.randint(lo, hi) for _ in range(4)]
        first = rng.randint(4 * 10 ** digits, 10 ** (digits + 1) - 1)  # minus four operands stays > 0
        numbers = [first, *rest]
        fam = evaluate(numbers, ops, FAMILIAR_ORDER)
        cf = evaluate(numbers, ops, COUNTERFACTUAL_ORDER)
        if fam != cf and min(fam, cf) > 0 and not {str(fam), str(cf)} & {str(n) for n in numbers}:
            break
    else:  # pragma: no cover - the constraints leave most draws valid
        raise RuntimeError("cot-imitation: no valid precedence expression found")
    expr = expression(numbers, ops)
    while True:  # the check's answer must not be one of its own numbers (a copy would score)
        a, b, c = rng.randint(*_CHECK_FIRST), rng.randint(*_CHECK_REST), rng.randint(*_CHECK_REST)
        if a - b - c not in (a, b, c):
            break
    check_expr = expression([a, b, c], ["-", "+"])
    stem = f"u{unit}-precedence"
    inputs = tuple(str(n) for n in numbers)
    return [
        Instance(f"{stem}-familiar", unit, "precedence", "familiar", digits, FAMILIAR_ORDER,
                 _precedence_question(expr, FAMILIAR_ORDER), str(fam), str(fam), inputs),
        Instance(f"{stem}-counterfactual", unit, "precedence", "counterfactual", digits, COUNTERFACTUAL_ORDER,
                 _precedence_question(expr, COUNTERFACTUAL_ORDER), str(cf), str(fam), inputs),
        Instance(f"{stem}-check", unit, "precedence", "check", 2, COUNTERFACTUAL_ORDER,
                 _precedence_question(check_expr, COUNTERFACTUAL_ORDER), str(a - b - c), str(a - b + c),
                 (str(a), str(b), str(c))),
    ]


# --- units ----------------------------------------------------------------------------------------


def validate(families: Sequence[str], base: int, digits: Sequence[int], shifts: Sequence[int]) -> None:
    """One-line errors naming the parameter, before anything is generated."""
    if not families or any(f not in FAMILIES for f in families):
        raise ValueError(f"cot-imitation: parameter families must be a non-empty list of {FAMILIES}, got {families!r}")
    if not 6 <= base <= 9:
        # below 6 no column sum reaches 10, so base-10 never carries and the twins cannot share their carries
        raise ValueError(f"cot-imitation: parameter base must be 6..9, got {base!r}")
    if not digits or any(not isinstance(d, int) or not 2 <= d <= 6 for d in digits):
        raise ValueError(f"cot-imitation: parameter digits must be a non-empty list of integers in 2..6, got {digits!r}")
    if not shifts or any(not isinstance(k, int) or not 1 <= k <= 25 or k in COMMON_SHIFTS for k in shifts):
        raise ValueError(f"cot-imitation: parameter shifts must be a non-empty list of integers in 1..25 other than "
                         f"the common shifts {sorted(COMMON_SHIFTS)}, got {shifts!r}")


def unit(index: int, seed: int, families: Sequence[str], base: int, digits: Sequence[int],
         shifts: Sequence[int]) -> list[Instance]:
    """Unit `index`: [familiar twin, counterfactual twin, check]; a pure function of its arguments."""
    validate(families, base, digits, shifts)
    family = families[index % len(families)]
    rng = make_rng(seed, "cot-imitation", family, index)
    size = rng.choice(list(digits))
    if family == "base":
        return _base(rng, index, size, base)
    if family == "rot":
        return _rot(rng, index, shifts)
    return _precedence(rng, index, size)
