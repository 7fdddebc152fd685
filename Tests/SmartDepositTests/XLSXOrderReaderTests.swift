import Foundation
import SmartDeposit
import SmartDepositTestSupport
import Testing

@Suite("XLSX order reader")
struct XLSXOrderReaderTests {
  private func records(_ path: String, limits: InputLimits = InputLimits()) throws -> [ParsedRecord] {
    let (source, _) = try OrderSources.open(
      path: path, displayName: (path as NSString).lastPathComponent, format: .xlsx, limits: limits)
    var records: [ParsedRecord] = []
    while let record = try source.next() { records.append(record) }
    return records
  }

  private func lines(_ path: String) throws -> [OrderLine] {
    try records(path).compactMap {
      if case .line(let line) = $0 { return line }
      return nil
    }
  }

  @Test func cellsBecomeTheTextSPECSays() throws {
    let read = try records(fixture("formats/workbook-typed.xlsx"))
    #expect(read.count == 6)
    guard read.count == 6, case .line(let first) = read[0], case .line(let second) = read[1],
      case .line(let third) = read[2], case .malformed(let record, let order, _, let message) = read[3],
      case .line(let fifth) = read[4], case .line(let sixth) = read[5]
    else {
      Issue.record("unexpected records: \(read)")
      return
    }
    // Whole numbers as integers, dates by their format (built-in 14 and a custom one).
    #expect(first.webOrderID == "98770010")
    #expect(first.salesOrder == "104890001")
    #expect(first.orderDate == "2026-11-28")
    #expect(first.lineNumber == "1")
    #expect(first.quantity == "8")
    #expect(first.termMonths == "36")
    #expect(first.startDate == "2027-01-01")
    #expect(first.endCustomer == "Société Générale")
    #expect(first.record == 2)
    // 15 significant digits; a date-time's date part.
    #expect(second.lineNumber == "1.1")
    #expect(second.orderDate == "2026-11-28")
    #expect(second.quantity == "8")
    #expect(second.record == 3)
    // Text cells as typed.
    #expect(third.webOrderID == "0098770011")
    #expect(third.lineNumber == "2.0")
    #expect(third.orderDate == "2026-11-27")
    // A value beyond the header's columns: the row is malformed, at its row number (row 5 is empty).
    #expect(record == 6)
    #expect(order == "98770012")
    #expect(message.contains("O6"))
    #expect(fifth.quantity == "2.5")
    #expect(fifth.record == 7)
    #expect(sixth.webOrderID == "98770014")
    #expect(sixth.smartAccount == "acme.com")
    #expect(sixth.virtualAccount == "")
    #expect(sixth.record == 8)
  }

  @Test func the1904DateSystemGivesTheSameDates() throws {
    let typed = try lines(fixture("formats/workbook-typed.xlsx"))
    let mac = try lines(fixture("formats/workbook-1904.xlsx"))
    #expect(typed.map(\.orderDate) == mac.map(\.orderDate))
    #expect(typed.map(\.startDate) == mac.map(\.startDate))
    #expect(mac.first?.orderDate == "2026-11-28")
  }

  @Test func theFirstWorksheetIsReadEvenAfterAChartSheet() throws {
    let read = try lines(fixture("formats/workbook-chart-first.xlsx"))
    #expect(read.map(\.webOrderID) == ["98770020"])
    #expect(read.first?.quantity == "4")
    #expect(read.first?.record == 2)
  }

  @Test func aWorkbookSavedByLibreOfficeReadsLikeItsCSV() throws {
    let (csv, _) = try OrderSources.open(
      path: fixture("identity/ccw-export.csv"), displayName: "ccw-export.csv", format: .csv, limits: InputLimits())
    var expected: [LineIdentity] = []
    var customers: [String] = []
    while let record = try csv.next() {
      if case .line(let line) = record {
        expected.append(LineIdentity(webOrderID: line.webOrderID, lineNumber: line.lineNumber))
        customers.append(line.endCustomer)
      }
    }
    let workbook = try lines(fixture("formats/ccw-export.xlsx"))
    #expect(workbook.count == expected.count)
    #expect(workbook.map { LineIdentity(webOrderID: $0.webOrderID, lineNumber: $0.lineNumber) } == expected)
    #expect(workbook.map(\.endCustomer) == customers)
    #expect(workbook.map(\.record) == Array(2...(expected.count + 1)))
  }

