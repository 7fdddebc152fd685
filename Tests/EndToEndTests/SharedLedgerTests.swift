import Foundation
import SmartDeposit
import SmartDepositTestSupport
import Testing

/// Several runners on one PostgreSQL ledger: every file taken by exactly one
/// of them, a dead runner's files taken over, and faults of the server.
@Suite("A shared PostgreSQL ledger", .serialized, .enabled(if: Backend.tested.contains(.postgres)))
struct SharedLedgerTests {
  /// A generated multi-file drop in `folder`, pointed at a fresh database.
  static func drop(
    in folder: URL, lines: Int, files: Int, claimTimeout: Int = 2, seed: Int = 7
  ) throws -> TestDatabase {
    try generateDrop(
      into: folder,
      [
        "--lines", "\(lines)", "--files", "\(files)", "--partner-lines", "2000", "--accounts", "300", "--mistakes",
        "--seed", "\(seed)",
      ])
    return try CrashTests.usePostgres(folder, claimTimeout: claimTimeout)
  }

  /// Starts `smartdeposit run --json` in a folder without waiting for it.
  static func start(in folder: URL, arguments: [String] = ["run", "--json"]) throws -> (Process, Pipe) {
    let process = Process()
    process.executableURL = smartdepositExecutable()
    process.arguments = arguments
    process.currentDirectoryURL = folder
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    return (process, output)
  }

