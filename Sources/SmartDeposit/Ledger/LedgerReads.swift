/// The reads that reports stream from the ledger, written once for every
/// backend over `LedgerCursors`: rows come in the order the SQL sorts them
/// in (bytewise on every backend), one at a time, so that a ledger of
/// millions of deposits is read in bounded memory.
extension Ledger {
  /// Every order line the ledger knows, deposited or rejected, optionally
  /// bounded by date (inclusive, YYYY-MM-DD), in identity order; a line
  /// whose held licenses were transferred carries those transfers.
  public func forEachReconciliationLine(
    since: String?, until: String?, _ body: (ReconciliationLine) throws -> Void
  ) throws {
    try withCursors("reading order lines") { cursors in
      let deposits = try cursors.open(LedgerQueries.reconciliationDepositsSQL(cursors), [since, until])
      let rejects = try cursors.open(LedgerQueries.reconciliationRejectsSQL(cursors), [since, until])
      let transfers = try cursors.open(LedgerQueries.transferTracesSQL(cursors), [])
      func deposit() throws -> (key: IdentityKey, line: ReconciliationLine)? {
        guard let row = try deposits.next() else { return nil }
        return (
          IdentityKey(order: try row.string(10), line: try row.string(11)),
          LedgerQueries.depositLine(
            webOrderID: try row.string(0), lineNumber: try row.string(1), sku: try row.string(2),
            smartAccount: try row.string(3), virtualAccount: try row.string(4), quantity: try row.int(5),
            status: try row.string(6), day: try row.string(7), source: try row.string(8), moved: try row.int(9))
        )
      }
      func reject() throws -> (key: IdentityKey, line: ReconciliationLine)? {
        guard let row = try rejects.next() else { return nil }
        return (
          IdentityKey(order: try row.string(9), line: try row.string(10)),
          LedgerQueries.rejectedLine(
            webOrderID: try row.string(0), lineNumber: try row.string(1), sku: try row.string(2),
            smartAccount: try row.string(3), quantity: try row.optionalInt(4), code: try row.string(5),
            day: try row.string(6), source: try row.string(7), virtualAccount: try row.string(8))
        )
      }
      var transfer = try transfers.next().map(Self.transferTrace)
      var nextDeposit = try deposit()
      var nextReject = try reject()
      // A deposit and a reject never share an identity (a reject is listed
      // only while its line was never deposited): the two merge by key.
      while nextDeposit != nil || nextReject != nil {
        if let current = nextDeposit, nextReject.map({ current.key < $0.key }) ?? true {
          var line = current.line
          if line.transferred > 0 {
            while let candidate = transfer, candidate.key < current.key {
              transfer = try transfers.next().map(Self.transferTrace)
            }
            while let candidate = transfer, candidate.key == current.key {
              line.transfers.append(candidate.trace)
              transfer = try transfers.next().map(Self.transferTrace)
            }
          }
          try body(line)
          nextDeposit = try deposit()
        } else if let current = nextReject {
          try body(current.line)
          nextReject = try reject()
        }
      }
    }
  }

  /// Every transfer, by the identity of the held line it moved, then as applied.
  public func forEachTransfer(_ body: (TransferTrace) throws -> Void) throws {
    try withCursors("reading transfers") { cursors in
      let rows = try cursors.open(LedgerQueries.transferTracesSQL(cursors), [])
      while let row = try rows.next() { try body(Self.transferTrace(row).trace) }
    }
  }

  /// Every deposit with licenses still held, oldest first, with its age on `asOf` (YYYY-MM-DD).
  public func forEachHeldLicense(asOf: String, _ body: (HeldLicenses) throws -> Void) throws {
    try withCursors("reading held licenses") { cursors in
      let rows = try cursors.open(LedgerQueries.heldLicensesSQL(cursors), [])
      while let row = try rows.next() {
        if let held = LedgerQueries.heldLicenses(
          smartAccount: try row.string(0), virtualAccount: try row.string(1), sku: try row.string(2),
          webOrderID: try row.string(3), lineNumber: try row.string(4), held: try row.int(5), day: try row.string(6),
          asOf: asOf)
        {
          try body(held)
        }
      }
    }
  }

