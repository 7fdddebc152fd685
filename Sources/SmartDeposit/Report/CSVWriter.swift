import CSmartDepositSystem
import Foundation

/// Writes RFC 4180 CSV that is safe to open in a spreadsheet: a cell that
/// would start with `=`, `+`, `-`, `@`, tab or carriage return is prefixed
/// with `'` so that it is read as text, never as a formula, except a plain
/// number (`-2`, `-3.5`), which stays a number a spreadsheet can add up.
///
/// Cells are encoded byte by byte: the deposit report writes one row per
/// deposited line, and a `Character`-based version cost about a fifth of a
/// CSV bulk load's CPU (perf, 1M lines).
public enum CSVFormatter {
  /// Appends one cell, neutralised and quoted as needed.
  public static func appendCell(_ value: String, to output: inout [UInt8]) { writeCell(value, to: &output) }

  /// Appends one cell from its UTF-8 bytes, neutralised and quoted as needed.
  public static func appendCell(bytes raw: UnsafeRawBufferPointer, to output: inout [UInt8]) {
    writeCell(bytes: raw, to: &output)
  }

  static func writeCell<Output: CSVOutput>(_ value: String, to output: inout Output) {
    var value = value
    value.withUTF8 { writeCell(bytes: UnsafeRawBufferPointer($0), to: &output) }
  }

