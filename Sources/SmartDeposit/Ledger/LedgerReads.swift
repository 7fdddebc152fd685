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
    var unsummed: BalanceGroups? = nil
    try scanOrderLines(since: since, until: until, groups: &unsummed) { try body(ReconciliationLine($0)) }
  }

  /// Every transfer, by the identity of the held line it moved, then as applied.
  public func forEachTransfer(_ body: (TransferTrace) throws -> Void) throws {
    try withCursors("reading transfers") { cursors in
      let rows = try cursors.open(LedgerQueries.transferTracesSQL(cursors), [])
      while let row = try rows.next() { try body(LedgerQueries.keyedTransferTrace(row).trace) }
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
    try readBalances().forEachBalance(body)
  }

  /// Balances split by where their licenses came from; the rows of one
  /// SA/VA/SKU add up to its balance.
  public func forEachSourcedBalance(_ body: (SourcedBalance) throws -> Void) throws {
    try readBalances().forEachSourcedBalance(body)
  }

  /// The balances, summed in one pass over the ledger, to list either way.
  public func readBalances() throws -> LedgerBalances { try readBalances(ages: nil) }

  /// The same, counting the held deposits by age on the way.
  func readBalances(ages: HeldAges?) throws -> LedgerBalances {
    var groups: BalanceGroups? = BalanceGroups()
    try scanOrderLines(since: nil, until: nil, groups: &groups, ages: ages, readsLines: false)
    return try LedgerBalances(ledger: self, groups: groups)
  }

  /// The balances as the database groups them: for a ledger with more
  /// distinct balances than `BalanceGroups` holds, and to check it.
  func forEachGroupedBalance(_ body: (Balance) throws -> Void) throws {
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

  /// The balances by source as the database groups them (see `forEachGroupedBalance`).
  func forEachGroupedSourcedBalance(_ body: (SourcedBalance) throws -> Void) throws {
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
}

/// The ledger's balances, summed once (`BalanceGroups`), listed per
/// account and per source; a ledger with more distinct balances than the
/// sums hold is grouped by the database instead, each time it is listed.
public final class LedgerBalances {
  private let ledger: Ledger
  private let groups: BalanceGroups?
  private let names: [String: String]

  /// The sums `groups` holds after a pass over the ledger (none, or not
  /// all of them: the database groups the balances).
  init(ledger: Ledger, groups: BalanceGroups?) throws {
    self.ledger = ledger
    self.groups = groups?.isComplete == true ? groups : nil
    names = self.groups == nil ? [:] : try ledger.virtualAccountNames()
  }

  /// Balances per SA, VA and SKU, in account order.
  public func forEachBalance(_ body: (Balance) throws -> Void) throws {
    if var groups {
      try groups.forEach(names: names, balance: body)
    } else {
      try ledger.forEachGroupedBalance(body)
    }
  }

  /// Balances by source, in account order, then by `via`, from SA and sender.
  public func forEachSourcedBalance(_ body: (SourcedBalance) throws -> Void) throws {
    if var groups {
      try groups.forEach(names: names, sourced: body)
    } else {
      try ledger.forEachGroupedSourcedBalance(body)
    }
  }
}
