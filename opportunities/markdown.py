"""Listing bodies are Markdown written by staff; the HTML is sanitized before it is shown.

The body sits under the detail page's "What it is" heading (an h2), so Markdown headings are
moved down to fit under it: `#` and `##` become h3, `###` h4, deeper ones h5. Nothing a writer
marks as a heading is dropped.
"""

import re

import markdown as markdown_lib
import nh3
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "ul", "ol", "li", "a", "h3", "h4", "h5", "blockquote", "code",
}  # fmt: skip
# Markdown heading level → the page's heading level.
HEADING_LEVELS = {"1": "3", "2": "3", "3": "4", "4": "5", "5": "5", "6": "5"}
HEADING_TAG = re.compile(r"<(/?)h([1-6])\b", re.IGNORECASE)

HELP_TEXT = _(
    "Markdown: a blank line starts a paragraph; **bold**, *italic*, [link text](https://…), "
    "lists with “- ” or “1. ”, “> ” for a quotation and `code`. Headings: ## for a section "
    "and ### for a part of one (shown below the page's own headings). Images, tables and raw "
    "HTML are not shown; links must start with https://, http:// or mailto:."
)


def _fit_headings(html: str) -> str:
    return HEADING_TAG.sub(lambda m: f"<{m.group(1)}h{HEADING_LEVELS[m.group(2)]}", html)


def render_markdown(text: str) -> SafeString:
    html = markdown_lib.markdown(text or "", extensions=["sane_lists"])
    clean = nh3.clean(
        _fit_headings(html),
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
    return mark_safe(clean)  # noqa: S308 - sanitized by nh3 just above
