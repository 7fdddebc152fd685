import Foundation
import SmartDeposit
import SmartDepositTestSupport
import Testing

/// Kills real `smartdeposit run` processes with SIGKILL at many instants and
/// checks that the next run completes the work exactly once.
///
/// `SMARTDEPOSIT_CRASH_POINTS` (default 60) and `SMARTDEPOSIT_CRASH_SEED`
/// choose how many kills and where.
@Suite("Crash safety", .serialized)
struct CrashTests {
  struct LedgerState: Equatable {
    var balances: [Balance]
    var deposits: Int
  }

  static func generateDrop(into folder: URL) throws {
    try SmartDepositTestSupport.generateDrop(
      into: folder,
      [
        "--lines", "16000", "--files", "4", "--partner-lines", "4000", "--accounts", "500", "--mistakes", "--seed",
        "11",
      ])
    // A file that must be quarantined, so that path is killed too.
    try "<?xml version=\"1.0\"?>\n<OrderDrop><Order webOrderId=\"1\">".write(
      to: folder.appendingPathComponent("inbox/ccw-broken.xml"), atomically: true, encoding: .utf8)
  }

  static func state(of folder: URL) throws -> LedgerState {
    let config = try PipelineConfig.load(path: folder.appendingPathComponent("pipeline.conf").path)
    if case .sqlite(let path) = config.ledger {
      #expect(try SQLiteLedger(path: path).scalar("PRAGMA integrity_check") == "ok")
    }
    let ledger = try LedgerOpener.open(config, access: .read)
    defer { ledger.close() }
    return LedgerState(balances: try ledger.balances(), deposits: try ledger.depositCount())
  }

  /// Points a drop's configuration at a fresh PostgreSQL database (kept alive by the caller).
  static func usePostgres(_ folder: URL, claimTimeout: Int) throws -> TestDatabase {
    let database = try TestDatabase()
    let path = folder.appendingPathComponent("pipeline.conf")
    let config = try String(contentsOf: path, encoding: .utf8).replacingOccurrences(
      of: "path = \"var/ledger.sqlite\"",
      with: "url = \"\(database.url)\"\nclaim_timeout_seconds = \(claimTimeout)")
    try config.write(to: path, atomically: true, encoding: .utf8)
    return database
  }

  /// Input names as found in the inbox, archive and quarantine (without the run folder).
  static func whereFilesAre(_ folder: URL) -> [String: [String]] {
    var found: [String: [String]] = [:]
    func walk(_ base: URL, place: String, stripRunFolder: Bool) {
      guard let enumerator = FileManager.default.enumerator(atPath: base.path) else { return }
      while let relative = enumerator.nextObject() as? String {
        var isDirectory: ObjCBool = false
        guard
          FileManager.default.fileExists(atPath: base.appendingPathComponent(relative).path, isDirectory: &isDirectory),
          !isDirectory.boolValue, !relative.hasSuffix(".reason.txt"), !relative.hasSuffix(".tmp")
        else { continue }
        var name = relative
        if stripRunFolder, let slash = name.firstIndex(of: "/") { name = String(name[name.index(after: slash)...]) }
        found[name, default: []].append(place)
      }
    }
    walk(folder.appendingPathComponent("inbox"), place: "inbox", stripRunFolder: false)
    walk(folder.appendingPathComponent("var/archive"), place: "archive", stripRunFolder: true)
    walk(folder.appendingPathComponent("var/quarantine"), place: "quarantine", stripRunFolder: true)
    return found
  }

  /// What every published report of a drop's runs lists, after `report
  /// RUN-ID` has rebuilt each run that has no report folder: rejected lines
  /// by (file, record) and deposited lines by identity.
  struct Reported: Equatable {
    var rejects: Set<String> = []
    var deposits: Set<LineIdentity> = []
  }

