"""codegap: a living survey of why AI code generation lags its benchmarks."""

__version__ = "0.1.0"
