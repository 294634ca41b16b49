"""Sphinx extension for the book (`_config.yml` loads it): closes two holes in the theme.

1. sphinx-book-theme puts the page title into its print-only `<h1>` and the site title
   into the sidebar as plain text (`title.astext()`) in templates that do not escape,
   so a `<` in a claim title or a model string became markup on every page. The values
   are escaped here, after the theme has set them.
2. Any math on a page (`$...$`, a notebook's LaTeX output) made Sphinx add MathJax from a
   CDN, which breaks offline reading and loads code from outside the site. Math is shown
   as its TeX source instead, with no script at all: the book's own pages use none.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes

from codegap.book.markdown import html_escape

#: The name `_config.yml` gives as `html_math_renderer`.
MATH_RENDERER = "codegap-plain"


def _escape_theme_titles(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    for key in ("pagetitle", "root_title"):
        if isinstance(context.get(key), str):
            context[key] = html_escape(context[key])


def _math_inline(self: Any, node: nodes.Element) -> None:
    self.body.append(f'<span class="math notranslate">{self.encode(node.astext())}</span>')
    raise nodes.SkipNode


def _math_block(self: Any, node: nodes.Element) -> None:
    self.body.append(f'<pre class="math notranslate">{self.encode(node.astext())}</pre>')
    raise nodes.SkipNode


def setup(app: Any) -> dict:
    # After sphinx_book_theme's add_metadata_to_page (default priority 500) set the titles.
    app.connect("html-page-context", _escape_theme_titles, priority=900)
    app.add_html_math_renderer(MATH_RENDERER, (_math_inline, None), (_math_block, None))
    return {"parallel_read_safe": True, "parallel_write_safe": True}