  @Test(arguments: [
    ("xlsx-zip-bomb.xlsx", IngestError.Cause.tooLarge),
    ("xlsx-lying-sizes.xlsx", .tooLarge),
    ("xlsx-doctype.xlsx", .doctype),
    ("xlsx-truncated.xlsx", .invalidWorkbook),
    ("xlsx-not-a-zip.xlsx", .invalidWorkbook),
    ("xlsx-no-worksheet.xlsx", .invalidWorkbook),
  ])
  func brokenWorkbooksAreRefusedWithAReason(name: String, cause: IngestError.Cause) throws {
    var limits = InputLimits()
    limits.maxFileBytes = 16 << 20
    #expect {
      _ = try records(fixture("hostile/\(name)"), limits: limits)
    } throws: { error in
      (error as? IngestError)?.cause == cause && !((error as? IngestError)?.message.isEmpty ?? true)
    }
  }

  @Test func entryNamesNeverBecomePaths() throws {
    let read = try lines(fixture("hostile/xlsx-path-traversal.xlsx"))
    #expect(read.count == 5)
    #expect(!FileManager.default.fileExists(atPath: "/tmp/smartdeposit-absolute.txt"))
    let above = URL(fileURLWithPath: fixture("hostile")).deletingLastPathComponent().deletingLastPathComponent()
    #expect(!FileManager.default.fileExists(atPath: above.appendingPathComponent("smartdeposit-traversal.txt").path))
  }

  /// A workbook written by Python's zipfile with 250,000 distinct shared
  /// strings (about 11 MB of them, past what the table keeps in memory).
  static let manyStringsScript = #"""
    import sys, zipfile
    path, rows = sys.argv[1], int(sys.argv[2])
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships'
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        z.writestr("_rels/.rels", f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   f'<Relationship Id="r1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        z.writestr("xl/workbook.xml", f'<workbook {ns} xmlns:r="{rel}"><sheets><sheet name="A" sheetId="1" r:id="s1"/>'
                   '</sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels", '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   f'<Relationship Id="s1" Type="{rel}/worksheet" Target="worksheets/data.xml"/>'
                   f'<Relationship Id="s2" Type="{rel}/sharedStrings" Target="strings.xml"/></Relationships>')
        strings = ["web_order_id", "line_number", "sku", "quantity", "license_type", "smart_account", "end_customer",
                   "PERPETUAL", "acme.com", "C9300-NW-E-24"]
        strings += [f"End customer number {n:07d} of many" for n in range(rows)]
        with z.open("xl/strings.xml", "w") as out:
            out.write(f'<sst {ns} count="{len(strings)}">'.encode())
            for n, text in enumerate(strings):
                if n % 3 == 0:  # rich text runs, and a phonetic run that is not part of the text
                    half = len(text) // 2
                    out.write(f'<si><r><t>{text[:half]}</t></r><r><rPr/><t>{text[half:]}</t></r><rPh><t>x</t></rPh></si>'.encode())
                else:
                    out.write(f'<si><t>{text}</t></si>'.encode())
            out.write(b'</sst>')
        with z.open("xl/worksheets/data.xml", "w") as out:
            out.write(f'<worksheet {ns}><sheetData><row r="1">'.encode())
            out.write("".join(f'<c t="s"><v>{i}</v></c>' for i in range(7)).encode() + b'</row>')
            for n in range(rows):
                out.write(f'<row r="{n + 2}"><c r="A{n + 2}"><v>{n + 1}</v></c><c><v>1</v></c><c t="s"><v>9</v></c>'
                          f'<c><v>1</v></c><c t="s"><v>7</v></c><c t="s"><v>8</v></c><c t="s"><v>{n + 10}</v></c></row>'.encode())
            out.write(b'</sheetData></worksheet>')
    """#

  @Test func manySharedStringsAreReadBackFromDisk() throws {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("strings-\(UUID()).xlsx").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    let rows = 250_000
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", Self.manyStringsScript, path, "\(rows)"]
    try process.run()
    process.waitUntilExit()
    try #require(process.terminationStatus == 0)
    var count = 0
    var wrong = 0
    for line in try lines(path) {
      count += 1
      let expected = String(format: "End customer number %07d of many", count - 1)
      if line.endCustomer != expected || line.webOrderID != String(count) || line.record != count + 1
        || line.sku != "C9300-NW-E-24"
      {
        wrong += 1
      }
    }
    #expect(count == rows)
    #expect(wrong == 0)
  }
}
