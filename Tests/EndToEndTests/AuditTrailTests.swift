import Foundation
import SmartDeposit
import SmartDepositTestSupport
import Testing

/// Nothing goes unreported: every line a run deposited or rejected can be
/// found in a report, rebuilt from the ledger when the run's own folder is
/// gone, and a run that died after committing is reported by the next.
@Suite("Audit trail")
struct AuditTrailTests {
  /// Two orders: 500 (one valid line, one with a decimal comma: rejected as
  /// a whole) and 501 (deposited), spelled the way spreadsheets spell them.
  static let orders = """
    \(csvHeader)
    500,SO-5,PO-5,2026-11-27,1.0,c9300-dna-a,5.0,perpetual,,,Acme.COM,campus,Acme Corp,
    500,SO-5,PO-5,2026-11-27,2.0,C9300-B,"2,5",PERPETUAL,,,ACME.com,Campus-East,Acme Corp,
    501,SO-6,PO-6,2026-11-28,1.0,C9300-C,7,PERPETUAL,,,acme.com,,Globex Resale,
    """

  static func json(_ text: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
  }

  /// Changes a run's row in the ledger's history, whichever the backend.
  static func rewriteRun(_ drop: TestDrop, _ assignments: String, id: String) throws {
    try drop.changeLedger("UPDATE runs SET \(assignments) WHERE id = '\(id)'")
  }