  static func summary(_ data: Data) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
  }

  static func count(_ summary: [String: Any], _ group: String, _ key: String) -> Int {
    (summary[group] as? [String: Any])?[key] as? Int ?? -1
  }

  @Test(arguments: [2, 3])
  func runnersStartedTogetherEachTakeDifferentFiles(runners: Int) throws {
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("smartdeposit-shared-\(UUID())")
    defer { try? FileManager.default.removeItem(at: work) }
    let database = try Self.drop(in: work, lines: 24_000, files: 8)
    let orderFiles = CrashTests.whereFilesAre(work).count
    // The same drop on SQLite, run once: the balances every shared run must end in.
    let reference = work.deletingLastPathComponent().appendingPathComponent("smartdeposit-shared-ref-\(UUID())")
    defer { try? FileManager.default.removeItem(at: reference) }
    try generateDrop(
      into: reference,
      ["--lines", "24000", "--files", "8", "--partner-lines", "2000", "--accounts", "300", "--mistakes", "--seed", "7"])
    _ = try runCommand(["run"], in: reference)
    let expected = try CrashTests.state(of: reference)

    let started = try (0..<runners).map { _ in try Self.start(in: work) }
    var processed = 0
    var duplicates = 0
    for (process, output) in started {
      let data = output.fileHandleForReading.readDataToEndOfFile()
      process.waitUntilExit()
      #expect(process.terminationStatus == 0 || process.terminationStatus == 65)
      let summary = try Self.summary(data)
      let mine = Self.count(summary, "files", "processed")
      #expect(mine >= 1, "a runner processed no file")
      processed += mine
      duplicates += Self.count(summary, "files", "duplicate")
    }
    #expect(processed == orderFiles)
    #expect(duplicates == 0)
    #expect(try CrashTests.state(of: work) == expected)
    let places = CrashTests.whereFilesAre(work)
    #expect(places.values.allSatisfy { $0.count == 1 && $0 != ["inbox"] })
    // The history shows which runner did what.
    let runs = try Self.summaryRuns(work)
    #expect(runs.count == runners)
    #expect(runs.allSatisfy { !$0.host.isEmpty && $0.pid != nil && $0.status == .completed })
    withExtendedLifetime(database) {}
  }

  /// Whether a run has sent deposits to this database (its first file is under way).
  static func isDepositing(_ database: TestDatabase) throws -> Bool {
    try database.sql(
      "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
        + "AND (query LIKE 'COPY %' OR query LIKE '%SAVEPOINT batch%')") != "0"
  }

  static func summaryRuns(_ folder: URL) throws -> [RunRecord] {
    let config = try PipelineConfig.load(path: folder.appendingPathComponent("pipeline.conf").path)
    let ledger = try LedgerOpener.open(config, access: .read)
    defer { ledger.close() }
    return try ledger.runs(limit: 100)
  }

  @Test func aRunnerKilledMidFileLosesItsClaimAndAnotherCompletesTheDrop() throws {
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("smartdeposit-shared-\(UUID())")
    defer { try? FileManager.default.removeItem(at: work) }
    let clean = work.appendingPathComponent("clean")
    try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    // The clean result, and how long a whole run takes, from the drop in a database of its own.
    let cleanDatabase = try Self.drop(in: clean, lines: 24_000, files: 4, claimTimeout: 2)
    let started = Date()
    _ = try runCommand(["run"], in: clean)
    let duration = Date().timeIntervalSince(started)
    let expected = try CrashTests.state(of: clean)

    // Killed half-way; a kill that comes after the run ended is tried again, earlier, on a fresh copy.
    var killed: (folder: URL, database: TestDatabase)?
    for attempt in 0..<6 where killed == nil {
      let folder = work.appendingPathComponent("attempt-\(attempt)")
      let database = try Self.drop(in: folder, lines: 24_000, files: 4, claimTimeout: 2)
      let (victim, _) = try Self.start(in: folder)
      Thread.sleep(forTimeInterval: duration * 0.5 * pow(0.6, Double(attempt)))
      kill(victim.processIdentifier, SIGKILL)
      victim.waitUntilExit()
      if victim.terminationReason == .uncaughtSignal { killed = (folder, database) }
    }
    let (template, database) = try #require(killed, "every run ended before it was killed")
    // While its claims are fresh another runner leaves the claimed file alone…
    // …and once they have lapsed, takes it.
    Thread.sleep(forTimeInterval: 2.5)
    let next = try runCommand(["run", "--json"], in: template)
    #expect(next.status == 0 || next.status == 65, "\(next.standardError)")
    #expect(try CrashTests.state(of: template) == expected)
    let places = CrashTests.whereFilesAre(template)
    #expect(places.values.allSatisfy { $0.count == 1 && $0 != ["inbox"] })
    let runs = try Self.summaryRuns(template)
    #expect(runs.map(\.status).sorted { $0.rawValue < $1.rawValue } == [.completed, .died])
    withExtendedLifetime((database, cleanDatabase)) {}
  }

  /// The connection cut at moments spread over a file's deposits (while
  /// rows stream into an open COPY, between batches, as the COPY ends):
  /// every time the run ends with 74, never stopped by a signal, and
  /// nothing of the file is committed.
  @Test func aConnectionLostAnywhereInAFileEndsTheRunWith74() throws {
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("smartdeposit-shared-\(UUID())")
    defer { try? FileManager.default.removeItem(at: work) }
    let database = try Self.drop(in: work, lines: 150_000, files: 1, claimTimeout: 1)
    for delay in [0.0, 0.1, 0.2, 0.35, 0.5, 0.7] {
      // The claim of the run cut before lapses first.
      Thread.sleep(forTimeInterval: 1.5)
      let (run, _) = try Self.start(in: work, arguments: ["run"])
      var depositing = false
      for _ in 0..<500 where !depositing && run.isRunning {
        Thread.sleep(forTimeInterval: 0.02)
        depositing = try Self.isDepositing(database)
      }
      #expect(depositing, "the run ended before it deposited")
      Thread.sleep(forTimeInterval: delay)
      try database.sql(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
      )
      run.waitUntilExit()
      #expect(
        run.terminationReason == .exit, "cut \(delay) s into the file: stopped by signal \(run.terminationStatus)")
      #expect(run.terminationStatus == 74, "cut \(delay) s into the file")
      #expect(try database.sql("SELECT count(*) FROM deposits") == "0", "cut \(delay) s into the file")
    }
  }

  @Test func aLostConnectionRollsTheFileBackAndALaterRunCompletesIt() throws {
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("smartdeposit-shared-\(UUID())")
    defer { try? FileManager.default.removeItem(at: work) }
    let database = try Self.drop(in: work, lines: 150_000, files: 1, claimTimeout: 1)
    let (run, _) = try Self.start(in: work, arguments: ["run"])
    // Wait until the run is depositing, then cut every connection it has.
    var depositing = false
    for _ in 0..<100 where !depositing {
      Thread.sleep(forTimeInterval: 0.1)
      depositing = try Self.isDepositing(database)
    }
    #expect(depositing)
    try database.sql(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )
    run.waitUntilExit()
    #expect(run.terminationStatus == 74)
    // Nothing of the file was committed, and it is still in the inbox.
    #expect(try database.sql("SELECT count(*) FROM deposits") == "0")
    #expect(CrashTests.whereFilesAre(work).values.contains(["inbox"]))
    Thread.sleep(forTimeInterval: 1.5)
    let again = try runCommand(["run", "--json"], in: work)
    #expect(again.status == 65 || again.status == 0, "\(again.standardError)")
    let summary = try Self.summary(Data(again.standardOutput.utf8))
    #expect(Self.count(summary, "files", "processed") >= 1)
    #expect(try database.sql("SELECT count(*) FROM deposits") == "\(Self.count(summary, "lines", "deposited"))")
    #expect(CrashTests.whereFilesAre(work).values.allSatisfy { $0 != ["inbox"] })
  }

  /// The sample drop deposited into SQLite, then the ledger copied into
  /// PostgreSQL: balances and the reconciliation report are the same.
  @Test func ledgerCopyMovesEverythingAndReportsStayTheSame() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("smartdeposit-copy-\(UUID())")
    defer { try? FileManager.default.removeItem(at: folder) }
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    try FileManager.default.copyItem(
      at: packageRoot.appendingPathComponent("SampleOrders"), to: folder.appendingPathComponent("SampleOrders"))
    let configPath = folder.appendingPathComponent("pipeline.conf")
    try FileManager.default.copyItem(at: packageRoot.appendingPathComponent("pipeline.conf"), to: configPath)
    #expect(try runCommand(["run"], in: folder).status == 65)
    func reports() throws -> [String] {
      let balances = try runCommand(["balances", "--format", "json"], in: folder)
      let reconcile = try runCommand(
        ["reconcile", "--format", "json", "--as-of", "2027-03-01", "--against", "SampleOrders/ssm-licenses.csv"],
        in: folder)
      #expect(balances.status == 0)
      #expect(reconcile.status == 65)
      let withoutTime = reconcile.standardOutput.split(separator: "\n").filter { !$0.contains("\"generated_at\"") }
      return [balances.standardOutput, withoutTime.joined(separator: "\n")]
    }
    let before = try reports()
    let runsBefore = try runCommand(["runs", "--json"], in: folder).standardOutput

    let database = try TestDatabase()
    let copy = try runCommand(["ledger", "copy", "--to", database.url], in: folder)
    #expect(copy.status == 0, "\(copy.standardError)")
    #expect(copy.standardOutput.contains("deposits"))
    let config = try String(contentsOf: configPath, encoding: .utf8).replacingOccurrences(
      of: "path = \"var/ledger.sqlite\"", with: "url = \"\(database.url)\"")
    try config.write(to: configPath, atomically: true, encoding: .utf8)
    #expect(try reports() == before)
    #expect(try runCommand(["runs", "--json"], in: folder).standardOutput == runsBefore)
    // The copy is a working ledger: the same drop again deposits nothing.
    let again = try runCommand(["run", "--json"], in: folder)
    #expect(again.status == 0)
    #expect(try Self.count(Self.summary(Data(again.standardOutput.utf8)), "lines", "deposited") == 0)
    // A second copy into a ledger that is no longer empty is refused.
    let sqliteConfig = config.replacingOccurrences(
      of: "url = \"\(database.url)\"", with: "path = \"var/ledger.sqlite\"")
    try sqliteConfig.write(to: configPath, atomically: true, encoding: .utf8)
    let refused = try runCommand(["ledger", "copy", "--to", database.url], in: folder)
    #expect(refused.status == 74)
    #expect(refused.standardError.contains("not empty"))
  }

  @Test func aServerThatCannotBeReachedStopsTheRunWith74NamingHostAndPort() throws {
    let drop = try TestDrop(backend: .postgres)
    try drop.dropFixture("quarantine/good.xml")
    // A port nothing listens on: this test's own, just closed.
    let config = try String(contentsOfFile: drop.configPath, encoding: .utf8)
    let url = try #require(drop.database?.url)
    let port = try #require(URLComponents(string: url)?.port)
    let unreachable = config.replacingOccurrences(of: "127.0.0.1:\(port)", with: "127.0.0.1:9")
    try unreachable.write(toFile: drop.configPath, atomically: true, encoding: .utf8)
    let output = try runCommand(["run", "--config", drop.configPath])
    #expect(output.status == 74)
    #expect(output.standardError.contains("127.0.0.1:9"))
    #expect(drop.files(in: drop.inbox) == ["good.xml"])
  }
}
