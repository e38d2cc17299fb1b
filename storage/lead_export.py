"""Leads as CSV and Excel, for the REST API and the admin bot's /export."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook

from storage.leads import Lead

CSV_COLUMNS = [
    "id",
    "name",
    "channel",
    "temperature",
    "score",
    "status",
    "phone",
    "email",
    "need",
    "budget",
    "timeline",
    "quantity",
    "product_interest",
    "reasons",
    "updated_at",
]


def lead_rows(leads: list[Lead]) -> list[list[str]]:
    rows = []
    for lead in leads:
        contact = lead.fields.get("contact") or {}
        rows.append(
            [
                lead.id,
                lead.name or "",
                lead.channel,
                lead.temperature,
                str(lead.score),
                lead.status,
                contact.get("phone") or "",
                contact.get("email") or "",
                str(lead.fields.get("need", "")),
                str(lead.fields.get("budget", "")),
                str(lead.fields.get("timeline", "")),
                str(lead.fields.get("quantity", "")),
                str(lead.fields.get("product_interest", "")),
                " | ".join(lead.reasons),
                lead.updated_at.isoformat() if lead.updated_at else "",
            ]
        )
    return rows


def leads_csv(leads: list[Lead]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    writer.writerows(lead_rows(leads))
    return buffer.getvalue()


def leads_xlsx(leads: list[Lead]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Leads"
    sheet.append(CSV_COLUMNS)
    for row in lead_rows(leads):
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
