"""Knowledge ingestion of real file formats, and every kind of bad file (the knowledge base stays as it was)."""

from __future__ import annotations

import io
import zipfile

import pytest

from brain.knowledge.parsers import DocumentError, parse_document
from tests.fakes.files import text_pdf


def docx_bytes() -> bytes:
    import docx

    document = docx.Document()
    document.add_heading("Service plans", level=1)
    document.add_paragraph("The Premium plan includes two preventive visits a year for 150 EUR.")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def faq_xlsx() -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Question", "Answer"])
    sheet.append(["Do you lease machines to start-ups?", "Yes, with a 6-month minimum term."])
    sheet.append(["Can I pay in crypto?", "No, only bank transfer or card."])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def zip_bomb(member: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive, archive.open(member, "w") as handle:
        for _ in range(20):
            handle.write(b"\0" * (1024 * 1024))
    return buffer.getvalue()


def test_formats_become_sections():
    pdf = parse_document("terms.pdf", text_pdf("Leasing terms start at 12 months", "Early return costs 2 payments"))
    assert pdf.pages == 2 and "## Page 2\nEarly return costs 2 payments" in pdf.markdown
    assert "two preventive visits" in parse_document("plans.docx", docx_bytes()).markdown
    faq = parse_document("faq.xlsx", faq_xlsx()).markdown
    assert "## Do you lease machines to start-ups?\nYes, with a 6-month minimum term." in faq
    html = parse_document(
        "page.html",
        b"<html><head><script>steal()</script></head><body><h2>Hours</h2>"
        b"<p>Open 9-19</p><script>alert(1)</script></body></html>",
    ).markdown
    assert "## Hours" in html and "Open 9-19" in html and "alert" not in html and "steal" not in html
    cp1251 = 'Вопрос,Ответ\nЕсть ли доставка в Черновцы?,"Да, Новой почтой"\n'.encode("cp1251")
    assert "## Есть ли доставка в Черновцы?\nДа, Новой почтой" in parse_document("faq.csv", cp1251).markdown


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("virus.exe", b"MZ...", "unsupported file type"),
        ("empty.pdf", b"", "empty"),
        ("broken.pdf", b"%PDF-1.4 this is not really a pdf", "corrupt"),
        ("scan.pdf", None, "no text layer"),
        ("locked.pdf", None, "password-protected"),
        ("bomb.docx", None, "zip bomb"),
        ("bomb.xlsx", None, "zip bomb"),
        ("fake.docx", b"PK\x03\x04 definitely not a zip", "corrupt"),
        ("script-only.html", b"<script>alert(1)</script>", "no visible text"),
    ],
)
def test_bad_files_are_refused_with_a_clear_reason(name, data, message):
    from pypdf import PdfReader, PdfWriter

    if name == "scan.pdf":
        writer = PdfWriter()
        writer.add_blank_page(612, 792)
        buffer = io.BytesIO()
        writer.write(buffer)
        data = buffer.getvalue()
    elif name == "locked.pdf":
        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(text_pdf("secret price list"))))
        writer.encrypt("s3cret")
        buffer = io.BytesIO()
        writer.write(buffer)
        data = buffer.getvalue()
    elif name.startswith("bomb."):
        data = zip_bomb("word/document.xml" if name.endswith("docx") else "xl/worksheets/sheet1.xml")
    with pytest.raises(DocumentError, match=message):
        parse_document(name, data)


async def test_refused_files_leave_the_knowledge_base_unchanged(services):
    before_chunks = await services.clients.vectors.count()
    before_docs = len(await services.repos.documents.list())
    for name, data in [
        ("scan.pdf", b"%PDF-1.4 garbage"),
        ("bomb.docx", zip_bomb("word/document.xml")),
        ("empty.txt", b"   "),
    ]:
        with pytest.raises(ValueError):
            await services.knowledge.ingest_file(name, data)
    assert await services.clients.vectors.count() == before_chunks
    assert len(await services.repos.documents.list()) == before_docs


async def test_pdf_is_answerable_and_same_file_twice_is_a_no_op(services_factory):
    async with services_factory() as services:
        pdf = text_pdf("BrewPoint leasing for start-ups requires a 6 month minimum term")
        first = await services.knowledge.ingest_file("leasing.pdf", pdf)
        again = await services.knowledge.ingest_file("leasing.pdf", pdf)
        assert not first.unchanged and again.unchanged and first.pages == 1
        passages = await services.knowledge.search("minimum leasing term for start-ups", language="en")
        assert passages[0].document == "leasing.pdf"


async def test_crash_mid_ingestion_keeps_the_previous_version_serving(services_factory):
    async with services_factory() as services:
        v1 = await services.knowledge.ingest_file("hours.txt", b"# Hours\n\n## Opening hours\nWe are open 9 to 19.")
        embedder = services.knowledge._embedder

        async def broken(texts):
            raise RuntimeError("embedding worker died")

        original = embedder.embed_passages
        embedder.embed_passages = broken  # type: ignore[method-assign]
        try:
            with pytest.raises(RuntimeError):
                await services.knowledge.ingest_file("hours.txt", b"# Hours\n\n## Opening hours\nOpen 10 to 18 now.")
        finally:
            embedder.embed_passages = original  # type: ignore[method-assign]
        passages = await services.knowledge.search("when are you open", language="en")
        assert "9 to 19" in passages[0].text
        records = {r.version: r for r in await services.repos.documents.list() if r.name == "hours.txt"}
        assert records[1].status == "ready" and records[1].id == v1.document.id and records[2].status == "failed"
