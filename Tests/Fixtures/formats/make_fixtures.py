#!/usr/bin/python3
"""Makes the workbook fixtures of this folder and of ../hostile with tools
other than smartdeposit: openpyxl (Debian's python3-openpyxl), LibreOffice
and Python's zipfile. Run it from anywhere; it rewrites the files in place.

  workbook-typed.xlsx        openpyxl: every cell type and date format, 1900 dates
  workbook-1904.xlsx         openpyxl: the same dates in the 1904 date system
  workbook-chart-first.xlsx  openpyxl: a chart sheet before the orders sheet
  ccw-export.xlsx            LibreOffice 7: ../identity/ccw-export.csv opened and saved
  ../hostile/xlsx-zip-bomb.xlsx          a sheet that inflates to 64 MiB of blanks (64 KiB on disk)
  ../hostile/xlsx-lying-sizes.xlsx       the same, its entry declaring 1 KiB
  ../hostile/xlsx-path-traversal.xlsx    a good workbook with entries named ../../… and /tmp/…
  ../hostile/xlsx-doctype.xlsx           a sheet with a DOCTYPE and an entity
  ../hostile/xlsx-truncated.xlsx         workbook-typed.xlsx cut in half
  ../hostile/xlsx-not-a-zip.xlsx         text named .xlsx
  ../hostile/xlsx-no-worksheet.xlsx      a workbook whose sheet entry is missing
"""
import datetime
import os
import shutil
import subprocess
import tempfile
import zipfile

import openpyxl

HERE = os.path.dirname(os.path.abspath(__file__))
HOSTILE = os.path.join(HERE, "..", "hostile")
HEADER = ["Web Order ID", "Sales Order", "Purchase Order", "Order Date", "Line Number", "SKU", "Qty",
          "License Type", "Term Months", "Start Date", "Smart Account", "Virtual Account", "End Customer", "Partner"]


def typed(path, epoch_1904=False):
    workbook = openpyxl.Workbook()
    if epoch_1904:
        workbook.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    sheet = workbook.active
    sheet.title = "Orders"
    sheet.append(HEADER)
    rows = [
        # whole numbers typed as numbers, a float line number, a date in built-in format 14
        [98770010, 104890001, "PO-INI-5512", datetime.date(2026, 11, 28), 1.0, "C9500-DNA-A-3Y", 8, "TERM", 36,
         datetime.date(2027, 1, 1), "acme.com", "Campus", "Société Générale", None],
        # a line number that binary floating point cannot hold exactly, a date-time
        [98770010, 104890001, "PO-INI-5512", datetime.datetime(2026, 11, 28, 23, 59, 59), 1.1000000000000001,
         "C9500-NW-A", 8.0, "PERPETUAL", None, None, "acme.com", "Campus", "Société Générale", None],
        # text that looks like numbers stays as typed
        ["0098770011", "104890002", "PO-0001", "2026-11-27", "2.0", "C9300-NW-E-24", "5", "PERPETUAL", None, None,
         "acme.com", "Campus", "Acme", None],
    ]
    for row in rows:
        sheet.append(row)
    sheet["D2"].number_format = "mm-dd-yy"            # built-in 14
    sheet["J2"].number_format = "[$-409]d\\ mmmm\\ yyyy;@"  # custom, with a locale and escapes
    sheet["D3"].number_format = "yyyy-mm-dd hh:mm:ss"  # custom date-time
    sheet.append([])                                   # an empty row is skipped
    sheet.append([98770012, None, None, None, 1, "C9300-NW-E-24", 2, "PERPETUAL", None, None, "acme.com", None,
                  None, None, "beyond"])               # a value beyond the header
    sheet["O6"].value = "beyond"
    sheet.append([98770013, None, None, None, 1, "C9300-NW-E-24", 2.5, "PERPETUAL", None, None, "acme.com", None,
                  None, None])                         # 2.5 licences: a number that is not whole
    sheet.cell(row=8, column=1, value=98770014)         # sparse: only some cells
    sheet.cell(row=8, column=5, value=1)
    sheet.cell(row=8, column=6, value="C9300-NW-E-24")
    sheet.cell(row=8, column=7, value=1)
    sheet.cell(row=8, column=8, value="PERPETUAL")
    sheet.cell(row=8, column=11, value="acme.com")
    workbook.create_sheet("Notes").append(["not read"])
    workbook.save(path)


