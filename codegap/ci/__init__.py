"""CI orchestration of the scheduled rebuild: which live checks to rerun, and what changed.

`matrix` plans the claims x models cells from `config/ci-matrix.yaml`; `changes` writes
the body of the rebuild's pull request. The workflows call them only through Makefile
targets (`mk/ci.mk`). They sit apart from `fetch/` (the literature fetcher), which they use
only through its public view (`fetch.view.load_for_book`).
"""
