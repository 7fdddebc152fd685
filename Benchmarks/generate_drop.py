#!/usr/bin/env python3
"""Deterministic generator of realistic smartdeposit drops.

Writes, under --out:
  accounts.csv          thousands of customer accounts with several VAs, partner
                        holding accounts and limited-use accounts
  pipeline.conf         a configuration for the drop
  inbox/                CCW order files (XML and/or CSV) and a partner folder
                        with a holding bulk load

The same --seed always gives the same bytes. About 1% of the lines carry a
typical mistake (unknown account, bad quantity, missing SA, limited-use VA)
so that the reject path is exercised too.
"""
import argparse
import json
import os
import random
import subprocess
import sys

SKUS = [
    "C9300-DNA-E-24-3Y", "C9300-DNA-A-48-5Y", "C9200-DNA-E-24-3Y", "C9500-DNA-A-3Y", "MR46-HW-LIC-ENT-5Y",
    "MX85-SEC-3Y", "ISE-PLS-100-3Y", "DNA-ADV-ACCESS-5Y", "WEBEX-MTG-ENT", "SECURE-CLIENT-ADV-3Y",
]
CSV_HEADER = ("web_order_id,sales_order,purchase_order,order_date,line_number,sku,quantity,license_type,"
              "term_months,start_date,smart_account,virtual_account,end_customer,partner")