def chart_first(path):
    from openpyxl.chart import BarChart, Reference
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Orders"
    sheet.append(HEADER)
    sheet.append([98770020, None, None, None, 1, "C9300-NW-E-24", 4, "PERPETUAL", None, None, "acme.com", "Campus",
                  None, None])
    chart = BarChart()
    chart.add_data(Reference(sheet, min_col=7, min_row=1, max_row=2), titles_from_data=True)
    charts = workbook.create_chartsheet("Chart", 0)
    charts.add_chart(chart)
    workbook.save(path)


def libreoffice(csv_path, out_dir):
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "xlsx",
                        "--outdir", out_dir, csv_path], check=True, capture_output=True)


def rezip(source, destination, change):
    """Copies a zip entry by entry; change(name, data) returns [(name, data)] to write instead."""
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(destination, "w", zipfile.ZIP_DEFLATED) as out:
        for info in original.infolist():
            for name, data in change(info.filename, original.read(info.filename)):
                out.writestr(name, data)


def main():
    typed(os.path.join(HERE, "workbook-typed.xlsx"))
    typed(os.path.join(HERE, "workbook-1904.xlsx"), epoch_1904=True)
    chart_first(os.path.join(HERE, "workbook-chart-first.xlsx"))
    with tempfile.TemporaryDirectory() as work:
        libreoffice(os.path.join(HERE, "..", "identity", "ccw-export.csv"), work)
        shutil.copy(os.path.join(work, "ccw-export.xlsx"), os.path.join(HERE, "ccw-export.xlsx"))
    good = os.path.join(HERE, "workbook-typed.xlsx")
    sheet = "xl/worksheets/sheet1.xml"

    blanks = b" " * (64 << 20)
    rezip(good, os.path.join(HOSTILE, "xlsx-zip-bomb.xlsx"),
          lambda name, data: [(name, data.replace(b"<sheetData>", b"<sheetData>" + blanks) if name == sheet else data)])
    # The same bomb, its sizes rewritten to claim 1 KiB (local header and central directory).
    bomb = open(os.path.join(HOSTILE, "xlsx-zip-bomb.xlsx"), "rb").read()
    with zipfile.ZipFile(os.path.join(HOSTILE, "xlsx-zip-bomb.xlsx")) as archive:
        size = archive.getinfo(sheet).file_size
    lying = bomb.replace(size.to_bytes(4, "little"), (1024).to_bytes(4, "little"))
    open(os.path.join(HOSTILE, "xlsx-lying-sizes.xlsx"), "wb").write(lying)

    rezip(good, os.path.join(HOSTILE, "xlsx-path-traversal.xlsx"),
          lambda name, data: [(name, data)] + ([("../../smartdeposit-traversal.txt", b"escaped"),
                                                ("/tmp/smartdeposit-absolute.txt", b"escaped")]
                                               if name == sheet else []))
    doctype = b'<?xml version="1.0"?>\n<!DOCTYPE worksheet [<!ENTITY x "y">]>\n'
    rezip(good, os.path.join(HOSTILE, "xlsx-doctype.xlsx"),
          lambda name, data: [(name, doctype + data.split(b"?>", 1)[-1] if name == sheet else data)])
    whole = open(good, "rb").read()
    open(os.path.join(HOSTILE, "xlsx-truncated.xlsx"), "wb").write(whole[: len(whole) // 2])
    open(os.path.join(HOSTILE, "xlsx-not-a-zip.xlsx"), "w").write("web_order_id,line_number\n1,1\n")
    rezip(good, os.path.join(HOSTILE, "xlsx-no-worksheet.xlsx"),
          lambda name, data: [] if name.startswith("xl/worksheets/") else [(name, data)])


if __name__ == "__main__":
    main()
