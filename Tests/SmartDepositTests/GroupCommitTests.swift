import Foundation
import SmartDepositTestSupport
import Testing

@testable import SmartDeposit

/// Small files commit together (SQLite; PostgreSQL commits each file on its
/// own): each file is still whole or absent, and filed away exactly once.
@Suite("Group commit")
struct GroupCommitTests {
  static func line(_ order: Int, quantity: String = "5", account: String = "acme.com") -> String {
    "\(order),S,P,2026-11-27,1.0,SKU-A,\(quantity),PERPETUAL,,,\(account),,,"
  }

  /// More files than one group holds, with a duplicate, a broken file and a
  /// rejected order among them.
  @Test(arguments: Backend.tested)
  func manySmallFilesAreEachDepositedAndFiledAwayOnce(backend: Backend) throws {
    let drop = try TestDrop(backend: backend)
    let count = FileGroup.mostFiles + 44
    for index in 0..<count {
      let order = 10_000 + index * 2
      try drop.drop(
        String(format: "order-%04d.csv", index),
        "\(csvHeader)\n\(Self.line(order))\n\(Self.line(order + 1, quantity: "2"))\n")
    }
    // Same content as order-0000.csv: a duplicate, archived without a deposit.
    try FileManager.default.copyItem(
      at: drop.inbox.appendingPathComponent("order-0000.csv"), to: drop.inbox.appendingPathComponent("order-0000b.csv"))
    // An order with a bad line: the whole order is rejected, the file still processed.
    try drop.drop("order-0100x.csv", "\(csvHeader)\n\(Self.line(90_000))\n\(Self.line(90_000, quantity: "x"))\n")
    try drop.dropFixture("quarantine/missing-columns.csv", as: "order-0200x.csv")

    let result = try drop.run()
    let summary = result.summary
    #expect(summary.files.processed == count + 1)
    #expect(summary.files.duplicate == 1)
    #expect(summary.files.quarantined == 1)
    #expect(summary.lines.deposited == count * 2)
    #expect(summary.rejectsByCode == ["invalid-quantity": 1, "order-rejected": 1])
    #expect(try drop.ledger().depositCount() == count * 2)
    #expect(try drop.ledger().balances().map(\.available) == [count * 7])

    // Every file is in exactly one place, and the summary says where.
    #expect(drop.files(in: drop.inbox).isEmpty)
    let archived = drop.files(in: drop.archive)
    #expect(archived.count == count + 2)
    #expect(Set(archived.map { ($0 as NSString).lastPathComponent }).count == count + 2)
    #expect(drop.files(in: drop.quarantine).filter { $0.hasSuffix("/order-0200x.csv") }.count == 1)
    for detail in summary.filesDetail {
      #expect(!detail.movedTo.isEmpty, "\(detail.name) is shown as not moved")
      #expect(FileManager.default.fileExists(atPath: detail.movedTo), "\(detail.name): \(detail.movedTo)")
    }
    // What the ledger records of each file agrees with where it is.
    let pending = try drop.changeLedger(
      "SELECT COUNT(*) FROM files WHERE outcome = 'processed' AND disposition <> 'archived'")
    #expect(pending == "0")

    // The reports list every deposit and reject once.
    let deposits = try drop.report(result, "deposits.csv").dropFirst().filter { $0.count > 1 }
    #expect(deposits.count == count * 2)
    #expect(Set(deposits.map { $0[2] + "/" + $0[3] }).count == count * 2)
    let rejects = try drop.report(result, "rejects.csv").dropFirst().filter { $0.count > 1 }
    #expect(rejects.count == 2)

    // A second run finds nothing left to do.
    let again = try drop.run()
    #expect(again.summary.files.seen == 0)
    #expect(try drop.ledger().depositCount() == count * 2)
  }

