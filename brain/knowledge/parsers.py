"""Turn uploaded files into Markdown the chunker understands: pages, sheets and table rows stay whole.

Every refusal is a DocumentError with a message an admin can act on; nothing is indexed on a refusal.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import PurePath
from typing import ClassVar

from brain.knowledge.chunking import split_front_matter

MAX_UNZIPPED_BYTES = 200 * 1024 * 1024  # a DOCX/XLSX that inflates past this is treated as a zip bomb
MAX_ZIP_RATIO = 100
SUPPORTED = {".md", ".markdown", ".txt", ".html", ".htm", ".csv", ".xlsx", ".docx", ".pdf"}
QUESTION_COLUMNS = {"question", "q", "вопрос", "питання"}
ANSWER_COLUMNS = {"answer", "a", "ответ", "відповідь"}


class DocumentError(ValueError):
    """The file cannot be indexed; the message says why, in words an admin understands."""


@dataclass(slots=True)
class ParsedDocument:
    markdown: str
    kind: str
    pages: int = 1


def parse_document(name: str, data: bytes) -> ParsedDocument:
    suffix = PurePath(name).suffix.lower()
    if suffix not in SUPPORTED:
        raise DocumentError(
            f"{name}: unsupported file type {suffix or '(none)'}; supported: " + ", ".join(sorted(SUPPORTED))
        )
    if not data.strip():
        raise DocumentError(f"{name}: the file is empty")
    title = PurePath(name).stem.replace("_", " ")
    if suffix in {".md", ".markdown", ".txt"}:
        text = decode_text(data)
        meta, body = split_front_matter(text)
        if body.lstrip().startswith("#"):
            return ParsedDocument(text, "text")
        front = "---\n" + "\n".join(f"{k}: {v}" for k, v in meta.items()) + "\n---\n" if meta else ""
        return ParsedDocument(f"{front}# {title}\n\n{body}", "text")
    if suffix in {".html", ".htm"}:
        return ParsedDocument(html_to_markdown(decode_text(data), title), "html")
    if suffix == ".csv":
        return ParsedDocument(rows_to_markdown(list(csv.reader(io.StringIO(decode_text(data)))), title), "csv")
    if suffix == ".xlsx":
        return xlsx_to_markdown(data, title)
    if suffix == ".docx":
        return ParsedDocument(docx_to_markdown(data, title), "docx")
    return pdf_to_markdown(data, title)


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1251, the usual encoding of Cyrillic spreadsheets."""
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DocumentError("the file is not text in UTF-8 or Windows-1251")


class _TextOnly(HTMLParser):
    """Visible text with headings kept as Markdown; scripts, styles and templates are dropped."""

    SKIP: ClassVar[set[str]] = {"script", "style", "noscript", "template", "svg", "head"}
    BLOCKS: ClassVar[set[str]] = {"p", "div", "li", "tr", "br", "section", "article", "table", "ul", "ol"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self.SKIP:
            self._skip += 1
        elif re.fullmatch(r"h[1-6]", tag):
            self.parts.append("\n\n" + "#" * int(tag[1]) + " ")
        elif tag in self.BLOCKS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self._skip = max(0, self._skip - 1)
        elif re.fullmatch(r"h[1-6]", tag):
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_markdown(html: str, title: str) -> str:
    parser = _TextOnly()
    parser.feed(html)
    text = re.sub(r"[ \t]+", " ", "".join(parser.parts))
    text = re.sub(r"\n\s*\n+", "\n\n", text).strip()
    if not text:
        raise DocumentError("the page has no visible text")
    return text if text.startswith("# ") else f"# {title}\n\n{text}"


def rows_to_markdown(rows: list[list[str]], title: str, heading: str | None = None) -> str:
    """Question/answer tables become one section per pair; other tables one paragraph per row."""
    rows = [[str(c).strip() for c in row] for row in rows if any(str(c).strip() for c in row)]
    if not rows:
        raise DocumentError("the table is empty")
    header = [h.lower() for h in rows[0]]
    q = next((i for i, h in enumerate(header) if h in QUESTION_COLUMNS), None)
    a = next((i for i, h in enumerate(header) if h in ANSWER_COLUMNS), None)
    lines = [f"# {title}"] + ([f"## {heading}"] if heading else [])
    if q is not None and a is not None:
        for row in rows[1:]:
            if len(row) > max(q, a) and row[q] and row[a]:
                lines.append(f"\n## {row[q]}\n{row[a]}")
        return "\n".join(lines)
    for row in rows[1:]:
        pairs = [f"{name}: {value}" for name, value in zip(rows[0], row, strict=False) if value]
        lines.append("\n" + "; ".join(pairs))
    return "\n".join(lines)


def _check_zip(data: bytes) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise DocumentError("the file is corrupt (not a valid Office document)") from exc
    total = sum(info.file_size for info in archive.infolist())
    if total > MAX_UNZIPPED_BYTES or total > max(len(data), 1) * MAX_ZIP_RATIO:
        raise DocumentError("the file expands to an unreasonable size (a zip bomb?) and was refused")
    return archive


def xlsx_to_markdown(data: bytes, title: str) -> ParsedDocument:
    from openpyxl import load_workbook

    _check_zip(data)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged workbook
        raise DocumentError(f"the workbook cannot be read ({type(exc).__name__})") from exc
    parts = []
    for sheet in workbook.worksheets:
        rows = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        try:
            parts.append(rows_to_markdown(rows, title, heading=sheet.title).split("\n", 1)[1])
        except DocumentError:
            continue
    workbook.close()
    if not parts:
        raise DocumentError("the workbook has no data")
    return ParsedDocument(f"# {title}\n" + "\n".join(parts), "xlsx", pages=len(parts))


def docx_to_markdown(data: bytes, title: str) -> str:
    import docx

    _check_zip(data)
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises assorted types for damaged files
        raise DocumentError(f"the document cannot be read ({type(exc).__name__})") from exc
    lines = [f"# {title}"]
    for paragraph in document.paragraphs:
        text = paragraph.text.strip()
        if not text:
            continue
        style = (paragraph.style.name if paragraph.style is not None else "").lower()
        level = re.search(r"heading (\d)", style)
        lines.append(f"\n{'#' * min(int(level.group(1)) + 1, 6)} {text}" if level else f"\n{text}")
    for table in document.tables:
        rows = [[cell.text for cell in row.cells] for row in table.rows]
        try:
            lines.append(rows_to_markdown(rows, title).split("\n", 1)[1])
        except DocumentError:
            continue
    if len(lines) == 1:
        raise DocumentError("the document has no text")
    return "\n".join(lines)


def pdf_to_markdown(data: bytes, title: str) -> ParsedDocument:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise DocumentError("the PDF is password-protected; remove the password and send it again")
        pages = [(page.extract_text() or "").strip() for page in reader.pages]
    except DocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise DocumentError(f"the PDF is corrupt or unreadable ({type(exc).__name__})") from exc
    if not any(pages):
        raise DocumentError("the PDF has no text layer (a scan?); OCR is not supported yet")
    sections = [f"## Page {number}\n{text}" for number, text in enumerate(pages, 1) if text]
    return ParsedDocument(f"# {title}\n\n" + "\n\n".join(sections), "pdf", pages=len(pages))
