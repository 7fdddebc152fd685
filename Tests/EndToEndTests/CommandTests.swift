import Foundation
import SmartDeposit
import SmartDepositTestSupport
import Testing

@Suite("The smartdeposit command")
struct CommandTests {
  /// Copies the shipped sample and pipeline.conf into a temporary folder, as a fresh clone would have them.
  private func sampleCopy() throws -> URL {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
      "smartdeposit-sample-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    try FileManager.default.copyItem(
      at: packageRoot.appendingPathComponent("SampleOrders"), to: folder.appendingPathComponent("SampleOrders"))
    try FileManager.default.copyItem(
      at: packageRoot.appendingPathComponent("pipeline.conf"), to: folder.appendingPathComponent("pipeline.conf"))
    return folder
  }

  private func summary(_ output: ProcessOutput) throws -> [String: Any] {
    let object = try JSONSerialization.jsonObject(with: Data(output.standardOutput.utf8))
    return try #require(object as? [String: Any])
  }

  @Test func sampleDropRunsThenChangesNothingOnTheSecondRun() throws {
    let folder = try sampleCopy()
    defer { try? FileManager.default.removeItem(at: folder) }
    let first = try runCommand(["run", "--json"], in: folder)
    #expect(first.status == 65, "\(first.standardError)")
    let summary = try summary(first)
    let lines = try #require(summary["lines"] as? [String: Int])
    #expect(lines["deposited"] == 61)
    #expect(lines["held"] == 41)
    #expect(lines["rejected"] == 13)
    let reportFolder = folder.appendingPathComponent("var/reports/\(summary["run_id"] as? String ?? "")")
    for name in ["summary.json", "deposits.csv", "rejects.csv", "report.html"] {
      #expect(FileManager.default.fileExists(atPath: reportFolder.appendingPathComponent(name).path), "\(name)")
    }
    let balancesBefore = try runCommand(["balances", "--format", "json"], in: folder)
    let second = try runCommand(["run", "--json"], in: folder)
    #expect(second.status == 0)
    let secondLines = try #require(try self.summary(second)["lines"] as? [String: Int])
    #expect(secondLines["deposited"] == 0)
    let balancesAfter = try runCommand(["balances", "--format", "json"], in: folder)
    #expect(balancesBefore.standardOutput == balancesAfter.standardOutput)
    #expect(balancesAfter.standardOutput.contains("\"held\""))
    // Nothing in the sample moved.
    let sample = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("SampleOrders").path)
      .sorted()
    let shipped = try FileManager.default.contentsOfDirectory(
      atPath: packageRoot.appendingPathComponent("SampleOrders").path
    ).sorted()
    #expect(sample == shipped)

    let reconcile = try runCommand(
      ["reconcile", "--against", "SampleOrders/ssm-licenses.csv", "--format", "json"], in: folder)
    #expect(reconcile.status == 65)
    let report = try #require(
      try JSONSerialization.jsonObject(with: Data(reconcile.standardOutput.utf8)) as? [String: Any])
    let differences = try #require(report["differences"] as? [[String: Any]])
    #expect(differences.count == 1)
  }

  @Test func checkPrintsFileLineCodeMessage() throws {
    let folder = try sampleCopy()
    defer { try? FileManager.default.removeItem(at: folder) }
    let output = try runCommand(
      ["check", "SampleOrders/ccw-orders-2026-11-28-corrections.csv", "SampleOrders/ccw-orders-2026-11-27.xml"],
      in: folder)
    #expect(output.status == 65)
    let lines = output.standardOutput.split(separator: "\n").map(String.init)
    #expect(
      lines.first
        == "SampleOrders/ccw-orders-2026-11-28-corrections.csv:2: unknown-smart-account: Smart Account 'acme.co' is not in the registry"
    )
    #expect(lines.count == 7)
    #expect(lines.last == "2 files, 14 lines, 6 problems")
    #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("var/ledger.sqlite").path))
    let clean = try runCommand(["check", "SampleOrders/ccw-orders-2026-11-27.xml"], in: folder)
    #expect(clean.status == 0)
    #expect(clean.standardOutput == "1 file, 7 lines, 0 problems\n")
    // A missing argument does not stop the others from being checked.
    let missing = try runCommand(
      ["check", "nope.csv", "SampleOrders/ccw-orders-2026-11-28-corrections.csv"], in: folder)
    #expect(missing.status == 66)
    let said = missing.standardOutput.split(separator: "\n").map(String.init)
    #expect(said.first?.hasPrefix("nope.csv:0: missing: ") == true)
    #expect(
      said.contains { $0.hasPrefix("SampleOrders/ccw-orders-2026-11-28-corrections.csv:2: unknown-smart-account") })
    #expect(said.last == "1 file, 7 lines, 7 problems")
  }

  @Test func checkTakesAFolderAndSeesWhatTheLedgerHolds() throws {
    let folder = try sampleCopy()
    defer { try? FileManager.default.removeItem(at: folder) }
    // Every order and transfer file of the sample, partners' folders included (not the accounts or SSM files).
    let all = try runCommand(["check", "SampleOrders"], in: folder)
    #expect(all.status == 65)
    #expect(
      all.standardOutput.split(separator: "\n").last == "10 files, 78 lines, 17 problems", "\(all.standardOutput)")
    #expect(!all.standardOutput.contains("ssm-licenses.csv"))
    // A transfer of held licences: against an empty ledger nothing is held; once the bulk load is in, it is.
    let transfer = "SampleOrders/globalnet/more.transfer.csv"
    try Data(
      ("transfer_id,from_smart_account,web_order_id,line_number,quantity,to_smart_account,to_virtual_account\n"
        + "GN-T-0100,holding.globalnet.example,98780000,1.0,5,acme.com,Campus\n").utf8
    ).write(to: folder.appendingPathComponent(transfer))
    let before = try runCommand(["check", transfer], in: folder)
    #expect(before.status == 65)
    #expect(before.standardOutput.contains("unknown-transfer-source"))
    try FileManager.default.removeItem(at: folder.appendingPathComponent(transfer))
    #expect(try runCommand(["run"], in: folder).status == 65)
    try Data(
      ("transfer_id,from_smart_account,web_order_id,line_number,quantity,to_smart_account,to_virtual_account\n"
        + "GN-T-0100,holding.globalnet.example,98780000,1.0,5,acme.com,Campus\n").utf8
    ).write(to: folder.appendingPathComponent(transfer))
    let deposits = try runCommand(["balances", "--format", "json"], in: folder).standardOutput
    let after = try runCommand(["check", transfer], in: folder)
    #expect(after.status == 0, "\(after.standardOutput)")
    #expect(after.standardOutput == "1 file, 1 line, 0 problems\n")
    // More than is held is a problem, said with what is held.
    try Data(
      ("transfer_id,from_smart_account,web_order_id,line_number,quantity,to_smart_account,to_virtual_account\n"
        + "GN-T-0101,holding.globalnet.example,98780000,2.0,41,acme.com,Campus\n").utf8
    ).write(to: folder.appendingPathComponent(transfer))
    let tooMuch = try runCommand(["check", transfer], in: folder)
    #expect(tooMuch.status == 65)
    #expect(tooMuch.standardOutput.contains("insufficient-held-quantity: only 40 of web order 98780000 line 2.0"))
    // Checking changed nothing in the ledger.
    #expect(try runCommand(["balances", "--format", "json"], in: folder).standardOutput == deposits)
  }

  @Test(arguments: Backend.tested)
  func exitCodes(backend: Backend) throws {
    let drop = try TestDrop(backend: backend)
    let usage = try runCommand(["run", "--no-such-flag"], in: drop.root)
    #expect(usage.status == 64)
    let noConfig = try runCommand(["run", "--config", "missing.conf"], in: drop.root)
    #expect(noConfig.status == 78)
    try "[drop]\ninbox = 3\n".write(
      toFile: drop.root.appendingPathComponent("bad.conf").path, atomically: true, encoding: .utf8)
    let badConfig = try runCommand(["run", "--config", "bad.conf"], in: drop.root)
    #expect(badConfig.status == 78)
    #expect(badConfig.standardError.contains("drop.inbox"))
    let noInbox = try runCommand(["run", "--inbox", "nowhere"], in: drop.root)
    #expect(noInbox.status == 66)
    let empty = try runCommand(["run"], in: drop.root)
    #expect(empty.status == 0)
  }

  @Test func aSecondRunExits75WhileTheLockIsHeld() throws {
    let drop = try TestDrop()
    try drop.dropFixture("quarantine/good.xml")
    let config = try drop.loadConfig()
    let lock = try RunLock(
      ledgerPath: config.ledgerPath, holder: "pid 4242, run 20261130T021500Z-3f2a, started 2026-11-30T02:15:00Z")
    let blocked = try runCommand(["run"], in: drop.root)
    #expect(blocked.status == 75)
    // The message says who holds the lock.
    #expect(
      blocked.standardError.contains(
        "another run (pid 4242, run 20261130T021500Z-3f2a, started 2026-11-30T02:15:00Z) holds the lock "
          + "\(config.ledgerPath).lock"), "\(blocked.standardError)")
    #expect(!FileManager.default.fileExists(atPath: drop.ledgerPath))
    #expect(drop.files(in: drop.inbox) == ["good.xml"])
    withExtendedLifetime(lock) {}
  }

  @Test func unwritableReportsFolderStopsWith74BeforeAnyDeposit() throws {
    let drop = try TestDrop()
    try FileManager.default.createDirectory(
      at: drop.root.appendingPathComponent("var"), withIntermediateDirectories: true)
    if getuid() == 0 {
      // root ignores permission bits: a file where the reports folder should be fails the same way.
      try "".write(to: drop.reportsDir, atomically: true, encoding: .utf8)
    } else {
      try FileManager.default.createDirectory(at: drop.reportsDir, withIntermediateDirectories: true)
      try FileManager.default.setAttributes([.posixPermissions: 0o500], ofItemAtPath: drop.reportsDir.path)
    }
    defer { try? FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: drop.reportsDir.path) }
    try drop.dropFixture("quarantine/good.xml")
    let output = try runCommand(["run"], in: drop.root)
    #expect(output.status == 74)
    #expect(output.standardError.contains(drop.reportsDir.lastPathComponent))
    #expect(drop.files(in: drop.inbox) == ["good.xml"])
    #expect(!FileManager.default.fileExists(atPath: drop.ledgerPath))
  }

  @Test(arguments: Backend.tested)
  func libxml2NeverWritesToStandardError(backend: Backend) throws {
    let drop = try TestDrop(backend: backend)
    try drop.drop("mislabelled.xml", "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n<OrderDrop></OrderDrop>")
    try drop.drop("bad-bytes.xml", "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<OrderDrop>\u{FFFD}")
    // Bytes that the declared encoding cannot convert: libxml2 reports them
    // through its generic error function.
    try drop.drop(
      "shift-jis.xml",
      bytes: Array("<?xml version=\"1.0\" encoding=\"SHIFT_JIS\"?>\n<OrderDrop><Order webOrderId=\"".utf8) + [
        0xFF, 0xFE,
      ]
        + Array("\"/></OrderDrop>\n".utf8))
    let output = try runCommand(["run"], in: drop.root)
    #expect(output.status == 65)
    let lines = output.standardError.split(separator: "\n")
    #expect(!lines.isEmpty)
    // Every line is one of ours: a log line with its time, level and run id.
    let ours =
      #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (trace|debug|info|notice|warning|error|critical) \[[0-9A-Za-z-]+\] "#
    for line in lines { #expect(line.range(of: ours, options: .regularExpression) != nil, "\(line)") }
  }
}
