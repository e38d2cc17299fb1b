"""Structure-aware chunking: Markdown headings become sections; long sections split by paragraph."""

from __future__ import annotations

import re
from dataclasses import dataclass

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.DOTALL)


@dataclass(slots=True)
class Chunk:
    title: str
    section: str
    text: str


def split_front_matter(raw: str) -> tuple[dict[str, str], str]:
    """`key: value` lines between leading `---` fences, and the rest of the text."""
    match = _FRONT_MATTER.match(raw)
    if not match:
        return {}, raw
    meta = {}
    for line in match.group(1).splitlines():
        key, sep, value = line.partition(":")
        if sep:
            meta[key.strip()] = value.strip()
    return meta, raw[match.end() :]


def chunk_markdown(text: str, max_chars: int = 900, overlap_chars: int = 150) -> tuple[str, list[Chunk]]:
    """The document title (first `#` heading) and its chunks, one per section where they fit."""
    title = ""
    sections: list[tuple[str, list[str]]] = []
    heading, lines = "", []
    for line in text.splitlines():
        match = _HEADING.match(line)
        if match:
            if lines and any(part.strip() for part in lines):
                sections.append((heading, lines))
            level, heading_text = len(match.group(1)), match.group(2)
            if level == 1 and not title:
                title = heading_text
            heading, lines = heading_text, []
        else:
            lines.append(line)
    if lines and any(part.strip() for part in lines):
        sections.append((heading, lines))
    chunks: list[Chunk] = []
    for section, body_lines in sections:
        body = _normalise("\n".join(body_lines))
        for piece in _split_long(body, max_chars, overlap_chars):
            chunks.append(Chunk(title=title, section=section, text=piece))
    return title, chunks


def _normalise(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\u00a0", " ")
    text = re.sub(r"[ \t]+", " ", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _split_long(body: str, max_chars: int, overlap_chars: int) -> list[str]:
    """Paragraph-packed pieces of at most ~max_chars, each starting with the tail of the previous one."""
    if len(body) <= max_chars:
        return [body] if body else []
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n|(?<=[.!?])\s+", body) if p.strip()]
    pieces: list[str] = []
    current = ""
    for paragraph in paragraphs:
        if current and len(current) + len(paragraph) + 1 > max_chars:
            pieces.append(current)
            current = current[-overlap_chars:].split(" ", 1)[-1] + " " + paragraph
        else:
            current = f"{current} {paragraph}".strip()
    if current:
        pieces.append(current)
    return pieces