  static func writeCell<Output: CSVOutput>(bytes raw: UnsafeRawBufferPointer, to output: inout Output) {
    let bytes = raw.assumingMemoryBound(to: UInt8.self)
    let needsQuotes =
      raw.baseAddress.map { CSVBytes.special(in: $0, from: 0, to: raw.count, delimiter: 0x2C) < raw.count }
      ?? false
    if needsQuotes { output.append(0x22) }
    if let first = bytes.first,
      first == 0x3D || first == 0x2B || first == 0x2D || first == 0x40 || first == 0x09 || first == 0x0D,
      !isPlainNumber(bytes)
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
      output.appendBytes(bytes)
    }
  }

  /// Whether the bytes are a plain decimal number: an optional `-`, digits,
  /// and optionally `.` and more digits. Nothing else a spreadsheet could run.
  static func isPlainNumber(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    var index = bytes.startIndex
    if index < bytes.endIndex, bytes[index] == 0x2D { index += 1 }
    func digits() -> Int {
      let start = index
      while index < bytes.endIndex, bytes[index] >= 0x30, bytes[index] <= 0x39 { index += 1 }
      return index - start
    }
    guard digits() > 0 else { return false }
    if index < bytes.endIndex, bytes[index] == 0x2E {
      index += 1
      guard digits() > 0 else { return false }
    }
    return index == bytes.endIndex
  }

  /// Appends a whole number (a negative one too: a plain number is never neutralised).
  public static func appendNumber(_ value: Int, to output: inout [UInt8]) { writeNumber(value, to: &output) }

  static func writeNumber<Output: CSVOutput>(_ value: Int, to output: inout Output) {
    if value < 0 {
      writeCell(String(value), to: &output)
      return
    }
    if value < 10 {
      output.append(0x30 + UInt8(value))
      return
    }
    var digits:
      (
        UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
        UInt8, UInt8, UInt8, UInt8
      ) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    var count = 0
    var rest = value
    withUnsafeMutableBytes(of: &digits) { buffer in
      while rest > 0 {
        buffer[count] = 0x30 + UInt8(rest % 10)
        rest /= 10
        count += 1
      }
      for index in stride(from: count - 1, through: 0, by: -1) { output.append(buffer[index]) }
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

/// Where CSV bytes go: a growing array, or the fixed space a row is first
/// written into (`RowScratch`).
protocol CSVOutput {
  mutating func append(_ byte: UInt8)
  mutating func appendBytes(_ bytes: UnsafeBufferPointer<UInt8>)
}

extension Array: CSVOutput where Element == UInt8 {
  mutating func appendBytes(_ bytes: UnsafeBufferPointer<UInt8>) { append(contentsOf: bytes) }
}

extension RowScratch: CSVOutput {}

/// A buffered writer of one output file; flushes in large blocks straight
/// to the file descriptor.
public final class BufferedFileWriter {
  public let path: String
  private let descriptor: Int32
  private var buffer: [UInt8] = []
  /// Bytes already handed to the file.
  private var flushed: UInt64 = 0
  private var closed = false
  /// Whether `close` syncs to disk (not a pipe's or a terminal's standard output).
  private let syncsOnClose: Bool
  /// The thread that writes full blocks, if the writer has one.
  private var behind: WriteBehind?

  /// Writes `path`; with `writesBehind`, full blocks are written to the
  /// file by a thread of its own while the next block fills (a report of
  /// hundreds of MiB otherwise spends a tenth of its time copying blocks
  /// into the kernel). Such a writer cannot `truncate`.
  public convenience init(path: String, writesBehind: Bool) throws {
    try self.init(path: path)
    if writesBehind { behind = WriteBehind(descriptor: descriptor, path: path) }
  }

  public init(path: String) throws {
    self.path = path
    descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else {
      throw ReportError(path: path, cause: "cannot create the file (\(String(cString: strerror(errno))))")
    }
    syncsOnClose = true
    buffer.reserveCapacity(Self.bufferSize + Self.headroom)
  }

  /// Writes to standard output, in the same large blocks.
  public init(standardOutput: Void) throws {
    path = "standard output"
    descriptor = dup(STDOUT_FILENO)
    guard descriptor >= 0 else {
      throw ReportError(path: path, cause: "cannot write (\(String(cString: strerror(errno))))")
    }
    syncsOnClose = false
    buffer.reserveCapacity(Self.bufferSize + Self.headroom)
  }

  deinit {
    guard !closed else { return }
    // Its thread ends before the file is closed under it.
    try? behind?.finish()
    Foundation.close(descriptor)
  }

  /// The buffer's size: it is flushed before it would grow past it.
  static let bufferSize = 1 << 20
  /// Room beyond `bufferSize` for the row `append` writes last (a row
  /// longer than that grows the buffer once).
  static let headroom = 64 << 10

  public func write(_ text: String) throws {
    var text = text
    try text.withUTF8 { try write(bytes: UnsafeRawBufferPointer($0)) }
  }

  public func write(bytes: UnsafeRawBufferPointer) throws {
    if buffer.count + bytes.count > Self.bufferSize && !buffer.isEmpty { try flush() }
    buffer.append(contentsOf: bytes)
    if buffer.count >= Self.bufferSize { try flush() }
  }

  /// Appends to the buffer in place (a row at a time, never more than a
  /// few KiB), flushing once it is full.
  public func append(_ body: (inout [UInt8]) throws -> Void) throws {
    try body(&buffer)
    if buffer.count >= Self.bufferSize { try flush() }
  }

  /// The length of everything written so far.
  public var offset: UInt64 { flushed + UInt64(buffer.count) }

  /// Forgets everything written after `offset`.
  public func truncate(to offset: UInt64) throws {
    precondition(behind == nil, "a writer that writes behind cannot truncate")
    if offset >= flushed {
      buffer.removeLast(buffer.count - Int(offset - flushed))
      return
    }
    buffer.removeAll(keepingCapacity: true)
    guard ftruncate(descriptor, off_t(offset)) == 0, lseek(descriptor, off_t(offset), SEEK_SET) >= 0 else {
      throw ReportError(path: path, cause: "truncate failed: \(String(cString: strerror(errno)))")
    }
    flushed = offset
  }

  public func flush() throws {
    guard !buffer.isEmpty else { return }
    if let behind {
      buffer = try behind.hand(buffer, at: flushed)
      flushed = behind.handed
      return
    }
    try buffer.withUnsafeBytes { bytes in
      var done = 0
      while done < bytes.count {
        let count = Foundation.write(descriptor, bytes.baseAddress?.advanced(by: done), bytes.count - done)
        if count < 0 {
          if errno == EINTR { continue }
          throw ReportError(path: path, cause: "write failed: \(String(cString: strerror(errno)))")
        }
        done += count
      }
    }
    // The block goes to disk while the run goes on; the fsync that makes
    // the report durable at the end then has little left to write.
    _ = csystem_start_writeback(descriptor, Int64(flushed), Int64(buffer.count))
    flushed += UInt64(buffer.count)
    buffer.removeAll(keepingCapacity: true)
  }

  /// Flushes, syncs to disk and closes.
  public func close() throws {
    try flush()
    try behind?.finish()
    guard !syncsOnClose || fsync(descriptor) == 0 else {
      throw ReportError(path: path, cause: "sync failed: \(String(cString: strerror(errno)))")
    }
    closed = true
    guard Foundation.close(descriptor) == 0 else {
      throw ReportError(path: path, cause: "close failed: \(String(cString: strerror(errno)))")
    }
  }
}

/// The thread of a `BufferedFileWriter` that writes behind: it takes full
/// blocks and writes them in order, handing the emptied buffers back.
///
/// `@unchecked Sendable`: the queues are thread-safe; `failure` is set by
/// the thread before it hands a buffer back or ends, and read by the
/// owner after taking that buffer or waiting for the end.
private final class WriteBehind: @unchecked Sendable {
  private let descriptor: Int32
  private let path: String
  private let blocks = BlockingQueue<(bytes: [UInt8], offset: UInt64)>(capacity: 2)
  private let emptied = BlockingQueue<[UInt8]>(capacity: 4)
  private let done = DispatchGroup()
  private let lock = NSLock()
  private var failure: ReportError?
  /// Bytes handed to the thread so far.
  private(set) var handed: UInt64 = 0

  init(descriptor: Int32, path: String) {
    self.descriptor = descriptor
    self.path = path
    // One block filling while one is written: double buffering.
    var spare: [UInt8] = []
    spare.reserveCapacity(BufferedFileWriter.bufferSize + BufferedFileWriter.headroom)
    emptied.put(spare)
    done.enter()
    StageThreads.shared.run { [self] in
      while let block = blocks.take() {
        if error == nil { write(block.bytes, at: block.offset) }
        var bytes = block.bytes
        bytes.removeAll(keepingCapacity: true)
        emptied.put(bytes)
      }
      done.leave()
    }
  }

  private var error: ReportError? {
    lock.lock()
    defer { lock.unlock() }
    return failure
  }

  private func write(_ bytes: [UInt8], at offset: UInt64) {
    bytes.withUnsafeBytes { bytes in
      var done = 0
      while done < bytes.count {
        let count = Foundation.write(descriptor, bytes.baseAddress?.advanced(by: done), bytes.count - done)
        if count < 0 {
          if errno == EINTR { continue }
          let cause = "write failed: \(String(cString: strerror(errno)))"
          lock.lock()
          failure = ReportError(path: path, cause: cause)
          lock.unlock()
          return
        }
        done += count
      }
    }
    _ = csystem_start_writeback(descriptor, Int64(offset), Int64(bytes.count))
  }

  /// Hands a full block over; returns an empty buffer to fill next.
  func hand(_ block: [UInt8], at offset: UInt64) throws -> [UInt8] {
    handed = offset + UInt64(block.count)
    blocks.put((block, offset))
    let next = emptied.take() ?? []
    if let error { throw error }
    return next
  }

  /// Waits until every block handed over is written.
  func finish() throws {
    blocks.close()
    done.wait()
    if let error { throw error }
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
