/// Reading a query's rows one at a time, whatever the backend: what a
/// report of a ledger of millions of rows is made from, in bounded memory.
/// The SQL is written once (`LedgerQueries`); a backend spells its
/// parameters and its text order, runs the query and decodes cells.
public protocol LedgerCursors {
  /// Spells parameter `n` (1-based) of the query being opened.
  func placeholder(_ n: Int) -> String
  /// What follows a text expression in `ORDER BY` so that every backend
  /// orders text the same way (bytewise).
  var collation: String { get }
  /// Opens a cursor over `sql`, whose parameters are `arguments` in order.
  func open(_ sql: String, _ arguments: [String?]) throws -> LedgerCursor
}

/// Rows of one query, in its order.
public protocol LedgerCursor: AnyObject {
  /// The next row, valid until the cursor moves again.
  func next() throws -> LedgerRow?
}

/// One row's cells, by position.
public protocol LedgerRow {
  func string(_ index: Int) throws -> String
  func optionalString(_ index: Int) throws -> String?
  func int(_ index: Int) throws -> Int
  func optionalInt(_ index: Int) throws -> Int?
  /// The cell's text as UTF-8 bytes, read in place (empty for NULL),
  /// valid until the cursor moves: what a report of millions of rows reads
  /// instead of making a `String` of every cell.
  func bytes(_ index: Int) throws -> UnsafeRawBufferPointer
}
