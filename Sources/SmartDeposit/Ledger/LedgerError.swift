/// A ledger failure: the database could not be opened, read or written.
/// Nothing half-done is committed when one is thrown.
public struct LedgerError: Error, Sendable, CustomStringConvertible {
  public var path: String
  public var operation: String
  public var cause: String
  /// The server's SQLSTATE, where a database server gave one.
  public var sqlState: String?
  /// The constraint (or unique index) that refused a change, where the server named it.
  public var constraint: String?

  public init(path: String, operation: String, cause: String, sqlState: String? = nil, constraint: String? = nil) {
    self.path = path
    self.operation = operation
    self.cause = cause
    self.sqlState = sqlState
    self.constraint = constraint
  }

  /// Whether a unique constraint refused the change.
  public var isUniqueViolation: Bool { sqlState == "23505" }

  public var description: String { "ledger \(path): \(operation) failed: \(cause)" }
}