  /// Inside a group, a file refused while it is read is taken back alone; a
  /// group rolled back leaves nothing of any of its files, in the ledger or
  /// in the reports. PostgreSQL does not group: each file commits alone.
  @Test(arguments: Backend.tested)
  func aGroupIsAllOrNothingAndEachFileInItWhole(backend: Backend) throws {
    let drop = try TestDrop(backend: backend)
    _ = try drop.run()  // syncs the registry
    let config = try drop.loadConfig()
    let ledger = try drop.ledger()
    defer { ledger.close() }
    #expect(ledger.groupsFiles == (backend == .sqlite))
    _ = try ledger.startRun(RunStart(id: "r1", startedAt: Timestamp.now()))
    let processor = OrderFileProcessor(
      validator: LineValidator(registry: try ledger.registry(), maxQuantity: config.maxQuantity), atomicity: .order,
      limits: config.limits)
    func file(_ name: String, _ content: String) throws -> InboxFile {
      let url = try drop.drop(name, content)
      return InboxFile(
        path: url.path, name: name, sender: .ccw, format: .csv, size: Int64(content.utf8.count))
    }
    let first = try file("a.csv", "\(csvHeader)\n\(Self.line(1))\n\(Self.line(2))\n")
    let broken = try file("b.csv", "web_order_id,sku\n3,SKU-A\n")
    let second = try file("c.csv", "\(csvHeader)\n\(Self.line(4))\n")
    let reports = drop.root.appendingPathComponent("group-reports")
    let report = try RunReportWriter(reportsDir: reports.path, runID: "r1")

    try ledger.beginFileGroup()
    report.beginGroup()
    _ = try processor.process(first, sha256: nil, runID: "r1", ledger: ledger, report: report)
    #expect(throws: IngestError.self) {
      try processor.process(broken, sha256: nil, runID: "r1", ledger: ledger, report: report)
    }
    if backend == .postgres {
      // Committed on its own: another connection sees it at once, and
      // rolling back the (not opened) group takes nothing back.
      #expect(try drop.changeLedger("SELECT COUNT(*) FROM deposits") == "2")
      ledger.rollbackFileGroup()
      #expect(try ledger.depositCount() == 2)
      return
    }
    // The group sees its own files before it commits.
    #expect(try ledger.depositCount() == 2)
    ledger.rollbackFileGroup()
    try report.discardGroup()
    #expect(try ledger.depositCount() == 0)
    #expect(try drop.changeLedger("SELECT COUNT(*) FROM files") == "0")

    try ledger.beginFileGroup()
    report.beginGroup()
    let (counts, digest, fileID) = try processor.process(
      second, sha256: nil, runID: "r1", ledger: ledger, report: report)
    #expect(counts.deposited == 1)
    try ledger.commitFileGroup()
    report.commitGroup()
    #expect(try ledger.depositCount() == 1)
    #expect(try ledger.processedFile(sha256: digest)?.name == "c.csv")
    #expect(try ledger.processedFile(sha256: digest)?.id == fileID)
    // Committed: another connection sees it.
    #expect(try drop.changeLedger("SELECT COUNT(*) FROM deposits") == "1")

    try report.finish(summary: RunSummary(runID: "r1", startedAt: Timestamp.now()))
    let rows = parseCSV(
      try String(contentsOf: reports.appendingPathComponent("r1/deposits.csv"), encoding: .utf8)
    ).dropFirst().filter { $0.count > 1 }
    #expect(rows.map { $0[2] } == ["4"])
  }

  /// A group large enough that its savepoints' journal spills to disk, with
  /// lines met before among its files: every file deposits. (SQLite 3.40
  /// failed a multi-row insert there with "database or disk is full".)
  @Test func aGroupWhoseJournalSpillsToDiskDepositsEveryFile() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("smartdeposit-spill-\(UUID())")
    defer { try? FileManager.default.removeItem(at: folder) }
    try generateDrop(
      into: folder, ["--lines", "24000", "--files", "8", "--accounts", "300", "--mistakes", "--seed", "7"])
    let result = try runCommand(["run", "--json"], in: folder)
    #expect(result.status == 65, "\(result.standardError)")
    let summary = try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any]
    let files = summary?["files"] as? [String: Any]
    #expect(files?["processed"] as? Int == 8)
    #expect(files?["quarantined"] as? Int == 0)
  }
}
