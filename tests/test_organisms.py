"""The tiny organisms (codegap/organisms): task encoding, guessing bound, training, sampling, determinism."""

from __future__ import annotations

import itertools
import platform
import subprocess
import sys
from collections import Counter

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from codegap.organisms import addition, determinism as det, train as tr
from codegap.organisms.check import config_digest
from codegap.organisms.model import TinyGPT, mean_entropy

# --- the task ------------------------------------------------------------------------------------


@given(a=st.integers(0, 9999), b=st.integers(0, 9999))
def test_sums_are_written_reversed_fixed_width_and_read_back(a: int, b: int) -> None:
    s = addition.Sum(a, b, 4)
    assert len(s.prompt) == 10 and len(s.answer) == 5
    assert int(s.answer[::-1]) == a + b  # an independent route: reverse and read as a number
    assert addition.read_sum(s.answer, 4) == a + b
    assert addition.decode(addition.encode(s.prompt + s.answer)) == s.prompt + s.answer


def test_malformed_sums_read_as_none() -> None:
    for text in ("", "1234", "123456", "12+45", "1234=", "abcde", "12 45"):
        assert addition.read_sum(text, 4) is None, text
    with pytest.raises(ValueError, match="vocabulary"):
        addition.encode("12a")
    with pytest.raises(ValueError, match="fit"):
        addition.write_sum(100_000, 4)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), digits=st.integers(1, 4), n=st.integers(1, 60))