def accounts(rng, count):
    rows = ["smart_account,name,type,virtual_accounts,partner"]
    customers = []
    for i in range(count):
        sa = f"cust{i:05d}.example"
        vas = [f"VA-{j}" for j in range(rng.randint(1, 4))]
        customers.append((sa, ["DEFAULT"] + vas))
        rows.append(f"{sa},Customer {i},customer,{';'.join(vas)},")
    holdings = []
    for partner in ("globalnet", "netpro"):
        sa = f"holding.{partner}.example"
        holdings.append((partner, sa))
        rows.append(f"{sa},{partner} holding,holding,Stock;Campaign,{partner}")
    limited = []
    for i in range(max(1, count // 50)):
        sa = f"owner{i}@gmail.com"
        limited.append(sa)
        rows.append(f"{sa},Small business {i},limited-use,,")
    return rows, customers, holdings, limited


ACCENTED = ["Société Générale", "Müller & Söhne", "Café Zürich", "Ærø Fjord", "Łódź Hub", "Señor Niño", "Crème Brûlée"]


def end_customer(order_id):
    """Every seventh order's end customer has letters outside ASCII (all in
    Windows-1252 but one), so that every format carries them."""
    if order_id % 7 == 0:
        name = ACCENTED[(order_id // 7) % len(ACCENTED)]
        if "Ł" in name:
            name = "Ödön Kft"  # Ł has no Windows-1252 byte
        return f"{name} {order_id}"
    return f"End customer {order_id}"


def order_lines(rng, order_id, customers, limited, mistakes):
    """The lines of one order as dicts."""
    count = rng.choice([1, 1, 2, 3, 4, 6])
    if rng.random() < 0.05 and limited:
        sa, vas = rng.choice(limited), ["DEFAULT"]
    else:
        sa, vas = rng.choice(customers)
    lines = []
    major = 1
    for n in range(count):
        number = f"{major}.0" if n % 3 == 0 else f"{major}.{n % 3}"
        if n % 3 == 2:
            major += 1
        term = rng.random() < 0.7
        line = {
            "web_order_id": str(order_id), "sales_order": str(100000000 + order_id), "purchase_order": f"PO-{order_id}",
            "order_date": "2026-11-%02d" % rng.randint(1, 28), "line_number": number, "sku": rng.choice(SKUS),
            "quantity": str(rng.randint(1, 500)), "license_type": "TERM" if term else "PERPETUAL",
            "term_months": str(rng.choice([12, 36, 60])) if term else "", "start_date": "2027-01-%02d" % rng.randint(1, 28) if term else "",
            "smart_account": sa, "virtual_account": rng.choice(vas), "end_customer": end_customer(order_id), "partner": "",
        }
        if mistakes and rng.random() < 0.01:
            kind = rng.randrange(4)
            if kind == 0:
                line["smart_account"] = "unknown-%d.example" % order_id
            elif kind == 1:
                line["quantity"] = "0"
            elif kind == 2:
                line["smart_account"] = ""
            else:
                line["start_date"] = "2026-02-30" if term else ""
                if not term:
                    line["quantity"] = "-1"
        lines.append(line)
    return lines


def csv_cell(value):
    if any(c in value for c in ',"\n\r'):
        return '"' + value.replace('"', '""') + '"'
    return value


def write_csv(path, orders):
    with open(path, "w", newline="") as out:
        out.write(CSV_HEADER + "\r\n")
        for lines in orders:
            for line in lines:
                out.write(",".join(csv_cell(line[k]) for k in CSV_HEADER.split(",")) + "\r\n")


def xml_escape(value):
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def write_xml(path, orders):
    with open(path, "w") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n<OrderDrop source="CCW" created="2026-11-28T23:00:00Z">\n')
        for lines in orders:
            first = lines[0]
            out.write(f'  <Order webOrderId="{first["web_order_id"]}" salesOrder="{first["sales_order"]}" '
                      f'purchaseOrder="{xml_escape(first["purchase_order"])}" orderDate="{first["order_date"]}">\n')
            out.write(f'    <EndCustomer>{xml_escape(first["end_customer"])}</EndCustomer>\n')
            out.write(f'    <SmartAccount>{xml_escape(first["smart_account"])}</SmartAccount>\n')
            for line in lines:
                out.write(f'    <Line number="{line["line_number"]}">\n')
                out.write(f'      <Sku>{xml_escape(line["sku"])}</Sku>\n')
                out.write(f'      <Quantity>{line["quantity"]}</Quantity>\n')
                out.write(f'      <LicenseType>{line["license_type"]}</LicenseType>\n')
                if line["term_months"]:
                    out.write(f'      <TermMonths>{line["term_months"]}</TermMonths>\n')
                if line["start_date"]:
                    out.write(f'      <StartDate>{line["start_date"]}</StartDate>\n')
                if line["smart_account"] != first["smart_account"] or not line["smart_account"]:
                    out.write(f'      <SmartAccount>{xml_escape(line["smart_account"])}</SmartAccount>\n')
                out.write(f'      <VirtualAccount>{xml_escape(line["virtual_account"])}</VirtualAccount>\n')
                out.write('    </Line>\n')
            out.write('  </Order>\n')
        out.write('</OrderDrop>\n')


def write_delimited(path, orders, delimiter, encoding):
    """A spreadsheet's CSV: its delimiter, its code page, CRLF."""
    with open(path, "w", newline="", encoding=encoding) as out:
        def cell(value):
            if any(c in value for c in delimiter + '"\n\r'):
                return '"' + value.replace('"', '""') + '"'
            return value
        out.write(delimiter.join(h.replace("_", " ").title() for h in CSV_HEADER.split(",")) + "\r\n")
        for lines in orders:
            for line in lines:
                out.write(delimiter.join(cell(line[k]) for k in CSV_HEADER.split(",")) + "\r\n")


def write_xlsx(path, orders, shared=True):
    """Through openpyxl: in this interpreter if it has it, else Debian's python3."""
    header = [h.replace("_", " ").title() for h in CSV_HEADER.split(",")]
    rows = [[line[k] for k in CSV_HEADER.split(",")] for lines in orders for line in lines]
    job = {"path": os.path.abspath(path), "header": header, "rows": rows, "shared": shared}
    here = os.path.dirname(os.path.abspath(__file__))
    try:
        sys.path.insert(0, here)
        import write_xlsx as writer  # noqa: E402
        writer.write(job["path"], header, rows, shared)
    except ImportError:
        subprocess.run(["/usr/bin/python3", os.path.join(here, "write_xlsx.py")], input=json.dumps(job).encode(),
                       check=True)


def cxml_extrinsic(name, value, indent):
    return f'{indent}<Extrinsic name="{name}">{xml_escape(value)}</Extrinsic>\n' if value else ""


def write_cxml(path, lines):
    """One order as a cXML OrderRequest, with the standard DOCTYPE. The
    Smart Account is a header default when every line names the same one."""
    first = lines[0]
    shared_sa = first["smart_account"] if all(l["smart_account"] == first["smart_account"] for l in lines) else ""
    with open(path, "w") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n'
                  '<!DOCTYPE cXML SYSTEM "http://xml.cxml.org/schemas/cXML/1.2.050/cXML.dtd">\n'
                  f'<cXML payloadID="{first["web_order_id"]}@erp.example" timestamp="{first["order_date"]}T09:00:00-08:00">\n'
                  '  <Header><From><Credential domain="NetworkID"><Identity>AN0100</Identity></Credential></From>'
                  '<To><Credential domain="DUNS"><Identity>1</Identity></Credential></To>'
                  '<Sender><Credential domain="NetworkID"><Identity>AN0100</Identity></Credential>'
                  '<UserAgent>ERP</UserAgent></Sender></Header>\n'
                  '  <Request><OrderRequest>\n'
                  f'    <OrderRequestHeader orderID="{xml_escape(first["purchase_order"])}" '
                  f'orderDate="{first["order_date"]}T23:30:00-08:00" type="new">\n'
                  '      <Total><Money currency="USD">0.00</Money></Total>\n')
        out.write(cxml_extrinsic("WebOrderID", first["web_order_id"], "      "))
        out.write(cxml_extrinsic("SalesOrder", first["sales_order"], "      "))
        out.write(cxml_extrinsic("EndCustomer", first["end_customer"], "      "))
        out.write(cxml_extrinsic("SmartAccount", shared_sa, "      "))
        out.write('    </OrderRequestHeader>\n')
        for line in lines:
            out.write(f'    <ItemOut quantity="{xml_escape(line["quantity"])}" lineNumber="{line["line_number"]}">\n'
                      f'      <ItemID><SupplierPartID>{xml_escape(line["sku"])}</SupplierPartID></ItemID>\n'
                      '      <ItemDetail><UnitPrice><Money currency="USD">1.00</Money></UnitPrice>'
                      '<Description xml:lang="en">licence</Description><UnitOfMeasure>EA</UnitOfMeasure>\n')
            for name, key in (("LicenseType", "license_type"), ("TermMonths", "term_months"),
                              ("StartDate", "start_date"), ("VirtualAccount", "virtual_account")):
                out.write(cxml_extrinsic(name, line[key], "        "))
            if not shared_sa:
                out.write(cxml_extrinsic("SmartAccount", line["smart_account"], "        "))
            out.write('      </ItemDetail>\n    </ItemOut>\n')
        out.write('  </OrderRequest></Request>\n</cXML>\n')


def pairs(values):
    return "|".join(f"{name}={value}" for name, value in values if value)


def write_pip3a4(path, lines):
    """One order as a RosettaNet PIP 3A4 Purchase Order Request, in the
    element order of its DTD: the lines first, the document's identity after."""
    first = lines[0]
    shared_sa = first["smart_account"] if all(l["smart_account"] == first["smart_account"] for l in lines) else ""
    with open(path, "w") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n'
                  '<!DOCTYPE Pip3A4PurchaseOrderRequest SYSTEM "3A4_MS_V02_02_PurchaseOrderRequest.dtd">\n'
                  '<Pip3A4PurchaseOrderRequest>\n  <PurchaseOrder>\n')
        for line in lines:
            values = [("LicenseType", line["license_type"]), ("TermMonths", line["term_months"]),
                      ("StartDate", line["start_date"]), ("VirtualAccount", line["virtual_account"])]
            if not shared_sa:
                values.append(("SmartAccount", line["smart_account"]))
            out.write('    <ProductLineItem>\n'
                      f'      <LineNumber>{line["line_number"]}</LineNumber>\n'
                      '      <OrderQuantity><requestedQuantity><ProductQuantity>'
                      f'{xml_escape(line["quantity"])}</ProductQuantity></requestedQuantity></OrderQuantity>\n'
                      '      <ProductIdentification><PartnerProductIdentification><ProprietaryProductIdentifier>'
                      f'{xml_escape(line["sku"])}</ProprietaryProductIdentifier></PartnerProductIdentification>'
                      '</ProductIdentification>\n'
                      f'      <proprietaryInformation><FreeFormText>{xml_escape(pairs(values))}</FreeFormText>'
                      '</proprietaryInformation>\n    </ProductLineItem>\n')
        header = [("WebOrderID", first["web_order_id"]), ("SalesOrder", first["sales_order"]),
                  ("EndCustomer", first["end_customer"]), ("SmartAccount", shared_sa),
                  ("OrderDate", first["order_date"])]
        out.write(f'    <proprietaryInformation><FreeFormText>{xml_escape(pairs(header))}</FreeFormText>'
                  '</proprietaryInformation>\n  </PurchaseOrder>\n'
                  '  <GlobalDocumentFunctionCode>Request</GlobalDocumentFunctionCode>\n'
                  '  <thisDocumentGenerationDateTime><DateTimeStamp>20261129T010000.000Z</DateTimeStamp>'
                  '</thisDocumentGenerationDateTime>\n'
                  '  <thisDocumentIdentifier><ProprietaryDocumentIdentifier>'
                  f'{xml_escape(first["purchase_order"])}</ProprietaryDocumentIdentifier></thisDocumentIdentifier>\n'
                  '</Pip3A4PurchaseOrderRequest>\n')


FORMATS = ["xml", "cxml", "pip3a4", "xlsx", "csv1252", "tab"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True)
    parser.add_argument("--lines", type=int, default=10000, help="order lines in the CCW files")
    parser.add_argument("--files", type=int, default=1, help="CCW files to split the lines over")
    parser.add_argument("--format", choices=["xml", "csv", "both", "mixed", "all", "xlsx"], default="mixed",
                        help="xml or csv: every CCW file in that format; both: the same lines as XML and as CSV, "
                             "in two folders; mixed: alternate; all: the same lines in every format of SPEC §9, "
                             "one folder each (inbox-xml, inbox-cxml, inbox-pip3a4, inbox-xlsx, inbox-csv1252, "
                             "inbox-tab); xlsx: one streaming workbook per file")
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--partner-lines", type=int, default=0, help="lines of a holding bulk load from globalnet")
    parser.add_argument("--mistakes", action="store_true", help="put a typical mistake in about 1%% of the lines")
    parser.add_argument("--on-success", default="move")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    os.makedirs(args.out, exist_ok=True)
    rows, customers, holdings, limited = accounts(rng, args.accounts)
    with open(os.path.join(args.out, "accounts.csv"), "w") as out:
        out.write("\n".join(rows) + "\n")

    orders = []
    total = 0
    order_id = 10_000_000
    while total < args.lines:
        lines = order_lines(rng, order_id, customers, limited, args.mistakes)
        lines = lines[: args.lines - total]
        orders.append(lines)
        total += len(lines)
        order_id += 1

    if args.format == "all":
        inboxes = [f"inbox-{name}" for name in FORMATS]
    elif args.format == "both":
        inboxes = ["inbox-xml", "inbox-csv"]
    else:
        inboxes = ["inbox"]
    for inbox in inboxes:
        os.makedirs(os.path.join(args.out, inbox, "globalnet"), exist_ok=True)
    files = max(args.files, 1)
    for index in range(files):
        chunk = orders[index * len(orders) // files:(index + 1) * len(orders) // files]
        if not chunk:
            break
        name = f"ccw-{index:03d}"
        if args.format == "all":
            write_xml(os.path.join(args.out, "inbox-xml", name + ".xml"), chunk)
            for number, lines in enumerate(chunk):
                write_cxml(os.path.join(args.out, "inbox-cxml", f"{name}-{number:05d}.xml"), lines)
                write_pip3a4(os.path.join(args.out, "inbox-pip3a4", f"{name}-{number:05d}.xml"), lines)
            write_xlsx(os.path.join(args.out, "inbox-xlsx", name + ".xlsx"), chunk)
            write_delimited(os.path.join(args.out, "inbox-csv1252", name + ".csv"), chunk, ";", "cp1252")
            write_delimited(os.path.join(args.out, "inbox-tab", name + ".csv"), chunk, "\t", "utf-8")
        elif args.format == "xlsx":
            write_xlsx(os.path.join(args.out, "inbox", name + ".xlsx"), chunk, shared=False)
        elif args.format == "both":
            write_xml(os.path.join(args.out, "inbox-xml", name + ".xml"), chunk)
            write_csv(os.path.join(args.out, "inbox-csv", name + ".csv"), chunk)
        elif args.format == "xml" or (args.format == "mixed" and index % 2 == 0):
            write_xml(os.path.join(args.out, "inbox", name + ".xml"), chunk)
        else:
            write_csv(os.path.join(args.out, "inbox", name + ".csv"), chunk)

    if args.partner_lines:
        partner_orders = []
        count = 0
        order_id = 50_000_000
        holding = holdings[0][1]
        while count < args.partner_lines:
            lines = order_lines(rng, order_id, [(holding, ["Stock", "Campaign"])], [], args.mistakes)[: args.partner_lines - count]
            for line in lines:
                line["partner"] = "globalnet"
            partner_orders.append(lines)
            count += len(lines)
            order_id += 1
        for inbox in inboxes:
            write_csv(os.path.join(args.out, inbox, "globalnet", "holding-bulk.csv"), partner_orders)

    with open(os.path.join(args.out, "pipeline.conf"), "w") as out:
        out.write(f'''[drop]
inbox = "{inboxes[0]}"
archive = "var/archive"
quarantine = "var/quarantine"
on_success = "{args.on_success}"
settle_seconds = 0

[ledger]
path = "var/ledger.sqlite"

[accounts]
file = "accounts.csv"

[reports]
dir = "var/reports"

[[partner]]
name = "globalnet"
inbox = "globalnet"
''')


if __name__ == "__main__":
    main()
