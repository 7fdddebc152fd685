/// Why a whole input file was refused (quarantined). Nothing from such a file
/// is deposited.
public struct IngestError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The kind of problem, stable for scripts and tests.
  public enum Cause: String, Sendable, Equatable, Codable {
    case unreadable = "unreadable"
    case notRegularFile = "not-a-regular-file"
    case invalidGzip = "invalid-gzip"
    case notWellFormed = "not-well-formed"
    case doctype = "doctype-forbidden"
    case xinclude = "xinclude-forbidden"
    case unknownRoot = "unknown-root"
    case missingColumns = "missing-columns"
    case duplicateColumns = "duplicate-columns"
    case emptyFile = "empty-file"
    case unsupportedEncoding = "unsupported-encoding"
    case tooLarge = "file-too-large"
    case tooDeep = "nesting-too-deep"
    case fieldTooLong = "field-too-long"
    case changedWhileReading = "changed-while-reading"
    case invalidWorkbook = "invalid-workbook"
  }

  public var cause: Cause
  public var file: String
  /// 1-based line, 0 when unknown.
  public var line: Int
  /// 1-based column, 0 when unknown.
  public var column: Int
  public var message: String

  public init(_ cause: Cause, file: String, line: Int = 0, column: Int = 0, message: String) {
    self.cause = cause
    self.file = file
    self.line = line
    self.column = column
    self.message = message
  }

  public var description: String {
    var location = file
    if line > 0 { location += ":\(line)" }
    if column > 0 { location += ":\(column)" }
    return "\(location): \(cause.rawValue): \(message)"
  }
}