def test_draws_are_distinct_seeded_and_respect_exclusions(seed: int, digits: int, n: int) -> None:
    n = min(n, (10 ** digits) ** 2 // 2)
    first = addition.draw(seed, ("x",), n, digits)
    assert first == addition.draw(seed, ("x",), n, digits)
    assert len({(s.a, s.b) for s in first}) == n
    assert all(0 <= s.a < 10 ** digits and 0 <= s.b < 10 ** digits for s in first)
    other = addition.draw(seed, ("y",), n, digits, exclude=frozenset((s.a, s.b) for s in first))
    assert not {(s.a, s.b) for s in first} & {(s.a, s.b) for s in other}
    with pytest.raises(ValueError, match="distinct"):
        addition.draw(seed, ("x",), 101, 1)


@pytest.mark.parametrize("digits", [1, 2])
def test_guess_rate_bounds_the_best_problem_blind_guesser(digits: int) -> None:
    """Enumerate every problem: the k most frequent sums cover at most the bound."""
    n = 10 ** digits
    counts = Counter(a + b for a, b in itertools.product(range(n), repeat=2))
    assert max(counts.values()) / n ** 2 == pytest.approx(addition.sum_distribution_max(digits))
    for k in (1, 4, 16):
        top = sum(c for _, c in counts.most_common(k)) / n ** 2
        assert top <= addition.guess_rate(digits, k) + 1e-12
    assert addition.uniform_guess_rate(digits, 3) == pytest.approx(1 - (1 - 1 / 10 ** (digits + 1)) ** 3)


# --- model, training, sampling -------------------------------------------------------------------


def _tiny(seed: int = 0) -> TinyGPT:
    det.configure(seed)
    return TinyGPT(len(addition.VOCAB), addition.seq_len(1), d_model=32, n_layers=1, n_heads=2)


def _data(n: int = 100, digits: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    probs = addition.draw(0, ("t",), n, digits)
    return addition.tensor([p.prompt for p in probs]), addition.tensor([p.answer for p in probs])


def test_model_shapes_and_seeded_sampling() -> None:
    m = _tiny()
    x = torch.randint(0, len(addition.VOCAB), (3, 4))
    assert m(x).shape == (3, 4, len(addition.VOCAB))
    a = m.sample(x, 2, generator=det.generator(1))
    assert torch.equal(a, m.sample(x, 2, generator=det.generator(1))) and a.shape == (3, 2)
    assert bool((m.answer_logprobs(x, a) <= 0).all())
    with pytest.raises(ValueError, match="max_len"):
        m(torch.zeros(1, addition.seq_len(1) + 1, dtype=torch.long))


def test_sft_learns_one_digit_addition_and_stops_when_told() -> None:
    p, a = _data()
    m = _tiny()
    log = tr.sft(m, p, a, steps=600, batch=64, lr=5e-3, gen=det.generator(0), every=50)
    assert log.values[-1] < log.values[0] / 3 and log.steps == 600
    assert tr.greedy_accuracy(m, p, a) > 0.5
    early = tr.sft(_tiny(), p, a, steps=300, batch=64, lr=3e-3, gen=det.generator(0), stop=lambda: True,
                   check_every=10, min_steps=20)
    assert early.steps == 20
    with pytest.raises(ValueError, match="schedule"):
        tr.sft(_tiny(), p, a, steps=1, batch=4, lr=1e-3, gen=det.generator(0), schedule="linear")


def test_training_is_deterministic_and_rl_reward_is_the_exact_match() -> None:
    p, a = _data()

    def run() -> tuple[list[float], torch.Tensor]:
        m = _tiny(3)
        tr.sft(m, p, a, steps=60, batch=32, lr=3e-3, gen=det.generator(5))
        log = tr.rl(m, p, a, steps=8, per_step=8, group=4, lr=1e-3, gen=det.generator(6))
        return log.values, tr.draws(m, p[:5], 4, 2, temperature=1.0, gen=det.generator(7))

    (r1, d1), (r2, d2) = run(), run()
    assert r1 == r2 and torch.equal(d1, d2) and len(r1) == 8
    assert all(0.0 <= r <= 1.0 for r in r1)
    perfect = _tiny()
    # a reference answer equal to the sample is rewarded: feed the model's own greedy answers as truth
    truth = tr.greedy(perfect, p, 2)
    log = tr.rl(perfect, p, truth, steps=1, per_step=4, group=2, lr=0.0, gen=det.generator(0), temperature=1e-6)
    assert log.values == [1.0]


def test_draws_are_prompt_major() -> None:
    m = _tiny()
    p, _ = _data(3)
    out = tr.draws(m, p, 5, 2, temperature=1.0, gen=det.generator(0))
    assert out.shape == (15, 2)
    greedy = tr.draws(m, p, 2, 2, temperature=0.0, gen=det.generator(0))
    assert torch.equal(greedy[0], greedy[1]) and torch.equal(greedy[0], tr.greedy(m, p[:1], 2)[0])


def test_matched_temperature_recovers_the_temperature_of_a_target_entropy() -> None:
    m = _tiny()
    p, _ = _data(40)
    path = tr.greedy(m, p, 2)
    logits = m.answer_logits(p, path)
    target = mean_entropy(logits, 0.7)
    assert tr.matched_temperature(m, p, 2, target) == pytest.approx(0.7, abs=1e-3)
    assert tr.matched_temperature(m, p, 2, 0.0) == 0.05  # clamped below
    assert tr.matched_temperature(m, p, 2, 100.0) == 2.0  # clamped above
    assert tr.greedy_entropy(m, p, 2, 0.7) == pytest.approx(target)


# --- determinism and naming ------------------------------------------------------------------------


def test_environment_is_recorded() -> None:
    env = det.environment()
    assert env["torch"] == torch.__version__ and env["threads"] >= 1
    label = det.environment_label()
    assert torch.__version__ in label and "thread" in label


@pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64"), reason="the pins are x86-64 only")
def test_a_fresh_process_takes_the_pinned_cpu_code_path() -> None:
    code = ("import os; os.environ.pop('ATEN_CPU_CAPABILITY', None); os.environ.pop('MKL_CBWR', None)\n"
            "from codegap.organisms import determinism as d; d.configure(0); print(d.environment_label())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    flags = open("/proc/cpuinfo").read() if sys.platform.startswith("linux") else ""
    if " avx2" in flags:
        assert "AVX2" in out.stdout and "MKL_CBWR=AVX2" in out.stdout and "1 thread" in out.stdout


def test_config_digest_names_the_recipe_only() -> None:
    keys = ("digits", "steps")
    a = config_digest({"digits": 4, "steps": 10, "base_model": ""}, keys)
    assert a == config_digest({"steps": 10, "digits": 4, "base_model": "x"}, keys)
    assert a != config_digest({"digits": 4, "steps": 11}, keys)
    assert len(a) == 12