  static func reported(in folder: URL) throws -> Reported {
    let reports = folder.appendingPathComponent("var/reports")
    let runs = try runCommand(["runs", "--json", "--limit", "1000"], in: folder)
    let history = try JSONDecoder().decode([RunRecord].self, from: Data(runs.standardOutput.utf8))
    for run in history where !FileManager.default.fileExists(atPath: reports.appendingPathComponent(run.id).path) {
      let rebuilt = try runCommand(["report", run.id], in: folder)
      #expect(rebuilt.status == 0, "report \(run.id): \(rebuilt.standardError)")
    }
    var found = Reported()
    for run in try FileManager.default.contentsOfDirectory(atPath: reports.path) where !run.hasPrefix(".") {
      let rejects = parseCSV(
        try String(contentsOf: reports.appendingPathComponent("\(run)/rejects.csv"), encoding: .utf8))
      for row in rejects.dropFirst() where row.count > 1 { found.rejects.insert(row[0] + ":" + row[1]) }
      let deposits = parseCSV(
        try String(contentsOf: reports.appendingPathComponent("\(run)/deposits.csv"), encoding: .utf8))
      for row in deposits.dropFirst() where row.count > 3 {
        found.deposits.insert(LineIdentity(webOrderID: row[2], lineNumber: row[3]))
      }
    }
    return found
  }

  /// With PostgreSQL, a killed run's claims and lease lapse only after the
  /// claim timeout: the next run waits that long, so fewer points are killed.
  @Test(arguments: Backend.tested)
  func killedAtAnyInstantEveryLineIsDepositedExactlyOnce(backend: Backend) throws {
    let points =
      Int(ProcessInfo.processInfo.environment["SMARTDEPOSIT_CRASH_POINTS"] ?? "") ?? (backend == .sqlite ? 64 : 16)
    try Self.killAndRecover(
      backend: backend, points: points, minimumDeposits: 10_000, minimumRejects: 100, drop: Self.generateDrop)
  }

  /// Small files commit in groups (SQLite): killed while a group is read,
  /// committed, moved or recorded, each file is still taken exactly once.
  @Test func killedAmongGroupsOfSmallFilesEveryFileIsTakenExactlyOnce() throws {
    let points = Int(ProcessInfo.processInfo.environment["SMARTDEPOSIT_CRASH_POINTS"] ?? "") ?? 16
    try Self.killAndRecover(backend: .sqlite, points: points, minimumDeposits: 5_000, minimumRejects: 20) { folder in
      try SmartDepositTestSupport.generateDrop(
        into: folder,
        ["--lines", "6000", "--files", "300", "--accounts", "200", "--mistakes", "--format", "csv", "--seed", "12"])
      // A file refused in the middle of the groups, and one same as another.
      try "web_order_id,sku\n1,SKU\n".write(
        to: folder.appendingPathComponent("inbox/ccw-150x.csv"), atomically: true, encoding: .utf8)
      try FileManager.default.copyItem(
        at: folder.appendingPathComponent("inbox/ccw-010.csv"), to: folder.appendingPathComponent("inbox/ccw-200x.csv"))
    }
  }

