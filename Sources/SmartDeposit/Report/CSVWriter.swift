import Foundation

/// Writes RFC 4180 CSV that is safe to open in a spreadsheet: a cell that
/// would start with `=`, `+`, `-`, `@`, tab or carriage return is prefixed
/// with `'` so that it is read as text, never as a formula.
///
/// Cells are encoded byte by byte: the deposit report writes one row per
/// deposited line, and a `Character`-based version cost about a fifth of a
/// CSV bulk load's CPU (perf, 1M lines).
public enum CSVFormatter {
  /// Appends one cell, neutralised and quoted as needed.
  public static func appendCell(_ value: String, to output: inout [UInt8]) {
    var value = value
    value.withUTF8 { bytes in
      var needsQuotes = false
      for byte in bytes where byte == 0x2C || byte == 0x22 || byte == 0x0A || byte == 0x0D {
        needsQuotes = true
        break
      }
      if needsQuotes { output.append(0x22) }
      if let first = bytes.first,
        first == 0x3D || first == 0x2B || first == 0x2D || first == 0x40 || first == 0x09 || first == 0x0D
      {
        output.append(0x27)
      }
      if needsQuotes {
        for byte in bytes {
          if byte == 0x22 { output.append(0x22) }
          output.append(byte)
        }
        output.append(0x22)
      } else {
        output.append(contentsOf: bytes)
      }
    }
  }

  /// Appends one row, ending with CRLF as RFC 4180 writes it.
  public static func appendRow(_ values: [String], to output: inout [UInt8]) {
    for (index, value) in values.enumerated() {
      if index > 0 { output.append(0x2C) }
      appendCell(value, to: &output)
    }
    output.append(0x0D)
    output.append(0x0A)
  }

  /// One cell as text.
  public static func cell(_ value: String) -> String {
    var bytes: [UInt8] = []
    appendCell(value, to: &bytes)
    return String(decoding: bytes, as: UTF8.self)
  }

  /// One row as text, with its CRLF.
  public static func row(_ values: [String]) -> String {
    var bytes: [UInt8] = []
    appendRow(values, to: &bytes)
    return String(decoding: bytes, as: UTF8.self)
  }
}

/// A buffered writer of one output file; flushes in large blocks.
public final class BufferedFileWriter {
  public let path: String
  private let handle: FileHandle
  private var buffer: [UInt8] = []
  /// Bytes already handed to the file.
  private var flushed: UInt64 = 0

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

  public func write(bytes: [UInt8]) throws {
    buffer.append(contentsOf: bytes)
    if buffer.count >= 1 << 20 { try flush() }
  }

  /// The length of everything written so far.
  public var offset: UInt64 { flushed + UInt64(buffer.count) }

  /// Forgets everything written after `offset`.
  public func truncate(to offset: UInt64) throws {
    if offset >= flushed {
      buffer.removeLast(buffer.count - Int(offset - flushed))
      return
    }
    buffer.removeAll(keepingCapacity: true)
    do {
      try handle.truncate(atOffset: offset)
      try handle.seek(toOffset: offset)
    } catch {
      throw ReportError(path: path, cause: "truncate failed: \(error.localizedDescription)")
    }
    flushed = offset
  }

  public func flush() throws {
    guard !buffer.isEmpty else { return }
    do {
      try handle.write(contentsOf: buffer)
    } catch {
      throw ReportError(path: path, cause: "write failed: \(error.localizedDescription)")
    }
    flushed += UInt64(buffer.count)
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
