import Foundation
import SmartDeposit

/// The repository's `Tests/Fixtures` folder.
public let fixturesFolder: URL = URL(fileURLWithPath: #filePath)
  .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

/// The package's root folder.
public let packageRoot: URL = URL(fileURLWithPath: #filePath)
  .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A fixture file's path.
public func fixture(_ relativePath: String) -> String {
  fixturesFolder.appendingPathComponent(relativePath).path
}

/// The accounts every test drop starts with.
public let standardAccounts = """
  smart_account,name,type,virtual_accounts,partner
  acme.com,Acme Corp,customer,Campus;Campus-East,
  emea.acme.com,Acme EMEA,customer,Paris,
  globex.example,Globex,customer,,
  holding.globalnet.example,GlobalNet Holding,holding,Stock,globalnet
  holding.netpro.example,NetPro Holding,holding,,netpro
  joe.plumbing@gmail.com,Joe's Plumbing,limited-use,,

  """

/// The canonical CCW CSV header.
public let csvHeader =
  "web_order_id,sales_order,purchase_order,order_date,line_number,sku,quantity,license_type,term_months,start_date,smart_account,virtual_account,end_customer,partner"

/// A ledger backend the tests run against.
public enum Backend: String, CaseIterable, Sendable, CustomStringConvertible {
  case sqlite
  case postgres

  public var description: String { rawValue }

  /// The PostgreSQL cluster the tests may use (a URL to its `postgres`
  /// database, from `scripts/postgres-cluster.sh start`), if configured.
  public static var postgresURL: String? {
    let value = ProcessInfo.processInfo.environment["SMARTDEPOSIT_TEST_POSTGRES_URL"] ?? ""
    return value.isEmpty ? nil : value
  }

  /// Whether the tests run under CI, where a PostgreSQL test may not be left out.
  public static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

  /// The backends to test: SQLite always; PostgreSQL when a cluster is
  /// configured, and always under CI (where a missing one fails the tests).
  public static let tested: [Backend] = {
    if postgresURL != nil || isCI { return [.sqlite, .postgres] }
    FileHandle.standardError.write(
      Data(
        "note: PostgreSQL tests left out: set SMARTDEPOSIT_TEST_POSTGRES_URL (scripts/postgres-cluster.sh start DIR prints one)\n"
          .utf8))
    return [.sqlite]
  }()
}

/// Why a PostgreSQL test cannot run.
public struct TestSetupError: Error, CustomStringConvertible {
  public var description: String
  public init(_ description: String) { self.description = description }
}

/// A fresh database in the test cluster, dropped when the value is deinitialised.
public final class TestDatabase: @unchecked Sendable {
  // @unchecked: immutable after init.
  public let name: String
  public let url: String
  private let baseURL: String

  public init() throws {
    guard let base = Backend.postgresURL else {
      throw TestSetupError(
        "CI=true but SMARTDEPOSIT_TEST_POSTGRES_URL is not set: the PostgreSQL tests cannot run (.ci/run starts a cluster)"
      )
    }
    baseURL = base
    name = "sd_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
    guard var components = URLComponents(string: base) else {
      throw TestSetupError("SMARTDEPOSIT_TEST_POSTGRES_URL is not a URL: \(base)")
    }
    components.path = "/" + name
    url = components.string ?? base
    try Self.psql(base, "CREATE DATABASE \(name)")
  }

  deinit { try? Self.psql(baseURL, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)") }

  /// Runs one SQL command through psql and returns its unaligned output.
  @discardableResult
  public static func psql(_ url: String, _ sql: String) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["psql", url, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql]
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw TestSetupError("psql failed: \(sql)") }
    return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
  }

  /// Runs SQL in this database.
  @discardableResult
  public func sql(_ command: String) throws -> String { try Self.psql(url, command) }
}

/// A temporary drop: a folder with pipeline.conf, accounts.csv and an inbox,
/// removed when the value is deinitialised.
public final class TestDrop {
  public let root: URL
  public var inbox: URL { root.appendingPathComponent("inbox") }
  public var configPath: String { root.appendingPathComponent("pipeline.conf").path }
  public var ledgerPath: String { root.appendingPathComponent("var/ledger.sqlite").path }
  public var reportsDir: URL { root.appendingPathComponent("var/reports") }
  public var archive: URL { root.appendingPathComponent("var/archive") }
  public var quarantine: URL { root.appendingPathComponent("var/quarantine") }

  public let backend: Backend
  /// The PostgreSQL database of a `.postgres` drop.
  public let database: TestDatabase?

  public init(
    backend: Backend = .sqlite, accounts: String = standardAccounts, onSuccess: String = "move",
    atomicity: String = "order", extraConfig: String = "", partners: [String] = ["globalnet", "netpro"]
  ) throws {
    self.backend = backend
    database = backend == .postgres ? try TestDatabase() : nil
    let ledgerLine = database.map { "url = \"\($0.url)\"\nclaim_timeout_seconds = 3" } ?? "path = \"var/ledger.sqlite\""
    root = FileManager.default.temporaryDirectory.appendingPathComponent("smartdeposit-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: inbox, withIntermediateDirectories: true)
    try accounts.write(to: root.appendingPathComponent("accounts.csv"), atomically: true, encoding: .utf8)
    var config = """
      [drop]
      inbox = "inbox"
      archive = "var/archive"
      quarantine = "var/quarantine"
      on_success = "\(onSuccess)"
      settle_seconds = 0

      [ledger]
      \(ledgerLine)

      [accounts]
      file = "accounts.csv"

      [reports]
      dir = "var/reports"

      [policy]
      atomicity = "\(atomicity)"

      \(extraConfig)

      """
    for partner in partners {
      config += "\n[[partner]]\nname = \"\(partner)\"\ninbox = \"\(partner)\"\n"
      try FileManager.default.createDirectory(
        at: inbox.appendingPathComponent(partner), withIntermediateDirectories: true)
    }
    try config.write(toFile: configPath, atomically: true, encoding: .utf8)
  }

  deinit { try? FileManager.default.removeItem(at: root) }

  /// Writes a file into the inbox (relative name may name a partner folder).
  @discardableResult
  public func drop(_ name: String, _ content: String) throws -> URL {
    let url = inbox.appendingPathComponent(name)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(content.utf8).write(to: url)
    return url
  }

  /// Writes raw bytes into the inbox.
  @discardableResult
  public func drop(_ name: String, bytes: [UInt8]) throws -> URL {
    let url = inbox.appendingPathComponent(name)
    try Data(bytes).write(to: url)
    return url
  }

  /// Copies a fixture into the inbox.
  public func dropFixture(_ relativePath: String, as name: String? = nil) throws {
    let source = URL(fileURLWithPath: fixture(relativePath))
    let destination = inbox.appendingPathComponent(name ?? source.lastPathComponent)
    try FileManager.default.createDirectory(
      at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
    try FileManager.default.copyItem(at: source, to: destination)
  }

  public func loadConfig() throws -> PipelineConfig { try PipelineConfig.load(path: configPath) }

  /// Runs the pipeline in this process.
  public func run(dryRun: Bool = false) throws -> RunResult {
    var options = RunOptions()
    options.dryRun = dryRun
    return try RunPipeline(config: try loadConfig(), options: options).run()
  }

  /// The ledger, opened read-write, whichever the backend.
  public func ledger() throws -> Ledger { try LedgerOpener.open(try loadConfig(), access: .write) }

  /// The SQLite ledger of an `.sqlite` drop, for checks only SQLite can make.
  public func sqliteLedger() throws -> SQLiteLedger { try SQLiteLedger(path: ledgerPath) }

  /// Runs one SQL statement on the ledger behind the program's back (psql
  /// or the sqlite3 shell), as an operator or another tool would; returns
  /// its output.
  @discardableResult
  public func changeLedger(_ sql: String) throws -> String {
    if let database { return try database.sql(sql) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["sqlite3", ledgerPath, sql]
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      throw NSError(domain: "sqlite3", code: Int(process.terminationStatus), userInfo: [NSLocalizedDescriptionKey: sql])
    }
    return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
  }

  /// Lines of the named report of a run.
  public func report(_ result: RunResult, _ name: String) throws -> [[String]] {
    let text = try String(
      contentsOfFile: (result.reportFolder as NSString).appendingPathComponent(name), encoding: .utf8)
    return parseCSV(text)
  }

  /// Every file below a folder, relative to it, sorted.
  public func files(in folder: URL) -> [String] {
    guard let enumerator = FileManager.default.enumerator(atPath: folder.path) else { return [] }
    var names: [String] = []
    while let name = enumerator.nextObject() as? String {
      var isDirectory: ObjCBool = false
      if FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path, isDirectory: &isDirectory),
        !isDirectory.boolValue
      {
        names.append(name)
      }
    }
    return names.sorted()
  }
}

/// A small RFC 4180 parser for reading the program's own CSV output in tests.
public func parseCSV(_ text: String) -> [[String]] {
  var rows: [[String]] = []
  var row: [String] = []
  var field = ""
  var inQuotes = false
  var iterator = Array(text.unicodeScalars).makeIterator()
  var pending: Unicode.Scalar? = nil
  func next() -> Unicode.Scalar? {
    if let value = pending {
      pending = nil
      return value
    }
    return iterator.next()
  }
  while let scalar = next() {
    if inQuotes {
      if scalar == "\"" {
        if let following = next() {
          if following == "\"" { field.unicodeScalars.append("\"") } else { inQuotes = false; pending = following }
        } else {
          inQuotes = false
        }
      } else {
        field.unicodeScalars.append(scalar)
      }
      continue
    }
    switch scalar {
    case "\"": inQuotes = true
    case ",": row.append(field); field = ""
    case "\r": continue
    case "\n": row.append(field); rows.append(row); row = []; field = ""
    default: field.unicodeScalars.append(scalar)
    }
  }
  if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
  return rows
}

/// The output of a finished process.
public struct ProcessOutput: Sendable {
  public var status: Int32
  public var standardOutput: String
  public var standardError: String
}

/// The built `smartdeposit` executable, beside the test bundle.
public func smartdepositExecutable() -> URL {
  var candidates: [URL] = []
  let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
  var folder = testBinary.deletingLastPathComponent()
  for _ in 0..<4 {
    candidates.append(folder.appendingPathComponent("smartdeposit"))
    folder = folder.deletingLastPathComponent()
  }
  let fallback = packageRoot.appendingPathComponent(".build/debug/smartdeposit")
  return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? fallback
}

/// Runs the built command with arguments in a folder and waits for it.
@discardableResult
public func runCommand(
  _ arguments: [String], in folder: URL? = nil, timeout: TimeInterval = 300
) throws -> ProcessOutput {
  let process = Process()
  process.executableURL = smartdepositExecutable()
  process.arguments = arguments
  if let folder { process.currentDirectoryURL = folder }
  let output = Pipe()
  let error = Pipe()
  process.standardOutput = output
  process.standardError = error
  try process.run()
  let outputData = output.fileHandleForReading.readDataToEndOfFile()
  let errorData = error.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return ProcessOutput(
    status: process.terminationStatus, standardOutput: String(decoding: outputData, as: UTF8.self),
    standardError: String(decoding: errorData, as: UTF8.self))
}

/// Runs `Benchmarks/generate_drop.py` into `folder` with these arguments
/// (besides `--out`), and fails the test if it fails.
public func generateDrop(into folder: URL, _ arguments: [String]) throws {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
  process.arguments =
    ["python3", packageRoot.appendingPathComponent("Benchmarks/generate_drop.py").path, "--out", folder.path]
    + arguments
  process.standardOutput = FileHandle.nullDevice
  try process.run()
  process.waitUntilExit()
  guard process.terminationStatus == 0 else { throw TestSetupError("generate_drop.py \(arguments) failed") }
}

/// SplitMix64: a small deterministic generator, so that a seed replays the
/// same kills or the same generated input.
public struct SeededGenerator: RandomNumberGenerator {
  var state: UInt64
  public init(seed: UInt64) { state = seed }
  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
