"""HTML → plain text that keeps paragraph breaks, for feed summaries and content.

Feed HTML is small and often broken, so we use lxml's forgiving HTML parser on a
fragment, drop elements that never carry article text (script, style, forms...) and
turn block elements into newlines. Text without markup skips the parser entirely,
which matters for the ingest benchmark (most titles are plain).
"""

from __future__ import annotations

import html
import re

from lxml import etree

__all__ = ["html_to_text", "looks_like_html"]

_TAG = re.compile(r"<[a-zA-Z/!?]")
_ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z][a-zA-Z0-9]{1,31});")
_DROP = frozenset({
    "script", "style", "noscript", "template", "iframe", "object", "embed", "form", "button",
    "select", "svg", "canvas", "head", "title", "meta", "link", "input", "textarea", "nav", "audio", "video",
})
_BLOCK = frozenset({
    "p", "div", "section", "article", "header", "footer", "aside", "main", "blockquote", "pre",
    "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd", "table", "tr", "thead",
    "tbody", "tfoot", "figure", "figcaption", "hr", "address", "details", "summary", "center",
})
# Only runs that change: two or more blanks, or one blank that is not a plain space.
_SPACES = re.compile(r"[ \t\f\v\r\u00a0\u2000-\u200a\u202f\u205f\u3000]{2,}|[\t\f\v\r\u00a0\u2000-\u200a\u202f\u205f\u3000]")
_ODD_SPACE = re.compile(r"[\t\f\v\r\u00a0\u2000-\u200a\u202f\u205f\u3000]")
_NEWLINES = re.compile(r" ?\n[\n ]*")
_PARSER = etree.HTMLParser(remove_comments=True, remove_pis=True, no_network=True, recover=True)


def looks_like_html(text: str) -> bool:
    return bool(_TAG.search(text))


def _walk(parent: etree._Element, out: list[str]) -> None:
    """Append the visible text under ``parent`` (not its own text/tail) to ``out``."""
    for el in parent:
        tag = el.tag
        if type(tag) is not str or tag in _DROP:  # comments, PIs, scripts...: only the tail is text
            if el.tail:
                out.append(el.tail)
            continue
        if tag in _BLOCK:
            out.append("\n• " if tag == "li" else "\n")
            if el.text:
                out.append(el.text)
            if len(el):
                _walk(el, out)
            out.append("\n")
        else:
            if tag == "br":
                out.append("\n")
            elif tag == "td" or tag == "th":
                out.append(" ")
            if el.text:
                out.append(el.text)
            if len(el):
                _walk(el, out)
        if el.tail:
            out.append(el.tail)


def _tidy(text: str) -> str:
    if "  " in text or _ODD_SPACE.search(text):  # plain scans are ~20x cheaper than the sub
        text = _SPACES.sub(" ", text)
    if "\n" in text:
        text = _NEWLINES.sub("\n", text)
    return text.strip()


def html_to_text(markup: str) -> str:
    """Return the visible text of an HTML fragment, one paragraph per line.

    Plain text (no tags) only has its entities decoded and whitespace tidied.
    """
    if not markup:
        return ""
    if not _TAG.search(markup):
        if "&" in markup:
            markup = html.unescape(markup)
        return _tidy(markup)
    try:
        root = etree.fromstring(markup, _PARSER)  # plain elements: no lxml.html class lookup per node
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        root = None
    if root is None:
        return _tidy(html.unescape(re.sub(r"<[^>]*>", " ", markup)))
    body = root.find("body")
    top = body if body is not None else root
    out: list[str] = [top.text or ""]
    _walk(top, out)
    return _tidy("".join(out))
