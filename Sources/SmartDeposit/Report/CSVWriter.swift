import Foundation

/// Writes RFC 4180 CSV that is safe to open in a spreadsheet: a cell that
/// would start with `=`, `+`, `-`, `@`, tab or carriage return is prefixed
/// with `'` so that it is read as text, never as a formula.
public struct CSVFormatter: Sendable {
  public init() {}

  /// One cell, neutralised and quoted as needed.
  public static func cell(_ value: String) -> String {
    var text = value
    if let first = text.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) {
      text = "'" + text
    }
    if text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
      return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
    return text
  }

  /// One row, ending with CRLF as RFC 4180 writes it.
  public static func row(_ values: [String]) -> String {
    values.map(cell).joined(separator: ",") + "\r\n"
  }
}

/// A buffered writer of one output file; flushes in large blocks.
public final class BufferedFileWriter {
  public let path: String
  private let handle: FileHandle
  private var buffer = Data()

  public init(path: String) throws {
    guard FileManager.default.createFile(atPath: path, contents: nil) else {
      throw ReportError(path: path, cause: "cannot create the file (\(String(cString: strerror(errno))))")
    }
    guard let handle = FileHandle(forWritingAtPath: path) else {
      throw ReportError(path: path, cause: "cannot open the file for writing")
    }
    self.path = path
    self.handle = handle
    buffer.reserveCapacity(1 << 20)
  }

  public func write(_ text: String) throws {
    buffer.append(contentsOf: text.utf8)
    if buffer.count >= 1 << 20 { try flush() }
  }

  public func flush() throws {
    guard !buffer.isEmpty else { return }
    do {
      try handle.write(contentsOf: buffer)
    } catch {
      throw ReportError(path: path, cause: "write failed: \(error.localizedDescription)")
    }
    buffer.removeAll(keepingCapacity: true)
  }

  /// Flushes, syncs to disk and closes.
  public func close() throws {
    try flush()
    do {
      try handle.synchronize()
      try handle.close()
    } catch {
      throw ReportError(path: path, cause: "sync failed: \(error.localizedDescription)")
    }
  }
}

/// A report could not be written.
public struct ReportError: Error, Sendable, CustomStringConvertible {
  public var path: String
  public var cause: String

  public init(path: String, cause: String) {
    self.path = path
    self.cause = cause
  }

  public var description: String { "report \(path): \(cause)" }
}
