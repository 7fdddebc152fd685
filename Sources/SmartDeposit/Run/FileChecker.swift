import Foundation

/// `smartdeposit check`: parses and validates files exactly as a run would,
/// against the configured registry, in a scratch ledger that is deleted
/// afterwards (transfer files: in the real ledger, every change rolled
/// back), so that nothing is deposited and the real ledger is not changed.
public struct FileChecker {
  public var config: PipelineConfig

  public init(config: PipelineConfig) {
    self.config = config
  }

  /// One problem, printed as `file:line: code: message`.
  public struct Problem: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var code: String
    public var message: String

    public var description: String { "\(file):\(line): \(code): \(message)" }
  }

  /// What a check found: the problems, in file order, and what was looked at.
  public struct Result: Sendable, Equatable {
    public var problems: [Problem] = []
    /// Files checked, lines read in them, and arguments that do not exist.
    public var files = 0
    public var lines = 0
    public var missing = 0
  }

  /// The files an argument names: a file, or every order and transfer file
  /// in a folder and its sub-folders (partners' inboxes), in name order.
  func expand(_ path: String) -> [String] {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
      return [path]
    }
    guard let enumerator = FileManager.default.enumerator(atPath: path) else { return [] }
    // The names a run never takes (drop.ignore, the accounts file) are not checked either.
    let excluded = Discovery(config: config).excluded
    var found: [String] = []
    while let relative = enumerator.nextObject() as? String {
      let name = (relative as NSString).lastPathComponent
      if Discovery.isIgnoredName(name) { continue }
      let full = (path as NSString).appendingPathComponent(relative)
      var info = stat()
      guard lstat(full, &info) == 0, info.st_mode & S_IFMT == S_IFREG, InputFormat.of(fileName: name) != nil,
        !excluded.contains(PathUtilities.absolute(full))
      else { continue }
      found.append(full)
    }
    return found.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
  }

  /// Checks every file named, also after one that does not exist (each
  /// missing one is a problem of its own, and counted). Order files are read
  /// against a scratch ledger; transfer files against the real one, read
  /// only (every change rolled back), so that what is held is seen.
  public func check(paths: [String]) throws -> Result {
    var result = Result()
    var files: [String] = []
    for path in paths {
      guard FileManager.default.fileExists(atPath: path) else {
        result.missing += 1
        result.problems.append(
          Problem(
            file: path, line: 0, code: "missing",
            message: "no such file or folder: \(String(cString: strerror(ENOENT))) (ENOENT)"))
        continue
      }
      files.append(contentsOf: expand(path))
    }
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
      "smartdeposit-check-\(UUID().uuidString)"
    ).path
    defer { try? FileManager.default.removeItem(atPath: scratch) }
    // A scratch ledger of the embedded kind, whatever the configured one is.
    var scratchConfig = config
    scratchConfig.ledgerPath = (scratch as NSString).appendingPathComponent("check.sqlite")
    scratchConfig.ledgerPostgres = nil
    let ledger = try LedgerOpener.open(scratchConfig, access: .write)
    defer { ledger.close() }
    let (accounts, accountProblems) = try AccountsFile.read(config: config)
    for problem in accountProblems {
      result.problems.append(
        Problem(file: problem.file, line: problem.line, code: "invalid-account", message: problem.message))
    }
    _ = try ledger.syncRegistry(accounts)
    // Transfers move what the real ledger holds: read it, change nothing.
    var real: Ledger?
    defer { real?.close() }
    if files.contains(where: { InputFormat.of(fileName: ($0 as NSString).lastPathComponent) == .transfer }) {
      real = try? LedgerOpener.open(config, access: .read, dryRun: true)
      _ = try real?.syncRegistry(accounts)
    }
    let processor = OrderFileProcessor(
      validator: LineValidator(registry: try ledger.registry(), maxQuantity: config.maxQuantity),
      atomicity: config.atomicity, limits: config.limits)
    let transfers = TransferProcessor(limits: config.limits, maxQuantity: config.maxQuantity)
    let sink = CollectingSink()
    for path in files {
      let absolute = PathUtilities.absolute(path)
      let name = (path as NSString).lastPathComponent
      result.files += 1
      guard let format = InputFormat.of(fileName: name) else {
        result.problems.append(
          Problem(
            file: path, line: 0, code: "unknown-format",
            message: "not an order or transfer file (.xml, .csv, .xlsx, .transfer.csv, optionally .gz)"))
        continue
      }
      let size = (try? FileManager.default.attributesOfItem(atPath: absolute)[.size] as? NSNumber)?.int64Value ?? 0
      let file = InboxFile(path: absolute, name: path, sender: sender(of: absolute), format: format, size: size)
      do {
        if format == .transfer {
          let sha256 = try sha256OfFile(atPath: absolute)
          // A transfer file the ledger already applied is a duplicate a run skips: no problem.
          if try real?.processedFile(sha256: sha256) != nil { continue }
          let counts = try transfers.process(
            file, sha256: sha256, runID: "check", ledger: real ?? ledger, report: sink)
          result.lines += counts.read
        } else {
          let (counts, _, _) = try processor.process(file, sha256: nil, runID: "check", ledger: ledger, report: sink)
          result.lines += counts.read
        }
      } catch let error as IngestError {
        result.problems.append(
          Problem(file: path, line: error.line, code: error.cause.rawValue, message: error.message))
      }
      for reject in sink.rejects {
        result.problems.append(
          Problem(file: reject.file, line: reject.record, code: reject.code.rawValue, message: reject.message))
      }
      sink.rejects.removeAll()
    }
    return result
  }

  /// A file inside a partner's inbox folder is checked as that partner's.
  private func sender(of path: String) -> Sender {
    for partner in config.partners {
      let folder = PathUtilities.resolve(partner.inbox, against: config.inbox)
      if path.hasPrefix(folder + "/") { return .partner(partner.name) }
    }
    return .ccw
  }
}

/// Keeps the rejects a check finds.
final class CollectingSink: ReportSink {
  var rejects: [Reject] = []
  /// How many rejects came before the current file.
  private var fileStart = 0
  func beginFile() throws { fileStart = rejects.count }
  func discardFile() throws { try discardRejectsOfFile() }
  func discardRejectsOfFile() throws { rejects.removeLast(rejects.count - fileStart) }
  func depositRows(_ rows: UnsafeRawBufferPointer) throws {}
  func addTotals(_ totals: [AccountKey: AccountQuantities]) throws {}
  func reject(_ reject: Reject) throws { rejects.append(reject) }
}