  @Test(arguments: Backend.tested)
  func rejectsShowTheLineAsTheFileWroteIt(backend: Backend) throws {
    let drop = try TestDrop(backend: backend)
    try drop.drop("o.csv", Self.orders)
    let result = try drop.run()
    let rejects = try drop.report(result, "rejects.csv")
    let header = try #require(rejects.first)
    #expect(header == RejectRowFormatter.header)
    let rows = rejects.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(header, $0)) }
    #expect(rows.count == 2)
    // The line that was valid, rejected with its order: as written, not as it would have been deposited.
    #expect(rows.first?["code"] == "order-rejected")
    #expect(rows.first?["sku"] == "c9300-dna-a")
    #expect(rows.first?["quantity"] == "5.0")
    #expect(rows.first?["smart_account"] == "Acme.COM")
    #expect(rows.first?["virtual_account"] == "campus")
    let bad = try #require(rows.last)
    #expect(bad["record"] == "3")
    #expect(bad["code"] == "invalid-quantity")
    #expect(
      [bad["purchase_order"], bad["sales_order"], bad["end_customer"], bad["order_date"]] == [
        "PO-5", "SO-5", "Acme Corp", "2026-11-27",
      ])
    #expect(
      [bad["sku"], bad["quantity"], bad["smart_account"], bad["virtual_account"]] == [
        "C9300-B", "2,5", "ACME.com", "Campus-East",
      ])
    let deposits = try drop.report(result, "deposits.csv")
    let depositHeader = try #require(deposits.first)
    #expect(depositHeader == DepositRowFormatter.header)
    let deposit = Dictionary(uniqueKeysWithValues: zip(depositHeader, try #require(deposits.last)))
    #expect(deposit["web_order_id"] == "501")
    #expect(
      [deposit["purchase_order"], deposit["sales_order"], deposit["end_customer"], deposit["order_date"]] == [
        "PO-6", "SO-6", "Globex Resale", "2026-11-28",
      ])
  }

  @Test(arguments: Backend.tested)
  func reportRebuildsARunsFourFilesFromTheLedger(backend: Backend) throws {
    let drop = try TestDrop(backend: backend, onSuccess: "keep")
    try drop.drop("o.csv", Self.orders)
    try drop.drop("z-copy-of-o.csv", Self.orders)
    try drop.drop("broken.xml", "<OrderDrop><Order webOrderId=\"1\">")
    let first = try runCommand(["run", "--json"], in: drop.root)
    #expect(first.status == 65)
    let original = try Self.json(first.standardOutput)
    let runID = try #require(original["run_id"] as? String)
    let folder = drop.reportsDir.appendingPathComponent(runID)
    let deposits = try Data(contentsOf: folder.appendingPathComponent("deposits.csv"))
    let rejects = try Data(contentsOf: folder.appendingPathComponent("rejects.csv"))
    try FileManager.default.removeItem(at: folder)

    let rebuilt = try runCommand(["report", runID], in: drop.root)
    #expect(rebuilt.status == 0, "\(rebuilt.standardError)")
    #expect(try Data(contentsOf: folder.appendingPathComponent("deposits.csv")) == deposits)
    #expect(try Data(contentsOf: folder.appendingPathComponent("rejects.csv")) == rejects)
    let html = try String(contentsOf: folder.appendingPathComponent("report.html"), encoding: .utf8)
    #expect(html.contains("PO-5"))
    let summary = try Self.json(String(contentsOf: folder.appendingPathComponent("summary.json"), encoding: .utf8))
    for key in ["run_id", "started_at", "finished_at", "exit_code", "files", "lines", "quantity", "rejects_by_code"] {
      #expect(
        (summary[key] as? NSObject) == (original[key] as? NSObject),
        "\(key): \(summary[key] ?? "nil") is not \(original[key] ?? "nil")")
    }
    func outcomes(_ summary: [String: Any]) -> [String: String] {
      let files = summary["files_detail"] as? [[String: Any]] ?? []
      return Dictionary(
        uniqueKeysWithValues: files.map { ($0["name"] as? String ?? "", $0["outcome"] as? String ?? "") })
    }
    #expect(outcomes(summary) == ["o.csv": "processed", "z-copy-of-o.csv": "duplicate", "broken.xml": "quarantined"])
    #expect(outcomes(summary) == outcomes(original))
    #expect(summary["status"] as? String == "completed")

    // A folder that is there is replaced, whole.
    try "left over".write(to: folder.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
    #expect(try runCommand(["report", runID], in: drop.root).status == 0)
    #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("notes.txt").path))
    #expect(
      Set(try FileManager.default.contentsOfDirectory(atPath: folder.path)) == [
        "summary.json", "deposits.csv", "rejects.csv", "report.html",
      ])

    let unknown = try runCommand(["report", "20200101T000000Z-0000"], in: drop.root)
    #expect(unknown.status == 66)
    #expect(unknown.standardError.contains("no run 20200101T000000Z-0000"))
  }

  @Test(arguments: Backend.tested)
  func aRunThatDiedAfterCommittingIsReportedByTheNextRun(backend: Backend) throws {
    let drop = try TestDrop(backend: backend, onSuccess: "keep")
    try drop.drop("o.csv", Self.orders)
    let first = try runCommand(["run", "--json"], in: drop.root)
    #expect(first.status == 65)
    let died = try #require(try Self.json(first.standardOutput)["run_id"] as? String)
    // As a run killed after its file committed leaves it: still running,
    // no counts, no end, no published report.
    try Self.rewriteRun(
      drop,
      "status = 'running', finished_at = NULL, exit_code = NULL, files_processed = 0, lines_read = 0, "
        + "lines_deposited = 0, lines_rejected = 0"
        + (backend == .postgres ? ", lease_until = NULL" : ""), id: died)
    try FileManager.default.removeItem(at: drop.reportsDir.appendingPathComponent(died))

    try drop.drop("later.csv", "\(csvHeader)\n600,SO-7,PO-7,2026-11-29,1.0,C9300-D,3,PERPETUAL,,,globex.example,,,\n")
    let next = try runCommand(["run", "--json"], in: drop.root)
    #expect(next.status == 0, "\(next.standardError)")
    let summary = try Self.json(next.standardOutput)
    let runID = try #require(summary["run_id"] as? String)
    #expect(summary["recovered_runs"] as? [String] == [died])
    let files = summary["files_detail"] as? [[String: Any]] ?? []
    let recovered = try #require(
      files.first { $0["name"] as? String == "o.csv" && $0["outcome"] as? String == "recovered" })
    #expect(recovered["recovered_from"] as? String == died)
    // The died run's rows are in this run's reports, under the died run's id.
    let folder = drop.reportsDir.appendingPathComponent(runID)
    let deposits = parseCSV(try String(contentsOf: folder.appendingPathComponent("deposits.csv"), encoding: .utf8))
    #expect(deposits.contains { $0.first == died && $0.count > 2 && $0[2] == "501" })
    #expect(deposits.contains { $0.first == runID && $0.count > 2 && $0[2] == "600" })
    let rejects = parseCSV(try String(contentsOf: folder.appendingPathComponent("rejects.csv"), encoding: .utf8))
    #expect(Set(rejects.dropFirst().map { $0[0] + ":" + $0[1] }) == ["o.csv:2", "o.csv:3"])

    // The history shows what the died run had committed, not zeros, and no end.
    let history = try runCommand(["runs", "--json"], in: drop.root)
    let runs = try #require(
      try JSONSerialization.jsonObject(with: Data(history.standardOutput.utf8)) as? [[String: Any]])
    let record = try #require(runs.first { $0["run_id"] as? String == died })
    #expect(record["status"] as? String == "died")
    #expect(record["exit_code"] is NSNull)
    #expect(record["finished_at"] is NSNull)
    #expect((record["files"] as? [String: Any])?["processed"] as? Int == 1)
    #expect((record["lines"] as? [String: Any])?["deposited"] as? Int == 1)
    #expect((record["lines"] as? [String: Any])?["rejected"] as? Int == 2)

    // Its own folder can be rebuilt too.
    #expect(try runCommand(["report", died], in: drop.root).status == 0)
    let rebuilt = try Self.json(
      String(contentsOf: drop.reportsDir.appendingPathComponent("\(died)/summary.json"), encoding: .utf8))
    #expect(rebuilt["status"] as? String == "died")
    #expect((rebuilt["lines"] as? [String: Any])?["deposited"] as? Int == 1)
  }
}
