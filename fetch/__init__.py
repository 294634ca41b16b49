"""Newer literature per claim: arXiv / Semantic Scholar / offline-mirror fetcher, ranking, triage.

Entry points: `fetch.cli.register(app)` (the `codegap fetch` / `codegap review`
commands) and `fetch.snapshot.load_for_book(root)` (what the book renders).
Format of the committed files and the rules used: fetch/README.md.
"""
