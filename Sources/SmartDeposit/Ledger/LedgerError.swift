/// A ledger failure: the database could not be opened, read or written.
/// Nothing half-done is committed when one is thrown.
public struct LedgerError: Error, Sendable, CustomStringConvertible {
  public var path: String
  public var operation: String
  public var cause: String

  public init(path: String, operation: String, cause: String) {
    self.path = path
    self.operation = operation
    self.cause = cause
  }

  public var description: String { "ledger \(path): \(operation) failed: \(cause)" }
}
