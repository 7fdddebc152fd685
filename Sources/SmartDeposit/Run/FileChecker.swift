import Foundation

/// `smartdeposit check`: parses and validates files exactly as a run would,
/// against the configured registry, in a scratch ledger that is deleted
/// afterwards, so that nothing is deposited and the real ledger is not touched.
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

  /// The problems of every file, in file order. Throws `RunError.inputMissing` for a file that does not exist.
  public func check(paths: [String]) throws -> [Problem] {
    for path in paths where !FileManager.default.fileExists(atPath: path) {
      throw RunError.inputMissing(path)
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
    var problems: [Problem] = []
    let (accounts, accountProblems) = try AccountsFile.read(config: config)
    for problem in accountProblems {
      problems.append(
        Problem(file: problem.file, line: problem.line, code: "invalid-account", message: problem.message))
    }
    _ = try ledger.syncRegistry(accounts)
    let processor = OrderFileProcessor(
      validator: LineValidator(registry: try ledger.registry(), maxQuantity: config.maxQuantity),
      atomicity: config.atomicity, limits: config.limits)
    let transfers = TransferProcessor(limits: config.limits, maxQuantity: config.maxQuantity)
    let sink = CollectingSink()
    for path in paths {
      let absolute = PathUtilities.absolute(path)
      let name = (path as NSString).lastPathComponent
      guard let format = InputFormat.of(fileName: name) else {
        problems.append(
          Problem(
            file: path, line: 0, code: "unknown-format",
            message: "not an order or transfer file (.xml, .csv, .transfer.csv, optionally .gz)"))
        continue
      }
      let size = (try? FileManager.default.attributesOfItem(atPath: absolute)[.size] as? NSNumber)?.int64Value ?? 0
      let file = InboxFile(path: absolute, name: path, sender: sender(of: absolute), format: format, size: size)
      do {
        if format == .transfer {
          let sha256 = try sha256OfFile(atPath: absolute)
          _ = try transfers.process(file, sha256: sha256, runID: "check", ledger: ledger, report: sink)
        } else {
          _ = try processor.process(file, sha256: nil, runID: "check", ledger: ledger, report: sink)
        }
      } catch let error as IngestError {
        problems.append(Problem(file: path, line: error.line, code: error.cause.rawValue, message: error.message))
      }
      for reject in sink.rejects {
        problems.append(
          Problem(file: reject.file, line: reject.record, code: reject.code.rawValue, message: reject.message))
      }
      sink.rejects.removeAll()
    }
    return problems
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
  func beginFile() throws {}
  func discardFile() throws {}
  func depositRows(_ rows: UnsafeRawBufferPointer) throws {}
  func addTotals(_ totals: [AccountKey: AccountQuantities]) throws {}
  func reject(_ reject: Reject) throws { rejects.append(reject) }
}
