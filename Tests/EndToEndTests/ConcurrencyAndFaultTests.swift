import Foundation
import SmartDeposit
import SmartDepositTestSupport
import Testing

@Suite("Overlapping runs and faults", .serialized)
struct ConcurrencyAndFaultTests {
  @Test func twoRunsStartedTogetherNeverBothProceed() throws {
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("smartdeposit-pair-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: work) }
    let template = work.appendingPathComponent("template")
    try CrashTests.generateDrop(into: template)
    let expected = try {
      let reference = work.appendingPathComponent("reference")
      try FileManager.default.copyItem(at: template, to: reference)
      try runCommand(["run", "--quiet"], in: reference)
      return try CrashTests.state(of: reference)
    }()
    for attempt in 0..<5 {
      let folder = work.appendingPathComponent("pair-\(attempt)")
      try FileManager.default.copyItem(at: template, to: folder)
      let processes = (0..<2).map { _ -> Process in
        let process = Process()
        process.executableURL = smartdepositExecutable()
        process.arguments = ["run", "--quiet"]
        process.currentDirectoryURL = folder
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        return process
      }
      for process in processes { try process.run() }
      for process in processes { process.waitUntilExit() }
      let statuses = processes.map(\.terminationStatus).sorted()
      // One run deposits (65: the drop has deliberate mistakes); the other
      // found the lock held and did nothing.
      #expect(statuses == [65, 75], "attempt \(attempt): \(statuses)")
      #expect(try CrashTests.state(of: folder) == expected)
      let runs = try SQLiteLedger(path: folder.appendingPathComponent("var/ledger.sqlite").path).runs(limit: 10)
      #expect(runs.count == 1)
      try? FileManager.default.removeItem(at: folder)
    }
  }

  @Test func waitTakesTheLockOnceItIsFree() throws {
    let drop = try TestDrop()
    try drop.dropFixture("quarantine/good.xml")
    try FileManager.default.createDirectory(
      at: drop.root.appendingPathComponent("var"), withIntermediateDirectories: true)
    // Another process holds the lock for two seconds.
    let holder = Process()
    holder.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
    holder.arguments = [drop.ledgerPath + ".lock", "sleep", "2"]
    try holder.run()
    Thread.sleep(forTimeInterval: 0.5)
    let refused = try runCommand(["run"], in: drop.root)
    #expect(refused.status == 75)
    let started = Date()
    let output = try runCommand(["run", "--wait", "20"], in: drop.root)
    #expect(output.status == 0, "\(output.standardError)")
    #expect(Date().timeIntervalSince(started) > 0.5)
    holder.waitUntilExit()
    #expect(try drop.ledger().depositCount() == 1)
  }

  @Test func aFileThatCannotBeArchivedIsArchivedByTheNextRunWithoutASecondDeposit() throws {
    let drop = try TestDrop()
    try drop.dropFixture("quarantine/good.xml")
    // A plain file where the archive folder should be: the move fails.
    try FileManager.default.createDirectory(
      at: drop.archive.deletingLastPathComponent(), withIntermediateDirectories: true)
    try "".write(to: drop.archive, atomically: true, encoding: .utf8)
    let first = try drop.run()
    #expect(first.summary.lines.deposited == 1)
    #expect(first.summary.errors.contains { $0.contains("not archived") })
    #expect(drop.files(in: drop.inbox) == ["good.xml"])
    try FileManager.default.removeItem(at: drop.archive)
    let second = try drop.run()
    #expect(second.summary.files.duplicate == 1)
    #expect(second.summary.lines.deposited == 0)
    #expect(drop.files(in: drop.inbox).isEmpty)
    #expect(drop.files(in: drop.archive).count == 1)
    #expect(try drop.ledger().depositCount() == 1)
  }

  @Test func aFileStillGrowingWhileItIsReadIsLeftForTheNextRun() throws {
    let drop = try TestDrop()
    let url = try drop.drop("growing.csv", "\(csvHeader)\n900,S,P,2026-11-27,1.0,SKU,1,PERPETUAL,,,acme.com,,,\n")
    let config = try drop.loadConfig()
    // Discovery saw one size; the file grows before it is read.
    let discovered = try Discovery(config: config).discover()
    let file = try #require(discovered.ready.first)
    let handle = try FileHandle(forWritingTo: url)
    try handle.seekToEnd()
    try handle.write(contentsOf: Data("901,S,P,2026-11-27,1.0,SKU,1,PERPETUAL,,,acme.com,,,\n".utf8))
    try handle.close()
    let ledger = try drop.ledger()
    _ = try ledger.syncRegistry([
      SmartAccount(identifier: "acme.com", name: "Acme", type: .customer, virtualAccounts: [])
    ])
    let processor = OrderFileProcessor(
      validator: LineValidator(registry: try ledger.registry()), atomicity: .order, limits: InputLimits())
    #expect {
      _ = try processor.process(file, sha256: nil, runID: "r", ledger: ledger, report: nil)
    } throws: { error in
      (error as? IngestError)?.cause == .changedWhileReading
    }
    #expect(try ledger.depositCount() == 0)
  }
}