  /// Balances per SA, VA and SKU, derived from the journal of movements, in account order.
  public func forEachBalance(_ body: (Balance) throws -> Void) throws {
    try withCursors("reading balances") { cursors in
      let rows = try cursors.open(LedgerQueries.balancesSQL(cursors), [])
      while let row = try rows.next() {
        try body(
          Balance(
            smartAccount: try row.string(0), virtualAccount: try row.string(1), sku: try row.string(2),
            available: try row.int(3), held: try row.int(4)))
      }
    }
  }

  /// Balances split by where their licenses came from; the rows of one
  /// SA/VA/SKU add up to its balance.
  public func forEachSourcedBalance(_ body: (SourcedBalance) throws -> Void) throws {
    try withCursors("reading balances by source") { cursors in
      let rows = try cursors.open(LedgerQueries.balancesBySourceSQL(collation: cursors.collation), [])
      while let row = try rows.next() {
        try body(
          SourcedBalance(
            smartAccount: try row.string(0), virtualAccount: try row.string(1), sku: try row.string(2),
            via: try row.string(3), fromSmartAccount: try row.string(4), source: try row.string(5),
            available: try row.int(6), held: try row.int(7)))
      }
    }
  }

  /// Every deposit the run's files made, file by file in record order, with the file's name.
  public func depositsOfRun(id: String, _ body: (_ file: String, Deposit) throws -> Void) throws {
    try withCursors("reading the deposits of run \(id)") { cursors in
      let rows = try cursors.open(
        LedgerQueries.depositsOfRunSQL(depositColumns: LedgerQueries.depositColumns, placeholder: cursors.placeholder),
        [id])
      while let row = try rows.next() { try body(try row.string(16), try LedgerQueries.deposit(row)) }
    }
  }

  /// Every reject of the run's files, file by file in record order.
  public func rejectsOfRun(id: String, _ body: (Reject) throws -> Void) throws {
    try withCursors("reading the rejects of run \(id)") { cursors in
      let rows = try cursors.open(LedgerQueries.rejectsOfRunSQL(placeholder: cursors.placeholder), [id])
      while let row = try rows.next() {
        try body(try LedgerQueries.reject(record: try row.int(1)) { try row.string($0) })
      }
    }
  }

  /// Balances per SA, VA and SKU, in account order.
  public func balances() throws -> [Balance] {
    var balances: [Balance] = []
    try forEachBalance { balances.append($0) }
    return balances
  }

  /// Every order line, in identity order (see `forEachReconciliationLine`).
  public func reconciliationLines(since: String?, until: String?) throws -> [ReconciliationLine] {
    var lines: [ReconciliationLine] = []
    try forEachReconciliationLine(since: since, until: until) { lines.append($0) }
    return lines
  }

  /// Every held deposit, oldest first.
  public func heldLicenses(asOf: String) throws -> [HeldLicenses] {
    var held: [HeldLicenses] = []
    try forEachHeldLicense(asOf: asOf) { held.append($0) }
    return held
  }

  /// Every transfer, by the line it moved.
  public func transferTraces() throws -> [TransferTrace] {
    var traces: [TransferTrace] = []
    try forEachTransfer { traces.append($0) }
    return traces
  }

  /// The balances split by source.
  public func balancesBySource() throws -> [SourcedBalance] {
    var balances: [SourcedBalance] = []
    try forEachSourcedBalance { balances.append($0) }
    return balances
  }

  private static func transferTrace(_ row: LedgerRow) throws -> (key: IdentityKey, trace: TransferTrace) {
    (
      IdentityKey(order: try row.string(12), line: try row.string(13)),
      LedgerQueries.transferTrace(
        transferID: try row.string(0), source: try row.string(1), fromSmartAccount: try row.string(2),
        fromVirtualAccount: try row.string(3), webOrderID: try row.string(4), lineNumber: try row.string(5),
        sku: try row.string(6), quantity: try row.int(7), toSmartAccount: try row.string(8),
        toVirtualAccount: try row.string(9), date: try row.string(10), file: try row.string(11))
    )
  }
}

/// A line's identity keys, ordered as the ledger's SQL orders them: bytewise.
struct IdentityKey: Equatable, Comparable {
  var order: String
  var line: String

  static func < (lhs: IdentityKey, rhs: IdentityKey) -> Bool {
    if lhs.order != rhs.order { return lhs.order.utf8.lexicographicallyPrecedes(rhs.order.utf8) }
    return lhs.line.utf8.lexicographicallyPrecedes(rhs.line.utf8)
  }
}
