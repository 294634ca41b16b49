"""A tiny, self-contained RL-with-verifier setup for the RL-sharpening check (Mode B).

`run_mode_b(ModeBConfig(...))` pretrains a small transformer on generated
addition problems, RL-tunes a copy with a 0/1 verifier reward, and returns
per-problem (n, c) success counts of both on held-out problems.
"""

from codegap.tinyrl.train import ModeBConfig, ModeBResult, run_mode_b

__all__ = ["ModeBConfig", "ModeBResult", "run_mode_b"]
