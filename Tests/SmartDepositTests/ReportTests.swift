import Foundation
import SmartDeposit
import SmartDepositTestSupport
import Testing

@Suite("Reports")
struct ReportTests {
  @Test(arguments: ["=SUM(A1)", "+1", "-2+3", "-2-cmd|' /C calc'!A0", "-", "-.5", "-1.", "@cmd", "\tx", "\rx"])
  func dangerousCellsAreNeutralised(value: String) {
    let cell = CSVFormatter.cell(value)
    let parsed = parseCSV(cell + "\n")[0][0]
    #expect(parsed.first == "'")
    #expect(parsed.dropFirst() == Substring(value))
  }

  /// Quoted exactly when the cell holds a comma, a quote, a line feed or a
  /// carriage return, wherever it stands (the search goes eight bytes at a
  /// time, then byte by byte).
  @Test(arguments: [
    "a,b", "say \"hi\"", "two\nlines", "cr\rhere", "a long cell of text, with its comma far in",
    "sixteen bytes..\"", "0123456789abcde\n", "plain", "a long cell of text with nothing to quote", "",
  ])
  func cellsAreQuotedExactlyWhenTheyHoldADelimiterQuoteOrLineEnd(value: String) {
    let cell = CSVFormatter.cell(value)
    let special = value.utf8.contains { (byte: UInt8) -> Bool in
      byte == 0x2C || byte == 0x22 || byte == 0x0A || byte == 0x0D
    }
    #expect(cell.hasPrefix("\"") == special)
    let parsed: [[String]] = parseCSV(cell + "\n")
    #expect(parsed.first?.first == value)
  }

  @Test(arguments: ["-2", "-3.5", "-0", "42", "3.25"])
  func plainNumbersStayNumbers(value: String) {
    #expect(CSVFormatter.cell(value) == value)
    var bytes: [UInt8] = []
    CSVFormatter.appendNumber(Int(value) ?? 0, to: &bytes)
    if let number = Int(value) { #expect(String(decoding: bytes, as: UTF8.self) == String(number)) }
  }

  @Test(arguments: Backend.tested)
  func everyCellOfEveryReportIsSafeAndHTMLIsEscaped(backend: Backend) throws {
    let drop = try TestDrop(backend: backend)
    try drop.drop(
      "evil.csv",
      """
      \(csvHeader)
      "=HYPERLINK(""http://x"")",S,P,2026-11-27,1.0,@SKU,5,PERPETUAL,,,acme.com,,"<script>alert(1)</script>",
      +42,S,P,2026-11-27,-1,SKU,5,PERPETUAL,,,unknown.example,,,

      """)
    let result = try drop.run()
    for name in ["deposits.csv", "rejects.csv"] {
      for row in try drop.report(result, name) {
        for cell in row {
          // Only a plain number may begin with `-`: it stays a number.
          if let first = cell.unicodeScalars.first, Double(cell) == nil || first == "+" {
            #expect(!"=+-@\t\r".unicodeScalars.contains(first), "\(name): \(cell)")
          }
        }
      }
    }
    let html = try String(contentsOfFile: result.reportFolder + "/report.html", encoding: .utf8)
    #expect(!html.contains("<script>"))
    let summary =
      try JSONSerialization.jsonObject(
        with: Data(contentsOf: URL(fileURLWithPath: result.reportFolder + "/summary.json"))) as? [String: Any]
    for key in [
      "run_id", "started_at", "finished_at", "exit_code", "files", "lines", "quantity", "transfers", "rejects_by_code",
      "files_detail",
    ] {
      #expect(summary?[key] != nil, "summary.json lacks \(key)")
    }
  }

  @Test(arguments: Backend.tested)
  func depositsReportHasTheContractHeaderAndRegistrySpelling(backend: Backend) throws {
    let drop = try TestDrop(backend: backend)
    try drop.drop(
      "o.csv", "\(csvHeader)\n1,S,P,2026-11-27,1.0,SKU,5,TERM,12,2026-12-01,ACME.COM,campus-east,Acme Corp,\n")
    let result = try drop.run()
    let rows = try drop.report(result, "deposits.csv")
    #expect(
      rows[0] == [
        "run_id", "file", "web_order_id", "line_number", "sku", "quantity", "license_type", "term_months", "start_date",
        "smart_account", "virtual_account", "status", "purchase_order", "sales_order", "end_customer", "order_date",
      ])
    #expect(
      rows[1] == [
        result.summary.runID, "o.csv", "1", "1.0", "SKU", "5", "TERM", "12", "2026-12-01", "acme.com", "Campus-East",
        "available", "P", "S", "Acme Corp", "2026-11-27",
      ])
  }

  @Test(arguments: Backend.tested)
  func reconciliationFindsDifferencesAndAging(backend: Backend) throws {
    let drop = try TestDrop(backend: backend)
    try drop.drop(
      "globalnet/bulk.csv",
      "\(csvHeader)\n1,S,P,2026-11-27,1.0,SKU-H,10,PERPETUAL,,,holding.globalnet.example,Stock,,\n2,S,P,2026-11-27,1.0,SKU-A,4,PERPETUAL,,,acme.com,Campus,,\n"
    )
    _ = try drop.run()
    let export = drop.root.appendingPathComponent("ssm.csv")
    try
      "smart_account,virtual_account,sku,quantity\nacme.com,Campus,SKU-A,3\nholding.globalnet.example,Stock,SKU-H,10\nglobex.example,DEFAULT,SKU-Z,1\n"
      .write(to: export, atomically: true, encoding: .utf8)
    let ledger = try drop.ledger()
    let report = try ReconciliationReport.build(
      ledger: ledger, against: export.path, since: nil, until: nil, asOf: "2099-01-01", holdingMaxAgeDays: 90)
    #expect(
      report.differences.map { "\($0.smartAccount) \($0.sku) \($0.difference) \($0.kind)" } == [
        "acme.com SKU-A -1 differs", "globex.example SKU-Z 1 only-in-ssm",
      ])
    #expect(report.overAge.count == 1)
    #expect(report.overAge[0].held == 10)
    #expect(!report.reconciles)
    #expect(report.lines.map(\.status) == ["held", "deposited"])
    let today = String(Timestamp.now().prefix(10))
    let fresh = try ReconciliationReport.build(
      ledger: ledger, against: nil, since: today, until: nil, asOf: today, holdingMaxAgeDays: 90)
    #expect(fresh.reconciles)
    #expect(fresh.lines.count == 2)
  }

  @Test(arguments: [
    ("Acme & Sons <EMEA>", "Acme &amp; Sons &lt;EMEA&gt;"),
    ("say \"hi\" it's", "say &quot;hi&quot; it&#39;s"),
    ("Société Générale – Paris", "Société Générale – Paris"),
    // A combining mark after a special character is still escaped.
    ("&\u{301}<\u{301}", "&amp;\u{301}&lt;\u{301}"),
    ("C9300-DNA-E-24-3Y", "C9300-DNA-E-24-3Y"),
  ])
  func htmlEscapesTheFiveSpecialCharactersAndNothingElse(text: String, escaped: String) {
    #expect(HTML.escape(text) == escaped)
  }
}
