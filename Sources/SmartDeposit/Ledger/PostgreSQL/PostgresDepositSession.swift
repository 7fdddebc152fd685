import NIOCore
import PostgresNIO

/// One file's transaction on the PostgreSQL ledger. A batch of deposits
/// is one COPY into `deposits`.
///
/// Sent ahead (`DepositPacing.ahead`), batches are written to one COPY that
/// stays open from batch to batch until another statement is needed
/// (`PostgresSession.stream`), and nothing waits for it: while the server
/// stores them, this side applies each batch and prepares the next one.
/// Should the key refuse a row, the error comes with a later call, and the
/// file is done again batch by batch.
///
/// Batch by batch, each COPY runs under a savepoint and is waited for; a
/// batch the key refuses is sent again as one `INSERT … SELECT FROM
/// unnest(…) ON CONFLICT DO NOTHING RETURNING`, plus one look-up of what the
/// ledger already holds for the rows it did not insert.
final class PostgresDepositSession: DepositSession {
  private let session: PostgresSession
  let fileID: Int64
  private let file: FileRecord
  private let sendsAhead: Bool
  /// Rejects not yet sent, as COPY rows: sent in one COPY once there are
  /// `rejectsPerCopy` of them, and before any call that reads them or ends
  /// the file. A COPY costs the server as much to start as a thousand rows
  /// cost it to store.
  private var unsentRejects = CopyText(capacity: 0)
  private var unsentRejectCount = 0
  static let rejectsPerCopy = 512

  /// The deposit key, as the server names it when it refuses a row.
  static let depositKey = "deposits_pkey"
  /// The key of processed files' content, as the server names it.
  static let fileContentKey = "files_processed_sha256"

  init(session: PostgresSession, fileID: Int64, file: FileRecord, sendsAhead: Bool) {
    self.session = session
    self.fileID = fileID
    self.file = file
    self.sendsAhead = sendsAhead
  }

  static let depositColumns = LedgerQueries.depositColumns

  static func deposit(_ row: PostgresRow) throws -> Deposit {
    let cells = row.makeRandomAccess()
    return Deposit(
      webOrderID: try cells.string(0), lineNumber: try cells.string(1), salesOrder: try cells.string(2),
      purchaseOrder: try cells.string(3), orderDate: try cells.string(4), sku: try cells.string(5),
      quantity: try cells.int(6), licenseType: LicenseType(rawValue: try cells.string(7)) ?? .perpetual,
      termMonths: try cells.optionalInt(8), startDate: try cells.optionalString(9),
      smartAccount: try cells.string(10), virtualAccount: try cells.string(11), endCustomer: try cells.string(12),
      status: DepositStatus(rawValue: try cells.string(13)) ?? .available, source: try cells.string(14),
      record: try cells.int(15))
  }

  func deposit(_ rows: DepositRows) throws -> [DepositOutcome] {
    guard !rows.isEmpty else { return [] }
    if sendsAhead {
      try session.stream(
        into: "deposits", columns: Self.copyColumns, data: Self.copyText(rows, fileID: fileID),
        operation: "depositing \(file.name)")
      return [DepositOutcome](repeating: .deposited, count: rows.count)
    }
    // Most batches are all new lines: one COPY, under a savepoint. Only
    // when the unique key refuses a row (a line met before, here or by
    // another runner) is the batch sent again, row by row against the key.
    // The savepoint's statements are sent without waiting for them.
    try session.send("SAVEPOINT batch", operation: "depositing \(file.name)")
    do {
      try session.copy(
        into: "deposits", columns: Self.copyColumns, data: Self.copyText(rows, fileID: fileID),
        operation: "depositing \(file.name)")
      try session.send("RELEASE SAVEPOINT batch", operation: "depositing \(file.name)")
      return [DepositOutcome](repeating: .deposited, count: rows.count)
    } catch let error as LedgerError where error.isUniqueViolation {
      try session.send("ROLLBACK TO SAVEPOINT batch", operation: "depositing \(file.name)")
      try session.send("RELEASE SAVEPOINT batch", operation: "depositing \(file.name)")
    }
    return try depositAgainstKey(rows)
  }

  /// The columns of a COPY of deposits, in `DepositField` order, then the numbers.
  static let copyColumns =
    [
      "web_order_id", "line_number", "sku", "license_type", "start_date", "smart_account", "virtual_account",
      "status", "source", "sales_order", "purchase_order", "order_date", "end_customer", "order_key", "line_key",
    ] + ["quantity", "term_months", "record", "file_id"]

