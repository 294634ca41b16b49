"""What decides an organism's numbers, pinned where it can be and recorded where it cannot.

A tiny model trained from scratch is a chaotic function of its inputs: one
floating-point rounding difference in the first step changes every later
weight, and the final accuracy of one training seed can move by several
points. What determines a result here:

- the seed and the parameters (problems, initial weights, minibatches and
  every sampled token come from `torch.Generator`s seeded from them);
- the torch version (kernels change between releases);
- the CPU code path: ATen picks vector kernels by CPU capability (AVX2,
  AVX-512, ...) and MKL picks its matrix-multiply kernels by CPU model, so the
  same seed rounds differently on different processors;
- the number of threads (a parallel reduction sums in a different order).

Pinned here, before torch runs its first kernel: one thread, deterministic
algorithms, and on x86-64 the AVX2 code path for both ATen
(`ATEN_CPU_CAPABILITY`) and MKL (`MKL_CBWR`, MKL's conditional numerical
reproducibility), so any x86-64 machine with AVX2 takes the same kernels.
A value the user set in the environment is kept. What was actually in force
is recorded with every sample (`environment()`): if torch was already used in
the process before the pins could apply, the record says which path ran.

What still varies across machines (other architectures, other torch
versions) is why the checks treat training seeds as the units of evidence
and put seed-to-seed variance into every interval: the verdict is about the
training recipe, not about one seed's weights.
"""

from __future__ import annotations

import os
import platform
from typing import Any

#: Environment pins applied on x86-64 before torch is first used (kept if already set).
X86_PINS = {"ATEN_CPU_CAPABILITY": "avx2", "MKL_CBWR": "AVX2"}
#: Training and sampling always use this many threads (see module doc).
THREADS = 1


def _pin_environment() -> None:
    if platform.machine().lower() in ("x86_64", "amd64"):
        for key, value in X86_PINS.items():
            os.environ.setdefault(key, value)


_pin_environment()

import torch  # noqa: E402  (after the pins: they are read when the first kernel runs)


def configure(seed: int) -> None:
    """Pin threads and deterministic kernels, and seed torch's global generator."""
    torch.set_num_threads(THREADS)
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(seed)


def generator(seed: int) -> torch.Generator:
    """A CPU generator of its own: each phase draws from its own stream, so phases do not shift each other."""
    return torch.Generator().manual_seed(int(seed) & 0x7FFF_FFFF_FFFF_FFFF)


def environment() -> dict[str, Any]:
    """What was in force: torch version, CPU capability in use, MKL reproducibility mode, threads."""
    return {
        "torch": torch.__version__,
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "mkl_cbwr": os.environ.get("MKL_CBWR", ""),
        "threads": torch.get_num_threads(),
        "machine": platform.machine(),
    }


def environment_label() -> str:
    """`environment()` in one short line, stored with each sample."""
    env = environment()
    mkl = f", MKL_CBWR={env['mkl_cbwr']}" if env["mkl_cbwr"] else ""
    return (f"torch {env['torch']}, {env['machine']} {env['cpu_capability']}{mkl}, "
            f"{env['threads']} thread{'s' if env['threads'] != 1 else ''}")


def sub_seed(seed: int, *labels: object) -> int:
    """A seed for one phase or stream of an organism, from its seed and labels (same on every machine)."""
    from codegap.experiments.answers import make_rng

    return make_rng(seed, "organism", *labels).getrandbits(62)
