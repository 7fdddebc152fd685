#!/usr/bin/env python3
"""Writes order rows as an .xlsx workbook with openpyxl, typed as a
spreadsheet types a CCW export it opened: numbers as numbers, dates as date
cells (order dates in the built-in short date format 14, start dates in a
custom yyyy-mm-dd format), text as text.

Reads JSON from stdin: {"path": ..., "header": [...], "rows": [[...], ...],
"shared": true|false}. shared=false writes a streaming (inline strings)
workbook, for sizes openpyxl cannot hold in memory.
"""
import datetime
import json
import sys

import openpyxl
from openpyxl.cell import WriteOnlyCell

NUMERIC = {"web_order_id", "sales_order", "quantity", "term_months"}


def typed(name, value):
    if value == "":
        return None, None
    if name in NUMERIC:
        try:
            return int(value), None
        except ValueError:
            return value, None
    if name == "line_number":
        try:
            return float(value), None
        except ValueError:
            return value, None
    if name in ("order_date", "start_date"):
        try:
            date = datetime.date.fromisoformat(value)
        except ValueError:
            return value, None
        return date, "mm-dd-yy" if name == "order_date" else "yyyy-mm-dd"
    return value, None


def write(path, header, rows, shared):
    names = [h.lower().replace(" ", "_") for h in header]
    workbook = openpyxl.Workbook(write_only=not shared)
    if shared:
        sheet = workbook.active
        sheet.title = "Orders"
        sheet.append(header)
        for row in rows:
            values = []
            formats = []
            for name, value in zip(names, row):
                cell, fmt = typed(name, value)
                values.append(cell)
                formats.append(fmt)
            sheet.append(values)
            for column, fmt in enumerate(formats, start=1):
                if fmt:
                    sheet.cell(row=sheet.max_row, column=column).number_format = fmt
    else:
        sheet = workbook.create_sheet("Orders")
        sheet.append(header)
        for row in rows:
            cells = []
            for name, value in zip(names, row):
                cell, fmt = typed(name, value)
                if fmt:
                    written = WriteOnlyCell(sheet, value=cell)
                    written.number_format = fmt
                    cells.append(written)
                else:
                    cells.append(cell)
            sheet.append(cells)
    workbook.save(path)


if __name__ == "__main__":
    job = json.load(sys.stdin)
    write(job["path"], job["header"], job["rows"], job.get("shared", True))
