"""Model layer: model strings, embedded GGUF weights, the `local` provider, the engine.

Notebooks use `run_eval(task, model, seed=..., log_dir=...)`; see `engine`.
"""

from codegap.models import local_provider  # noqa: F401  (registers the `local` provider)
from codegap.models.engine import (
    CallStats,
    EvalFailed,
    cache_hit_count,
    call_count,
    log_call_stats,
    model_version,
    reset_counts,
    run_eval,
)
from codegap.models.spec import DEFAULT_MODEL, ModelSpec, ModelStringError, parse_model
from codegap.models.weights import WeightsError, ensure_weights

__all__ = [
    "CallStats", "DEFAULT_MODEL", "EvalFailed", "ModelSpec", "ModelStringError",
    "WeightsError", "cache_hit_count", "call_count", "ensure_weights", "log_call_stats",
    "model_version", "parse_model", "reset_counts", "run_eval",
]
