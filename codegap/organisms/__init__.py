"""Tiny models trained from scratch on the CPU: the subjects of checks that cannot use a served model.

Some claims are about training itself (RL with a verifier reward sharpens,
SFT stops at its demonstrations), so their checks train a model organism:
a small transformer (`model.py`) on d-digit addition (`addition.py`), by
supervised fine-tuning and verifier-reward RL (`train.py`), with what decides
the numbers pinned and recorded (`determinism.py`). `check.py` holds the live
check base class whose `collect` trains instead of calling a model.

Importing this package does not import torch; the modules that train do.
"""
