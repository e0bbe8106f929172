"""HTML of received mail made safe to show in a client, and the plain text of HTML.

`sanitize_html` is nh3 (the Rust ammonia sanitiser, an html5ever parser: it sees the markup as a
browser does) with an explicit allowlist for showing mail: text formatting, headings, lists,
quotes, tables with their layout attributes, links and images. What it removes:
- scripts, styles sheets, `<title>`, Outlook's `<xml>` islands: with their content;
- every other tag not listed (forms and their fields, iframes, frames, objects, embeds, applets,
  `<base>`, `<meta>`, `<link>`, SVG, MathML): the tag, keeping its text;
- every attribute not listed, so all `on*` event handlers, `class` and `id` (which could restyle or
  target the client's own page), `srcset`, `formaction`;
- URLs other than http(s), mailto, tel, cid and (on `<img>` only) data:image; relative URLs
  (a received message has no base: resolved against the client's page they would call the
  client's own server); so `javascript:`, `vbscript:` and `data:text/html` links go;
- in `style` attributes, declarations other than the formatting properties below, and any that
  calls `url(`, `expression(`, `image-set(` or mentions `javascript:` (remote loads and old IE's
  scripting through CSS);
- comments (Outlook's conditional comments included).
Links get `rel="noopener noreferrer"` and `target="_blank"`. `cid:` image sources are kept: the
client resolves them to the message's inline attachments (ParsedAttachment.content_id).
Remote images (http/https) are kept; whether to load them is the client's choice.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import nh3

_TAGS = {
    "a", "abbr", "acronym", "address", "b", "bdi", "bdo", "big", "blockquote", "br", "caption", "center",
    "cite", "code", "col", "colgroup", "dd", "del", "dfn", "div", "dl", "dt", "em", "figcaption", "figure",
    "font", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p",
    "pre", "q", "rp", "rt", "ruby", "s", "samp", "small", "span", "strike", "strong", "sub", "sup", "table",
    "tbody", "td", "tfoot", "th", "thead", "tr", "tt", "u", "ul", "var", "wbr",
}
_DROPPED_WITH_CONTENT = {"script", "style", "title", "xml", "template", "noscript"}
_CELL = {"align", "valign", "bgcolor", "width", "height", "colspan", "rowspan", "nowrap", "scope", "abbr"}
_ATTRIBUTES = {
    "*": {"style", "dir", "lang", "title", "align"},
    "a": {"href", "name"},
    "img": {"src", "alt", "width", "height", "border", "hspace", "vspace"},
    "table": {"width", "height", "border", "cellpadding", "cellspacing", "bgcolor", "summary", "frame", "rules"},
    "td": _CELL,
    "th": _CELL,
    "tr": {"valign", "bgcolor", "height"},
    "thead": {"valign"},
    "tbody": {"valign"},
    "tfoot": {"valign"},
    "col": {"span", "width", "valign"},
    "colgroup": {"span", "width", "valign"},
    "font": {"color", "face", "size"},
    "ol": {"start", "type", "reversed"},
    "ul": {"type"},
    "li": {"value", "type"},
    "blockquote": {"cite", "type"},
    "q": {"cite"},
    "del": {"cite", "datetime"},
    "ins": {"cite", "datetime"},
    "hr": {"width", "size", "noshade", "color"},
    "bdo": set(),
}
_STYLE_PROPERTIES = {
    "color", "background-color", "font", "font-family", "font-size", "font-style", "font-weight",
    "font-variant", "text-align", "text-decoration", "text-indent", "text-transform", "letter-spacing",
    "word-spacing", "line-height", "white-space", "vertical-align", "direction", "unicode-bidi",
    "margin", "margin-top", "margin-right", "margin-bottom", "margin-left",
    "padding", "padding-top", "padding-right", "padding-bottom", "padding-left",
    "border", "border-top", "border-right", "border-bottom", "border-left", "border-color",
    "border-style", "border-width", "border-collapse", "border-spacing", "border-radius",
    "width", "height", "max-width", "min-width", "max-height", "min-height",
    "list-style-type", "list-style-position", "table-layout", "caption-side", "empty-cells",
}
_SCHEMES = {"http", "https", "mailto", "tel", "cid", "data"}
_BAD_STYLE = re.compile(r"url\s*\(|expression\s*\(|image-set\s*\(|javascript:|behavior\s*:|-moz-binding", re.I)
_DATA_IMAGE = re.compile(r"data:image/(png|gif|jpeg|jpg|webp|bmp);", re.I)


def _attribute(tag: str, name: str, value: str) -> str | None:
    if name == "style":
        kept = [d for d in value.split(";") if d.strip() and not _BAD_STYLE.search(d)]
        return ";".join(kept) or None
    if name in ("href", "src") and value.strip().lower().startswith("data:"):
        return value if tag == "img" and name == "src" and _DATA_IMAGE.match(value.strip()) else None
    return value


_CLEANER = nh3.Cleaner(
    tags=_TAGS,
    clean_content_tags=_DROPPED_WITH_CONTENT,
    attributes=_ATTRIBUTES,
    attribute_filter=_attribute,
    strip_comments=True,
    link_rel="noopener noreferrer",
    set_tag_attribute_values={"a": {"target": "_blank"}},
    url_schemes=_SCHEMES,
    filter_style_properties=_STYLE_PROPERTIES,
    url_relative="deny",
)


def sanitize_html(html: str) -> str:
    """`html` (a whole document or a fragment) reduced to the allowlist above."""
    return _CLEANER.clean(html.replace("\x00", ""))


_BLOCK = {
    "address", "blockquote", "center", "dd", "div", "dl", "dt", "figcaption", "figure", "h1", "h2", "h3",
    "h4", "h5", "h6", "hr", "li", "ol", "p", "pre", "table", "tr", "ul", "caption", "tbody", "thead", "tfoot",
}
_SKIPPED = {"script", "style", "title", "head", "xml", "template", "noscript"}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.pre = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in _SKIPPED:
            self.skipping += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append("\t")
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag in _BLOCK:
            self.parts.append("\n\n" if tag in ("p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table") else "\n")
            self.pre += tag == "pre"

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag == "hr":
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCK and tag != "li":
            self.parts.append("\n\n" if tag in ("p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table") else "\n")
            if tag == "pre":
                self.pre = max(0, self.pre - 1)

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        self.parts.append(data if self.pre else re.sub(r"[ \t\r\n\f\v]+", " ", data))


def html_to_text(html: str) -> str:
    """Readable plain text of `html`: tags dropped (scripts, styles and the head with their
    content), entities decoded, block elements on their own lines, runs of spaces and blank lines
    collapsed."""
    parser = _Text()
    parser.feed(html.replace("\x00", ""))
    parser.close()
    text = "".join(parser.parts).replace("\xa0", " ")
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
