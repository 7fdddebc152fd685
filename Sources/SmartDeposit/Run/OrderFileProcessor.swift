/// Line and quantity counts of one file (or a whole run).
public struct LineCounts: Sendable, Equatable {
  public var read = 0
  public var deposited = 0
  public var held = 0
  public var duplicate = 0
  public var rejected = 0
  public var quantityDeposited = 0
  public var quantityHeld = 0
  public var rejectsByCode: [RejectCode: Int] = [:]

  public init() {}

  mutating func add(_ deposit: Deposit, sign: Int = 1) {
    deposited += sign
    quantityDeposited += sign * deposit.quantity
    if deposit.status == .held {
      held += sign
      quantityHeld += sign * deposit.quantity
    }
  }
}

/// Receives the rows of the run's deposit and reject reports.
public protocol ReportSink: AnyObject {
  func deposit(_ deposit: Deposit, file: String) throws
  func reject(_ reject: Reject) throws
}

/// Takes one order file through parse → validate → route → deposit, inside
/// one ledger transaction together with the file's record.
public struct OrderFileProcessor {
  public var validator: LineValidator
  public var router = Router()
  public var atomicity: Atomicity
  public var limits: InputLimits
  /// Called as bytes are read, for progress display.
  public var progress: ((Int64, Int) -> Void)?

  public init(validator: LineValidator, atomicity: Atomicity, limits: InputLimits) {
    self.validator = validator
    self.atomicity = atomicity
    self.limits = limits
  }

  /// Deposits the file's lines. Throws `IngestError` (nothing committed) when
  /// the whole file must be quarantined; any other error is a ledger failure.
  public func process(
    _ file: InboxFile, sha256: String, runID: String, ledger: Ledger, report: ReportSink?
  ) throws -> LineCounts {
    let record = FileRecord(
      sha256: sha256, name: file.name, format: file.format, sender: file.sender.name, runID: runID,
      outcome: "processed", lines: 0, rejected: 0, reason: "", disposition: "pending")
    return try ledger.inFileTransaction(record) { session in
      let (source, bytes) = try OrderSources.open(
        path: file.path, displayName: file.name, format: file.format, limits: limits)
      var work = FileWork(session: session, file: file.name, atomicity: atomicity)
      while let parsed = try source.next() {
        work.counts.read += 1
        if let progress, work.counts.read & 0x3FFF == 0 { progress(source.bytesRead, work.counts.read) }
        switch parsed {
        case .malformed(let line, let order, let number, let message):
          try work.reject(.malformedRecord, message, order: order, lineNumber: number, record: line, line: nil)
        case .line(let line):
          try deposit(line, sender: file.sender, work: &work)
        }
      }
      let digest = bytes.digest()
      guard digest == sha256 else {
        throw IngestError(
          .changedWhileReading, file: file.name,
          message: "the file changed while it was read; it will be taken when it is complete")
      }
      try session.finish(lines: work.counts.read, rejected: work.counts.rejected)
      if let report {
        try session.depositsOfThisFile { try report.deposit($0, file: file.name) }
        for reject in try session.rejectsOfThisFile() { try report.reject(reject) }
      }
      return work.counts
    }
  }

  private func deposit(_ line: OrderLine, sender: Sender, work: inout FileWork) throws {
    if work.isRejected(order: line.webOrderID) {
      try work.reject(
        .orderRejected, "web order \(line.webOrderID) was rejected because another of its lines was",
        order: line.webOrderID, lineNumber: line.lineNumber, record: line.record, line: line)
      return
    }
    let routed = validator.validate(line).flatMap { router.route($0, from: sender) }
    switch routed {
    case .failure(let problem):
      try work.reject(
        problem.code, problem.message, order: line.webOrderID, lineNumber: line.lineNumber, record: line.record,
        line: line)
    case .success(let deposit):
      switch try work.session.deposit(deposit) {
      case .deposited:
        work.counts.add(deposit)
      case .duplicate:
        work.counts.duplicate += 1
      case .conflicting(let existing):
        try work.reject(
          .conflictingLine,
          "web order \(line.webOrderID) line \(line.lineNumber) was already deposited with different content (\(existing.quantity) x \(existing.sku) into \(existing.smartAccount)/\(existing.virtualAccount))",
          order: line.webOrderID, lineNumber: line.lineNumber, record: line.record, line: line)
      }
    }
  }
}

/// The state of one file's processing: counts and the orders rejected so far.
private struct FileWork {
  let session: DepositSession
  let file: String
  let atomicity: Atomicity
  var counts = LineCounts()
  var rejectedOrders: Set<String> = []

  init(session: DepositSession, file: String, atomicity: Atomicity) {
    self.session = session
    self.file = file
    self.atomicity = atomicity
  }

  func isRejected(order: String) -> Bool {
    atomicity == .order && !rejectedOrders.isEmpty && rejectedOrders.contains(order)
  }

  /// Records a rejected line; under order atomicity, also takes back what the
  /// order already deposited from this file and rejects those lines too.
  mutating func reject(
    _ code: RejectCode, _ message: String, order: String, lineNumber: String, record: Int, line: OrderLine?
  ) throws {
    try session.recordReject(
      Reject(
        file: file, record: record, webOrderID: order, lineNumber: lineNumber, code: code, message: message,
        sku: line?.sku ?? "", quantity: line.flatMap { LineValidator.wholeNumber($0.quantity) },
        smartAccount: line?.smartAccount.lowercased() ?? ""))
    counts.rejected += 1
    counts.rejectsByCode[code, default: 0] += 1
    guard atomicity == .order, !order.isEmpty, rejectedOrders.insert(order).inserted else { return }
    for withdrawn in try session.withdrawOrder(order) {
      counts.add(withdrawn, sign: -1)
      try session.recordReject(
        Reject(
          file: file, record: withdrawn.record, webOrderID: order, lineNumber: withdrawn.lineNumber,
          code: .orderRejected,
          message: "web order \(order) was rejected because line \(lineNumber) was (\(code.rawValue))",
          sku: withdrawn.sku, quantity: withdrawn.quantity, smartAccount: withdrawn.smartAccount))
      counts.rejected += 1
      counts.rejectsByCode[.orderRejected, default: 0] += 1
    }
  }
}