  /// A batch as COPY rows, in `copyColumns` order.
  static func copyText(_ rows: DepositRows, fileID: Int64) -> NIOCore.ByteBuffer {
    let room = CopyRowWriter.room(
      textBytes: rows.bytes.count, rows: rows.count, fieldsPerRow: DepositField.allCases.count + 4)
    var buffer = ByteBufferAllocator().buffer(capacity: room)
    rows.bytes.withUnsafeBytes { bytes in
      buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: room) { out in
        var text = CopyRowWriter(out)
        for row in rows.rows {
          for field in DepositField.allCases {
            let range = DepositRows.range(field, in: row)
            // An empty start date is no start date, as the key-checked insert has it.
            if field == .startDate && range.isEmpty {
              text.noValue()
            } else {
              text.field(UnsafeRawBufferPointer(rebasing: bytes[range]))
            }
          }
          text.field(row.quantity)
          // A term is 1 to 120 months; 0 stands for none there too.
          if let term = row.termMonths, term != 0 { text.field(term) } else { text.noValue() }
          text.field(row.record)
          text.field(Int(fileID))
          text.endRow()
        }
        return text.count
      }
    }
    return buffer
  }

  /// A batch of which the key refused a row: each row inserted unless its
  /// identity is in the ledger, then what it met looked up.
  private func depositAgainstKey(_ rows: DepositRows) throws -> [DepositOutcome] {
    // The text fields in `copyColumns` order, then the numbers.
    let textFields = DepositField.allCases
    var texts = [[String]](repeating: [], count: textFields.count)
    for column in texts.indices { texts[column].reserveCapacity(rows.count) }
    var quantities: [Int] = []
    var terms: [Int] = []
    var records: [Int] = []
    quantities.reserveCapacity(rows.count)
    terms.reserveCapacity(rows.count)
    records.reserveCapacity(rows.count)
    for index in 0..<rows.count {
      for (column, field) in textFields.enumerated() { texts[column].append(rows.string(field, at: index)) }
      quantities.append(rows.quantity(at: index))
      // 0 stands for no term (a term is 1 to 120 months).
      terms.append(rows.termMonths(at: index) ?? 0)
      records.append(rows.record(at: index))
    }
    var binds = PostgresBindings()
    for column in texts { binds.append(column) }
    binds.append(quantities)
    binds.append(terms)
    binds.append(records)
    binds.append(Int(fileID))
    // Rows go in in file order, so that of two rows of one identity in a
    // batch the first is deposited and the second meets it; the identities
    // deposited come back in that order.
    let inserted = try session.query(
      Self.insertSQL,
      binds, operation: "depositing \(file.name)")
    var outcomes = [DepositOutcome](repeating: .deposited, count: rows.count)
    // Every row deposited: the common case, nothing to match.
    if inserted.count == rows.count { return outcomes }
    var insertedIdentities: Set<LineIdentity> = []
    for row in inserted {
      let cells = row.makeRandomAccess()
      insertedIdentities.insert(LineIdentity(orderKey: try cells.string(0), lineKey: try cells.string(1)))
    }
    // A row was deposited if its identity came back and no earlier row of the batch took it.
    var notInserted: [Int] = []
    for index in 0..<rows.count {
      if insertedIdentities.remove(rows.identity(at: index)) == nil { notInserted.append(index) }
    }
    guard !notInserted.isEmpty else { return outcomes }
    var lookup = PostgresBindings()
    lookup.append(notInserted.map { rows.string(.orderKey, at: $0) })
    lookup.append(notInserted.map { rows.string(.lineKey, at: $0) })
    var existing: [LineIdentity: Deposit] = [:]
    for row in try session.query(
      """
      SELECT \(Self.depositColumns), order_key, line_key FROM deposits
       WHERE twin = 0 AND (order_key, line_key) IN (SELECT * FROM unnest($1::text[], $2::text[]))
      """, lookup, operation: "depositing \(file.name)")
    {
      let cells = row.makeRandomAccess()
      existing[LineIdentity(orderKey: try cells.string(16), lineKey: try cells.string(17))] = try Self.deposit(row)
    }
    for index in notInserted {
      let deposit = rows.deposit(at: index)
      guard let stored = existing[rows.identity(at: index)] else { continue }
      outcomes[index] = stored.hasSameContent(as: deposit) ? .duplicate : .conflicting(existing: stored)
    }
    return outcomes
  }

  /// A batch's insert against the key, rows in file order.
  static let insertSQL = """
    INSERT INTO deposits(\(copyColumns.joined(separator: ", ")))
    SELECT w, l, s, lt, NULLIF(sd, ''), sa, va, st, so, sls, po, od, ec, ok, lk, q, NULLIF(tm, 0), r, $19
      FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                  $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[],
                  $16::bigint[], $17::bigint[], $18::bigint[])
           WITH ORDINALITY AS x(w, l, s, lt, sd, sa, va, st, so, sls, po, od, ec, ok, lk, q, tm, r, n)
     ORDER BY n
    ON CONFLICT (order_key, line_key, twin) DO NOTHING RETURNING order_key, line_key
    """

  func withdrawOrders(_ orderKeys: [String]) throws -> [Deposit] {
    var binds = PostgresBindings()
    binds.append(orderKeys)
    binds.append(Int(fileID))
    return try session.query(
      "DELETE FROM deposits WHERE order_key = ANY($1::text[]) AND file_id = $2 RETURNING \(Self.depositColumns)", binds,
      operation: "depositing \(file.name)"
    ).map(Self.deposit).sorted { $0.record < $1.record }
  }

  /// Rejects go in with the next COPY of rejects (see `unsentRejects`).
  func recordRejects(_ rejects: [Reject]) throws {
    guard !rejects.isEmpty else { return }
    for reject in rejects {
      let identity = LineIdentity(webOrderID: reject.webOrderID, lineNumber: reject.lineNumber)
      unsentRejects.field(file.runID)
      unsentRejects.field(Int(fileID))
      unsentRejects.field(reject.file)
      unsentRejects.field(reject.record)
      unsentRejects.field(reject.webOrderID)
      unsentRejects.field(reject.lineNumber)
      unsentRejects.field(reject.code.rawValue)
      unsentRejects.field(reject.message)
      unsentRejects.field(reject.sku)
      if let quantity = reject.quantity { unsentRejects.field(quantity) } else { unsentRejects.noValue() }
      unsentRejects.field(reject.written.smartAccount)
      unsentRejects.field(identity.order)
      unsentRejects.field(identity.line)
      unsentRejects.field(reject.written.quantity)
      unsentRejects.field(reject.written.virtualAccount)
      unsentRejects.field(reject.written.purchaseOrder)
      unsentRejects.field(reject.written.salesOrder)
      unsentRejects.field(reject.written.endCustomer)
      unsentRejects.field(reject.written.orderDate)
      unsentRejects.endRow()
    }
    unsentRejectCount += rejects.count
    if unsentRejectCount >= Self.rejectsPerCopy { try sendRejects() }
  }

  /// One COPY of the rejects not yet sent, not waited for: the next call
  /// that waits finds them in.
  private func sendRejects() throws {
    guard unsentRejectCount > 0 else { return }
    try session.copy(
      into: "rejects", columns: Self.rejectCopyColumns, data: unsentRejects.buffer, waits: false,
      operation: "recording rejects of \(file.name)")
    unsentRejects.removeAll()
    unsentRejectCount = 0
  }

  static let rejectCopyColumns = [
    "run_id", "file_id", "file", "record", "web_order_id", "line_number", "code", "message", "sku", "quantity",
    "smart_account", "order_key", "line_key", "quantity_written", "virtual_account", "purchase_order", "sales_order",
    "end_customer", "order_date",
  ]

  func rejectedOrders(among orderKeys: Set<String>) throws -> Set<String> {
    try sendRejects()
    var binds = PostgresBindings()
    binds.append(Int(fileID))
    binds.append(Array(orderKeys))
    var found: Set<String> = []
    for row in try session.query(
      "SELECT DISTINCT order_key FROM rejects WHERE file_id = $1 AND order_key = ANY($2::text[])", binds,
      operation: "depositing \(file.name)")
    {
      found.insert(try row.makeRandomAccess().string(0))
    }
    return found
  }

  /// The file's real hash is set last: a file of the same content that
  /// another runner committed meanwhile makes this a duplicate, and the
  /// whole transaction is rolled back.
  func finish(_ totals: FileTotals, sha256: String) throws {
    try sendRejects()
    var binds = PostgresBindings()
    binds.append(totals.lines)
    binds.append(totals.rejected)
    binds.append(sha256)
    binds.append(Int(fileID))
    binds.append(totals.deposited)
    binds.append(totals.heldQuantity)
    do {
      try session.query(
        "UPDATE files SET lines = $1, rejected = $2, sha256 = $3, deposited = $5, held_quantity = $6 WHERE id = $4",
        binds,
        operation: "recording \(file.name)")
    } catch let error as LedgerError where error.isUniqueViolation && error.constraint == Self.fileContentKey {
      throw DuplicateFileError(file: file.name)
    }
  }

  func heldDeposit(_ identity: LineIdentity) throws -> (deposit: Deposit, remaining: Int)? {
    var binds = PostgresBindings()
    binds.append(identity.order)
    binds.append(identity.line)
    guard
      let row = try session.query(
        "SELECT \(Self.depositColumns) FROM deposits WHERE order_key = $1 AND line_key = $2 AND twin = 0", binds,
        operation: "looking up a held deposit"
      ).first
    else { return nil }
    let deposit = try Self.deposit(row)
    guard deposit.status == .held else { return (deposit, 0) }
    let moved =
      try session.query(
        "SELECT COALESCE(SUM(quantity), 0)::bigint FROM transfers WHERE order_key = $1 AND line_key = $2", binds,
        operation: "looking up a held deposit"
      ).first?.makeRandomAccess().int(0) ?? 0
    return (deposit, deposit.quantity - moved)
  }

  func transfer(source: String, transferID: String) throws -> Transfer? {
    var binds = PostgresBindings()
    binds.append(source)
    binds.append(transferID)
    return try session.query(
      """
      SELECT transfer_id, source, from_smart_account, from_virtual_account, web_order_id, line_number, sku, quantity,
             to_smart_account, to_virtual_account, record
        FROM transfers WHERE source = $1 AND transfer_id = $2
      """, binds, operation: "looking up a transfer"
    ).first.map { row in
      let cells = row.makeRandomAccess()
      return Transfer(
        transferID: try cells.string(0), source: try cells.string(1), fromSmartAccount: try cells.string(2),
        fromVirtualAccount: try cells.string(3), webOrderID: try cells.string(4), lineNumber: try cells.string(5),
        sku: try cells.string(6), quantity: try cells.int(7), toSmartAccount: try cells.string(8),
        toVirtualAccount: try cells.string(9), record: try cells.int(10))
    }
  }

  func applyTransfer(_ transfer: Transfer) throws {
    var binds = PostgresBindings()
    binds.append(transfer.transferID)
    binds.append(transfer.source)
    binds.append(transfer.fromSmartAccount)
    binds.append(transfer.fromVirtualAccount)
    binds.append(transfer.webOrderID)
    binds.append(transfer.lineNumber)
    binds.append(LineIdentity.skuKey(transfer.sku))
    binds.append(transfer.quantity)
    binds.append(transfer.toSmartAccount)
    binds.append(transfer.toVirtualAccount)
    binds.append(Int(fileID))
    binds.append(file.runID)
    binds.append(transfer.record)
    binds.append(Timestamp.now())
    binds.append(transfer.identity.order)
    binds.append(transfer.identity.line)
    try session.query(
      """
      INSERT INTO transfers(transfer_id, source, from_smart_account, from_virtual_account, web_order_id, line_number,
        sku, quantity, to_smart_account, to_virtual_account, file_id, run_id, record, applied_at, order_key, line_key)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
      """, binds, operation: "applying a transfer")
  }

  func depositsOfThisFile(_ body: (Deposit) throws -> Void) throws {
    try forEachRow(
      "SELECT \(Self.depositColumns) FROM deposits WHERE file_id = \(fileID) ORDER BY record",
      operation: "reading the deposits of \(file.name)"
    ) { try body(try Self.deposit($0)) }
  }

  func rejectsOfThisFile(_ body: (Reject) throws -> Void) throws {
    try sendRejects()
    try forEachRow(
      "SELECT \(LedgerQueries.rejectColumns) FROM rejects WHERE file_id = \(fileID) ORDER BY record, id",
      operation: "reading the rejects of \(file.name)"
    ) { try body(try Self.reject($0)) }
  }

  /// The rows of `sql` (no parameters), 2,048 at a time through a cursor
  /// in the file's transaction: a file may have a million of them.
  private func forEachRow(_ sql: String, operation: String, _ body: (PostgresRow) throws -> Void) throws {
    let cursor = "smartdeposit_file_rows"
    // Should `body` throw, the file's transaction ends, and the cursor with it.
    try session.send("DECLARE \(cursor) NO SCROLL CURSOR FOR \(sql)", operation: operation)
    while true {
      let rows = try session.query("FETCH 2048 FROM \(cursor)", operation: operation)
      for row in rows { try body(row) }
      if rows.count < 2048 { break }
    }
    try session.send("CLOSE \(cursor)", operation: operation)
  }

  /// A reject from a row of `LedgerQueries.rejectColumns`.
  static func reject(_ row: PostgresRow) throws -> Reject {
    let cells = row.makeRandomAccess()
    return try LedgerQueries.reject(record: try cells.int(1)) { try cells.string($0) }
  }
}
