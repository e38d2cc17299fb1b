"""Leads as CSV and Excel, for the REST API and the admin bot's /export."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook

from brain.lead_fields import describe_fields
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
    "telegram",
    "company",
    "decision_role",
    "product_interest",
    "quantity",
    "timeline",
    "timeline_date",
    "budget",
    "reasons",
    "updated_at",
]


def lead_rows(leads: list[Lead]) -> list[list[str]]:
    """One row per lead; fields as a manager reads them ("30 pcs", "20000 EUR"), dates as ISO."""
    rows = []
    for lead in leads:
        contact = lead.fields.get("contact") or {}
        shown = describe_fields(lead.fields)
        timeline = lead.fields.get("timeline")
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
                contact.get("telegram") or "",
                shown.get("company", ""),
                shown.get("decision_role", ""),
                shown.get("product_interest", ""),
                shown.get("quantity", ""),
                timeline.get("text", "") if isinstance(timeline, dict) else shown.get("timeline", ""),
                (timeline.get("date") or "") if isinstance(timeline, dict) else "",
                shown.get("budget", ""),
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
