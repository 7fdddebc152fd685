import CSmartDepositSystem
import GRDB

/// One order line as reconciliation sees it: what was ordered, deposited,
/// transferred on and is still held.
public struct ReconciliationLine: Sendable, Equatable, Codable {
  public var webOrderID: String
  public var lineNumber: String
  public var sku: String
  public var smartAccount: String
  public var virtualAccount: String
  public var ordered: Int
  public var deposited: Int
  public var transferred: Int
  public var held: Int
  /// `deposited`, `held`, `partially-transferred`, `transferred` or `rejected`.
  public var status: String
  /// The reject code, for a rejected line.
  public var reason: String
  /// UTC date (YYYY-MM-DD) of the deposit, or of the run that rejected the line.
  public var date: String
  public var source: String
  /// Where the line's held licenses went, transfer by transfer.
  public var transfers: [TransferTrace] = []

  enum CodingKeys: String, CodingKey {
    case webOrderID = "web_order_id"
    case lineNumber = "line_number"
    case sku
    case smartAccount = "smart_account"
    case virtualAccount = "virtual_account"
    case ordered, deposited, transferred, held, status, reason, date, source, transfers
  }
}

/// One transfer of held licenses: from which holding line to which
/// customer account, when, by whom and in which file.
public struct TransferTrace: Sendable, Equatable, Codable {
  public var transferID: String
  /// The partner that sent the transfer file.
  public var source: String
  public var fromSmartAccount: String
  public var fromVirtualAccount: String
  public var webOrderID: String
  public var lineNumber: String
  public var sku: String
  public var quantity: Int
  public var toSmartAccount: String
  public var toVirtualAccount: String
  /// UTC date (YYYY-MM-DD) it was applied.
  public var date: String
  public var file: String

  enum CodingKeys: String, CodingKey {
    case transferID = "transfer_id"
    case source
    case fromSmartAccount = "from_smart_account"
    case fromVirtualAccount = "from_virtual_account"
    case webOrderID = "web_order_id"
    case lineNumber = "line_number"
    case sku, quantity
    case toSmartAccount = "to_smart_account"
    case toVirtualAccount = "to_virtual_account"
    case date, file
  }
}

/// A balance split by where its licenses came from: deposited directly by a
/// sender (`via` `deposit`, `source` CCW or a partner), or transferred in
/// from a holding account (`via` `transfer`, `from_smart_account` and the
/// partner in `source`). The rows of one SA/VA/SKU add up to its balance.
public struct SourcedBalance: Sendable, Equatable, Codable {
  public var smartAccount: String
  public var virtualAccount: String
  public var sku: String
  public var via: String
  public var fromSmartAccount: String
  public var source: String
  public var available: Int
  public var held: Int

  enum CodingKeys: String, CodingKey {
    case smartAccount = "smart_account"
    case virtualAccount = "virtual_account"
    case sku, via
    case fromSmartAccount = "from_smart_account"
    case source, available, held
  }
}

/// Held licenses of one deposit, with their age.
public struct HeldLicenses: Sendable, Equatable, Codable {
  public var smartAccount: String
  public var virtualAccount: String
  public var sku: String
  public var webOrderID: String
  public var lineNumber: String
  public var held: Int
  public var depositedOn: String
  public var ageDays: Int

  enum CodingKeys: String, CodingKey {
    case smartAccount = "smart_account"
    case virtualAccount = "virtual_account"
    case sku
    case webOrderID = "web_order_id"
    case lineNumber = "line_number"
    case held
    case depositedOn = "deposited_on"
    case ageDays = "age_days"
  }
}

extension SQLiteLedger {
  public func withCursors<T>(_ operation: String, _ body: (LedgerCursors) throws -> T) throws -> T {
    try readOnly(operation) { db in
      let cursors = SQLiteCursors(db: db)
      // One snapshot for every cursor (inside a dry run, its own transaction).
      if db.isInsideTransaction { return try body(cursors) }
      var result: T?
      try db.inTransaction(.deferred) {
        result = try body(cursors)
        return .commit
      }
      guard let result else { throw LedgerError(path: path, operation: operation, cause: "no result") }
      return result
    }
  }
}

/// Cursors over one SQLite connection, inside one database access. Each
/// steps its statement through SQLite's C API and reads cells in place: a
/// GRDB `Row` per row, and a `String` per cell, were most of the time of a
/// report over millions of deposits.
struct SQLiteCursors: LedgerCursors {
  let db: Database

  func placeholder(_ n: Int) -> String { "?\(n)" }
  var collation: String { "" }

  func open(_ sql: String, _ arguments: [String?]) throws -> LedgerCursor {
    let statement = try db.makeStatement(sql: sql)
    try statement.setArguments(StatementArguments(arguments))
    return SQLiteCursor(statement, sql: sql)
  }
}

/// The rows of one statement; the cursor is its own current row.
final class SQLiteCursor: LedgerCursor, LedgerRow {
  private let statement: Statement
  private let handle: OpaquePointer
  /// The query's text, for an error message; read from SQLite when not
  /// given (GRDB's `Statement.sql` rebuilds it on every call).
  private let sql: String?
  private var done = false

  init(_ statement: Statement, sql: String? = nil) {
    self.statement = statement
    handle = statement.sqliteStatement
    self.sql = sql
  }

  deinit { sqlite3_reset(handle) }

  func next() throws -> LedgerRow? {
    guard !done else { return nil }
    switch sqlite3_step(handle) {
    case SQLITE_ROW:
      return self
    case SQLITE_DONE:
      done = true
      return nil
    case let code:
      done = true
      let message = String(cString: sqlite3_errmsg(sqlite3_db_handle(handle)))
      throw DatabaseError(
        resultCode: ResultCode(rawValue: code), message: message,
        sql: sql ?? sqlite3_sql(handle).map { String(cString: $0) })
    }
  }

  func bytes(_ index: Int) throws -> UnsafeRawBufferPointer {
    let column = Int32(index)
    // sqlite3_column_text before sqlite3_column_bytes: the length is then
    // of the UTF-8 text. The text stays in place until the next step.
    guard let text = sqlite3_column_text(handle, column) else { return UnsafeRawBufferPointer(start: nil, count: 0) }
    return UnsafeRawBufferPointer(start: text, count: Int(sqlite3_column_bytes(handle, column)))
  }

  func string(_ index: Int) throws -> String {
    String(decoding: try bytes(index), as: UTF8.self)
  }

  func optionalString(_ index: Int) throws -> String? {
    sqlite3_column_type(handle, Int32(index)) == SQLITE_NULL ? nil : try string(index)
  }

  func int(_ index: Int) throws -> Int { Int(sqlite3_column_int64(handle, Int32(index))) }

  func optionalInt(_ index: Int) throws -> Int? {
    sqlite3_column_type(handle, Int32(index)) == SQLITE_NULL ? nil : Int(sqlite3_column_int64(handle, Int32(index)))
  }
}