  static func killAndRecover(
    backend: Backend, points: Int, minimumDeposits: Int, minimumRejects: Int, drop: (URL) throws -> Void
  ) throws {
    let environment = ProcessInfo.processInfo.environment
    let claimTimeout = 1
    var random = SeededGenerator(seed: UInt64(environment["SMARTDEPOSIT_CRASH_SEED"] ?? "") ?? 20_261_129)
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("smartdeposit-crash-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: work) }
    let template = work.appendingPathComponent("template")
    try drop(template)
    let inputNames = Set(Self.whereFilesAre(template).keys)

    // One clean run: the state every killed run must end in.
    let reference = work.appendingPathComponent("reference")
    try FileManager.default.copyItem(at: template, to: reference)
    var databases: [TestDatabase] = []
    if backend == .postgres { databases.append(try Self.usePostgres(reference, claimTimeout: claimTimeout)) }
    let started = Date()
    let clean = try runCommand(["run"], in: reference)
    let duration = Date().timeIntervalSince(started)
    #expect(clean.status == 65)
    let expected = try Self.state(of: reference)
    #expect(expected.deposits > minimumDeposits)
    let expectedReports = try Self.reported(in: reference)
    #expect(expectedReports.deposits.count == expected.deposits)
    #expect(expectedReports.rejects.count > minimumRejects)

    var killedWhileRunning = 0
    var instants: Set<Int> = []
    // The clean run's length is only an estimate (other tests may share the
    // cores): a kill that comes after the run has already finished is tried
    // again on a fresh copy, earlier, so that every point kills a live run.
    var estimate = duration
    for point in 0..<points {
      let folder = work.appendingPathComponent("kill-\(point)")
      defer { try? FileManager.default.removeItem(at: folder) }
      let fraction = Double.random(in: 0.0..<0.9, using: &random)
      var delay = fraction * estimate
      for _ in 0..<8 {
        try? FileManager.default.removeItem(at: folder)
        try FileManager.default.copyItem(at: template, to: folder)
        if backend == .postgres {
          databases.removeLast(databases.count > 1 ? 1 : 0)
          databases.append(try Self.usePostgres(folder, claimTimeout: claimTimeout))
        }
        let process = Process()
        process.executableURL = smartdepositExecutable()
        process.arguments = ["run", "--quiet"]
        process.currentDirectoryURL = folder
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let started = Date()
        try process.run()
        Thread.sleep(forTimeInterval: delay)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        if process.terminationReason == .uncaughtSignal {
          killedWhileRunning += 1
          instants.insert(Int(delay * 1000))
          break
        }
        estimate = min(estimate, Date().timeIntervalSince(started))
        delay = fraction * estimate * 0.8
      }
      if backend == .postgres {
        // The killed run's lease and claims lapse.
        Thread.sleep(forTimeInterval: Double(claimTimeout) + 0.5)
      }
      let recovery = try runCommand(["run", "--json"], in: folder)
      #expect(recovery.status == 65 || recovery.status == 0, "kill \(point) at \(delay)s: \(recovery.standardError)")
      #expect(try Self.state(of: folder) == expected, "kill \(point) at \(delay)s")
      let places = Self.whereFilesAre(folder)
      #expect(Set(places.keys) == inputNames, "kill \(point): files lost or invented")
      for (name, where_) in places {
        #expect(where_.count == 1, "kill \(point): \(name) is in \(where_)")
        #expect(where_ != ["inbox"], "kill \(point): \(name) was left in the inbox")
      }
      // Published report folders are complete; nothing half-written under a final name.
      let reports = folder.appendingPathComponent("var/reports")
      for run in try FileManager.default.contentsOfDirectory(atPath: reports.path) where !run.hasPrefix(".") {
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: reports.appendingPathComponent(run).path))
        #expect(files == ["summary.json", "deposits.csv", "rejects.csv", "report.html"], "kill \(point): \(run)")
      }
      let again = try runCommand(["run", "--json"], in: folder)
      #expect(again.status == 0)
      #expect(try Self.state(of: folder) == expected)
      // Nothing goes unreported: every line the clean run reported is in
      // some report of these runs (rebuilt from the ledger where a run died
      // before it published one).
      let seen = try Self.reported(in: folder)
      let lostRejects = expectedReports.rejects.subtracting(seen.rejects)
      let lostDeposits = expectedReports.deposits.subtracting(seen.deposits)
      #expect(lostRejects.isEmpty, "kill \(point): \(lostRejects.count) rejected lines in no report")
      #expect(lostDeposits.isEmpty, "kill \(point): \(lostDeposits.count) deposited lines in no report")
    }
    #expect(killedWhileRunning >= points * 8 / 10, "only \(killedWhileRunning) kills hit a running process")
    print(
      "crash test (\(backend)): \(points) kills, \(killedWhileRunning) while running, \(instants.count) distinct instants over \(String(format: "%.2f", duration))s"
    )
  }
}
