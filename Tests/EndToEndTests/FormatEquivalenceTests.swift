import Foundation
import SmartDeposit
import SmartDepositTestSupport
import Testing

/// Whether a Python with openpyxl is here to write the workbook (under CI it must be).
enum WorkbookWriter {
  static var isAvailable: Bool {
    if ProcessInfo.processInfo.environment["CI"] != nil { return true }
    for python in ["/usr/bin/python3", "python3"] {
      let process = Process()
      process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
      process.arguments = [python, "-c", "import openpyxl"]
      process.standardOutput = FileHandle.nullDevice
      process.standardError = FileHandle.nullDevice
      guard (try? process.run()) != nil else { continue }
      process.waitUntilExit()
      if process.terminationStatus == 0 { return true }
    }
    return false
  }
}

/// The same generated orders written in every format of SPEC §9 — CCW XML,
/// cXML, PIP 3A4, an XLSX workbook made by openpyxl, a semicolon
/// Windows-1252 CSV and a tab CSV — each into a ledger of its own: the same
/// deposits, the same reject code per line, the same balances.
@Suite(
  "Every format, the same orders", .serialized,
  .enabled(if: WorkbookWriter.isAvailable, "needs openpyxl (apt-get install python3-openpyxl)"))
struct FormatEquivalenceTests {
  static let formats = ["cxml", "pip3a4", "xlsx", "csv1252", "tab"]

  /// What a format's run left: its summary's line counts, its balances, its
  /// rejects by identity, and every deposit with its end customer.
  struct Outcome: Equatable {
    var lines: [String: Int]
    var balances: String
    var rejects: [String]
    var deposits: String
  }

  static func outcome(of format: String, in folder: URL) throws -> Outcome {
    let config = folder.appendingPathComponent("pipeline-\(format).conf")
    let text = try String(contentsOf: folder.appendingPathComponent("pipeline.conf"), encoding: .utf8)
      .replacingOccurrences(of: "inbox = \"inbox-xml\"", with: "inbox = \"inbox-\(format)\"")
      .replacingOccurrences(of: "var/", with: "var-\(format)/")
    try text.write(to: config, atomically: true, encoding: .utf8)
    let run = try runCommand(["run", "--config", config.path, "--json"], in: folder)
    #expect(run.status == 65, "\(format): \(run.standardError)")
    let summary = try #require(
      try JSONSerialization.jsonObject(with: Data(run.standardOutput.utf8)) as? [String: Any])
    let lines = try #require(summary["lines"] as? [String: Int])
    let files = try #require(summary["files"] as? [String: Int])
    #expect(files["quarantined"] == 0, "\(format): \(run.standardError)")
    let balances = try runCommand(["balances", "--config", config.path, "--format", "json"], in: folder)
    #expect(balances.status == 0)
    var rejects: [String] = []
    let reports = folder.appendingPathComponent("var-\(format)/reports")
    for run in try FileManager.default.contentsOfDirectory(atPath: reports.path) where !run.hasPrefix(".") {
      let rows = parseCSV(
        try String(contentsOf: reports.appendingPathComponent("\(run)/rejects.csv"), encoding: .utf8))
      for row in rows.dropFirst() where row.count > 4 {
        rejects.append(
          "\(LineIdentity.orderKey(row[2]))/\(LineIdentity.lineKey(row[3]))/\(row[4])")
      }
    }
    let ledger = try SQLiteLedger(path: folder.appendingPathComponent("var-\(format)/ledger.sqlite").path)
    let deposits =
      try ledger.scalar(
        """
        SELECT group_concat(row, char(10)) FROM (
          SELECT order_key || '/' || line_key || ' ' || sku || ' ' || quantity || ' ' || license_type || ' '
            || coalesce(term_months, '') || ' ' || coalesce(start_date, '') || ' ' || smart_account || ' '
            || virtual_account || ' ' || status || ' ' || coalesce(end_customer, '') || ' '
            || coalesce(sales_order, '') || ' ' || coalesce(purchase_order, '') AS row
          FROM deposits ORDER BY order_key, line_key)
        """) ?? ""
    return Outcome(
      lines: lines, balances: balances.standardOutput, rejects: rejects.sorted(),
      deposits: deposits)
  }

  @Test func everyFormatDepositsRejectsAndBalancesLikeCCWXML() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("smartdeposit-formats-\(UUID())")
    defer { try? FileManager.default.removeItem(at: folder) }
    try generateDrop(into: folder, ["--lines", "1500", "--format", "all", "--mistakes", "--accounts", "120"])
    let reference = try Self.outcome(of: "xml", in: folder)
    #expect(reference.lines["deposited"] ?? 0 > 1400)
    #expect(reference.rejects.count > 5)
    // Names outside ASCII made it through, spelled as the generator wrote them.
    #expect(reference.deposits.contains("Société Générale"))
    #expect(reference.deposits.contains("Müller & Söhne"))
    for format in Self.formats {
      let outcome = try Self.outcome(of: format, in: folder)
      #expect(outcome.lines == reference.lines, "\(format)")
      #expect(outcome.balances == reference.balances, "\(format)")
      #expect(outcome.rejects == reference.rejects, "\(format)")
      if outcome.deposits != reference.deposits {
        let mine = outcome.deposits.split(separator: "\n")
        let theirs = reference.deposits.split(separator: "\n")
        let first = zip(mine, theirs).first { $0 != $1 }
        Issue.record("\(format): deposits differ from CCW XML's, first: \(String(describing: first))")
      }
    }
  }
}
