import GRDB
import PostgresNIO

/// `smartdeposit ledger copy`: moves an embedded SQLite ledger, everything
/// in it (registry, runs, files, deposits, transfers, rejects, the files
/// each run saw), into an
/// empty PostgreSQL ledger, in one transaction: the copy is whole or not at all.
public enum LedgerCopy {
  /// A table, its columns, and the SQL type each column is cast to (nil: text).
  public struct Table: Sendable {
    public
      var name: String
    var columns: [(name: String, cast: String?)]
    /// Its id sequence, reset past the copied ids.
    var serial: Bool = false
  }

  public static let tables: [Table] = [
    Table(name: "accounts", columns: text("smart_account", "name", "type", "partner", "synced_at")),
    Table(name: "virtual_accounts", columns: text("smart_account", "name_key", "name")),
    Table(name: "registry_source", columns: numbers("id") + text("fingerprint", "problems", "synced_at")),
    Table(
      name: "runs",
      columns: text("id", "started_at", "finished_at", "status") + numbers("exit_code", "pid")
        + numbers("files_processed", "lines_deposited", "lines_rejected") + text("host")
        + numbers(
          "files_duplicate", "files_quarantined", "files_not_ready", "files_stale", "lines_read", "lines_held",
          "lines_duplicate") + text("cause")),
    Table(
      name: "files",
      columns: numbers("id") + text("sha256", "name", "format", "sender", "run_id", "outcome")
        + numbers("lines", "rejected") + text("reason") + numbers("size") + text("disposition", "recorded_at")
        + numbers("deposited", "held_quantity"),
      serial: true),
    Table(
      name: "deposits",
      columns: text("order_key", "line_key") + numbers("twin")
        + text("web_order_id", "line_number", "sku") + numbers("quantity") + text("license_type")
        + numbers("term_months") + text("start_date", "smart_account", "virtual_account", "status", "source")
        + numbers("file_id", "record") + text("sales_order", "purchase_order", "order_date", "end_customer")),
    Table(
      name: "transfers",
      columns: numbers("id")
        + text(
          "transfer_id", "source", "from_smart_account", "from_virtual_account", "web_order_id", "line_number",
          "order_key", "line_key", "sku") + numbers("quantity") + text("to_smart_account", "to_virtual_account")
        + numbers("file_id") + text("run_id") + numbers("record") + text("applied_at"),
      serial: true),
    Table(
      name: "rejects",
      columns: numbers("id") + text("run_id") + numbers("file_id")
        + text("file") + numbers("record")
        + text("web_order_id", "line_number", "order_key", "line_key", "code", "message", "sku") + numbers("quantity")
        + text(
          "smart_account", "virtual_account", "quantity_written", "purchase_order", "sales_order", "end_customer",
          "order_date"),
      serial: true),
    Table(
      name: "run_files",
      columns: numbers("id") + text("run_id", "name", "sha256", "format", "sender", "outcome", "reason")
        + [("age_hours", "double precision")],
      serial: true),
  ]

  private static func text(_ names: String...) -> [(name: String, cast: String?)] { names.map { ($0, nil) } }
  private static func numbers(_ names: String...) -> [(name: String, cast: String?)] { names.map { ($0, "bigint") } }

  /// Stands for NULL in the text arrays sent (a control character no
  /// ledger value holds; one that did would fail the copy, not pass as NULL
  /// in a NOT NULL column).
  static let null = "\u{1}"
  static let batchSize = 2000

  /// What was copied, per table.
  public struct Result: Sendable, Equatable {
    public var rows: [String: Int] = [:]
  }

  /// Copies `source` into the PostgreSQL ledger at `target`, which must be
  /// empty (created if it has no schema yet).
  public static func copy(from source: SQLiteLedger, to target: PostgresLocation) throws -> Result {
    let destination = try PostgresLedger(location: target, createSchema: true, dryRun: false) {}
    defer { destination.close() }
    return try destination.importing { session in
      for table in tables {
        let rows = try session.query(
          "SELECT EXISTS (SELECT 1 FROM \(table.name))", operation: "checking that the target ledger is empty")
        if try rows.first?.makeRandomAccess()[0].decode(Bool.self) == true {
          throw LedgerError(
            path: target.description, operation: "copying the ledger",
            cause: "the target ledger is not empty (table \(table.name) has rows); copy into a new database")
        }
      }
      var result = Result()
      for table in tables {
        result.rows[table.name] = try copy(table, from: source, into: session)
      }
      return result
    }
  }

  private static func copy(_ table: Table, from source: SQLiteLedger, into session: PostgresSession) throws -> Int {
    let names = table.columns.map(\.name)
    let placeholders = table.columns.indices.map { "$\($0 + 1)::text[]" }.joined(separator: ", ")
    let values = table.columns.enumerated().map { index, column in
      let value = "NULLIF(c\(index), chr(1))"
      return column.cast.map { "\(value)::\($0)" } ?? value
    }.joined(separator: ", ")
    let aliases = table.columns.indices.map { "c\($0)" }.joined(separator: ", ")
    let insert = """
      INSERT INTO \(table.name)(\(names.joined(separator: ", ")))
      SELECT \(values) FROM unnest(\(placeholders)) AS x(\(aliases))
      """
    var copied = 0
    var columns = [[String]](repeating: [], count: names.count)
    func flush() throws {
      guard !columns[0].isEmpty else { return }
      var binds = PostgresBindings()
      for column in columns { binds.append(column) }
      try session.query(insert, binds, operation: "copying \(table.name)")
      copied += columns[0].count
      for index in columns.indices { columns[index].removeAll(keepingCapacity: true) }
    }
    try source.readOnly("reading \(table.name)") { db in
      let cursor = try Row.fetchCursor(db, sql: "SELECT \(names.joined(separator: ", ")) FROM \(table.name)")
      while let row = try cursor.next() {
        for index in names.indices {
          let value = row[index] as DatabaseValue
          switch value.storage {
          case .null: columns[index].append(null)
          case .int64(let number): columns[index].append(String(number))
          case .double(let number): columns[index].append(String(number))
          case .string(let text): columns[index].append(text)
          case .blob(let data): columns[index].append(String(decoding: data, as: UTF8.self))
          }
        }
        if columns[0].count == batchSize { try flush() }
      }
      try flush()
    }
    if table.serial {
      try session.query(
        "SELECT setval(pg_get_serial_sequence('\(table.name)', 'id'), GREATEST(COALESCE(MAX(id), 0), 1)) FROM \(table.name)",
        operation: "copying \(table.name)")
    }
    return copied
  }
}
