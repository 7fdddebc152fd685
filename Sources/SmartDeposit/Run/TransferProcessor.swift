/// Counts of one transfer file.
public struct TransferCounts: Sendable, Equatable {
  public var read = 0
  public var applied = 0
  public var duplicate = 0
  public var rejected = 0
  public var quantity = 0
  public var rejectsByCode: [RejectCode: Int] = [:]
  public init() {}
}

/// Applies a transfer file: each row moves held licenses of one deposited
/// line to a customer or limited-use account, all in one transaction with
/// the file's record. Rows are independent: a bad row rejects only itself.
public struct TransferProcessor {
  public var limits: InputLimits
  public var maxQuantity: Int

  public init(limits: InputLimits, maxQuantity: Int) {
    self.limits = limits
    self.maxQuantity = maxQuantity
  }

  public func process(
    _ file: InboxFile, sha256: String, runID: String, ledger: Ledger, report: ReportSink?
  ) throws -> TransferCounts {
    let registry = try ledger.registry()
    let validator = TransferValidator(registry: registry, maxQuantity: maxQuantity)
    let record = FileRecord(
      sha256: sha256, name: file.name, format: .transfer, sender: file.sender.name, runID: runID,
      outcome: .processed, lines: 0, rejected: 0, reason: "", disposition: .pending)
    try report?.beginFile()
    do {
      return try apply(file, sha256: sha256, record: record, validator: validator, ledger: ledger, report: report)
    } catch {
      try? report?.discardFile()
      throw error
    }
  }

  private func apply(
    _ file: InboxFile, sha256: String, record: FileRecord, validator: TransferValidator, ledger: Ledger,
    report: ReportSink?
  ) throws -> TransferCounts {
    try ledger.inFileTransaction(record) { session in
      let reader = try TransferReader(path: file.path, displayName: file.name, limits: limits)
      var counts = TransferCounts()
      // A transfer row's reject shows the quantity and the target account it named.
      var written = WrittenLine()
      func reject(_ code: RejectCode, _ message: String, order: String, line: String, record: Int) throws {
        try session.recordRejects([
          Reject(
            file: file.name, record: record, webOrderID: order, lineNumber: line, code: code, message: message,
            written: written)
        ])
        counts.rejected += 1
        counts.rejectsByCode[code, default: 0] += 1
      }
      while let parsed = try reader.next() {
        counts.read += 1
        switch parsed {
        case .malformed(let record, let order, let line, let message):
          written = WrittenLine()
          try reject(.malformedRecord, message, order: order, line: line, record: record)
        case .transfer(let request):
          written = WrittenLine(
            quantity: request.quantity, smartAccount: request.toSmartAccount, virtualAccount: request.toVirtualAccount)
          let order = request.webOrderID
          let line = request.lineNumber
          let checked = validator.check(request, sender: file.sender)
          guard case .success(let (quantity, target)) = checked else {
            if case .failure(let problem) = checked {
              try reject(problem.code, problem.message, order: order, line: line, record: request.record)
            }
            continue
          }
          let identity = LineIdentity(webOrderID: order, lineNumber: line)
          guard let (deposit, remaining) = try session.heldDeposit(identity),
            deposit.status == .held, deposit.smartAccount == request.fromSmartAccount
          else {
            try reject(
              .unknownTransferSource,
              "no held deposit of web order \(order) line \(line) in '\(request.fromSmartAccount)'",
              order: order, line: line, record: request.record)
            continue
          }
          let transfer = Transfer(
            transferID: request.transferID, source: file.sender.name, fromSmartAccount: deposit.smartAccount,
            fromVirtualAccount: deposit.virtualAccount, webOrderID: order, lineNumber: line, sku: deposit.sku,
            quantity: quantity, toSmartAccount: request.toSmartAccount, toVirtualAccount: target,
            record: request.record)
          if let earlier = try session.transfer(source: file.sender.name, transferID: request.transferID) {
            if earlier.hasSameContent(as: transfer) {
              counts.duplicate += 1
            } else {
              try reject(
                .conflictingTransfer,
                "transfer id '\(request.transferID)' was used before for a different movement (\(earlier.quantity) of \(earlier.webOrderID)/\(earlier.lineNumber) to \(earlier.toSmartAccount))",
                order: order, line: line, record: request.record)
            }
            continue
          }
          guard quantity <= remaining else {
            try reject(
              .insufficientHeldQuantity,
              "only \(remaining) of web order \(order) line \(line) is still held; \(quantity) was asked",
              order: order, line: line, record: request.record)
            continue
          }
          try session.applyTransfer(transfer)
          counts.applied += 1
          counts.quantity += quantity
        }
      }
      guard reader.source.digest() == sha256 else {
        throw IngestError(
          .changedWhileReading, file: file.name,
          message: "the file changed while it was read; it will be taken when it is complete")
      }
      try session.finish(FileTotals(lines: counts.read, rejected: counts.rejected), sha256: sha256)
      if let report {
        try session.rejectsOfThisFile { try report.reject($0) }
      }
      return counts
    }
  }
}
