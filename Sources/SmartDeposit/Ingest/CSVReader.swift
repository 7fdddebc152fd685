/// One CSV record: its fields, the line where it starts, and what was wrong
/// with it if it could not be read cleanly.
public struct CSVRecord: Sendable, Equatable {
  public var fields: [String]
  /// The 1-based line in the file where the record starts.
  public var line: Int
  /// Set when the record is malformed (bad encoding, NUL byte, unterminated
  /// quote, stray text after a closing quote); its fields are then unreliable.
  public var problem: String?
}

/// A streaming RFC 4180 reader: quoted fields may hold commas, quotes and
/// newlines; a UTF-8 byte-order mark, CRLF line ends and a missing final
/// newline are accepted; values are trimmed of surrounding white space.
/// Memory is bounded by the longest record.
///
/// Written by hand because it is on the per-line path of every CSV drop and
/// must report the exact line where each record starts.
public final class CSVReader {
  // The scanning state is a struct so that the per-byte loop works on it
  // directly: as stored properties of a class, every access in that loop
  // went through a dynamic exclusivity check (about a tenth of a CSV bulk
  // load's CPU, perf, 1M lines).
  private var scanner: CSVScanner

  public init(source: ByteSource, maxFieldBytes: Int) {
    scanner = CSVScanner(source: source, maxFieldBytes: maxFieldBytes)
  }

  deinit { scanner.buffer.deallocate() }

  /// The next record, or nil at the end of the file. Blank lines are skipped.
  public func next() throws(IngestError) -> CSVRecord? {
    try scanner.next()
  }
}

/// The state and the loop of `CSVReader`.
struct CSVScanner {
  let source: ByteSource
  let maxFieldBytes: Int
  let buffer: UnsafeMutableRawBufferPointer
  private var position = 0
  private var end = 0
  private var atEOF = false
  private var started = false
  /// The line the reader is on (1-based).
  private var line = 1
  private var pendingLineFeedSkip = false

  private static let bufferSize = 256 << 10

  init(source: ByteSource, maxFieldBytes: Int) {
    self.source = source
    self.maxFieldBytes = maxFieldBytes
    buffer = .allocate(byteCount: Self.bufferSize, alignment: 16)
  }

  private mutating func fill() throws(IngestError) -> Bool {
    if atEOF { return false }
    position = 0
    end = try source.read(into: buffer)
    if end == 0 { atEOF = true }
    return end > 0
  }

  private mutating func checkStart() throws(IngestError) {
    started = true
    guard try fill() else { return }
    let bytes = UnsafeRawBufferPointer(buffer)
    if end >= 2, (bytes[0] == 0xFF && bytes[1] == 0xFE) || (bytes[0] == 0xFE && bytes[1] == 0xFF) {
      throw IngestError(
        .unsupportedEncoding, file: source.displayName, line: 1, column: 1,
        message: "the file is UTF-16 text; save the CSV as UTF-8 and drop it again")
    }
    if end >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { position = 3 }
  }

  /// The bytes of the record being read, fields one after another.
  private var recordBytes: [UInt8] = []
  /// Where each finished field ends in `recordBytes`.
  private var fieldEnds: [Int] = []

  mutating func next() throws(IngestError) -> CSVRecord? {
    if !started { try checkStart() }
    recordBytes.removeAll(keepingCapacity: true)
    fieldEnds.removeAll(keepingCapacity: true)
    var problem: String?
    var recordLine = line
    var inQuotes = false
    var quotedField = false
    var afterClosingQuote = false
    var recordHasContent = false
    var quoteStartLine = 0
    var fieldStart = 0

    func finishField() {
      fieldEnds.append(recordBytes.count)
      fieldStart = recordBytes.count
      quotedField = false
      afterClosingQuote = false
    }

    while true {
      if position == end {
        guard try fill() else {
          // End of file.
          if inQuotes {
            finishField()
            return record(
              line: recordLine,
              problem: "unterminated quote: the quoted field opened on line \(quoteStartLine) never closes")
          }
          if !recordHasContent { return nil }
          finishField()
          return record(line: recordLine, problem: problem)
        }
      }
      if pendingLineFeedSkip {
        pendingLineFeedSkip = false
        if buffer[position] == 0x0A {
          position += 1
          line += 1
          if !recordHasContent { recordLine = line }
          continue
        }
      }
      if !inQuotes && !afterClosingQuote {
        // Fast path: copy a run of ordinary bytes in one go.
        let start = position
        while position < end {
          let byte = buffer[position]
          if byte == 0x2C || byte == 0x0A || byte == 0x0D || byte == 0x22 { break }
          position += 1
        }
        if position > start {
          recordHasContent = true
          recordBytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[start..<position]))
          if recordBytes.count - fieldStart > maxFieldBytes { throw fieldTooLong(recordLine) }
          if position == end { continue }
        }
      }
      let byte = buffer[position]
      position += 1
      if inQuotes {
        if byte == 0x22 {
          // Either the closing quote or the first of a doubled quote.
          if position == end { _ = try fill() }
          if position < end && buffer[position] == 0x22 {
            position += 1
            recordBytes.append(0x22)
          } else {
            inQuotes = false
            afterClosingQuote = true
          }
        } else {
          if byte == 0x0A { line += 1 }
          recordBytes.append(byte)
        }
        if recordBytes.count - fieldStart > maxFieldBytes { throw fieldTooLong(recordLine) }
        continue
      }
      switch byte {
      case 0x2C:  // ,
        recordHasContent = true
        finishField()
      case 0x0A, 0x0D:  // LF, CR
        if byte == 0x0A { line += 1 } else { pendingLineFeedSkip = true }
        if !recordHasContent && fieldEnds.isEmpty && recordBytes.isEmpty {
          recordLine = line
          continue
        }
        finishField()
        return record(line: recordLine, problem: problem)
      case 0x22 where recordBytes.count == fieldStart && !quotedField && !afterClosingQuote:
        inQuotes = true
        quotedField = true
        recordHasContent = true
        quoteStartLine = line
      default:
        recordHasContent = true
        if afterClosingQuote, problem == nil {
          problem = "field \(fieldEnds.count + 1) has text after its closing quote"
        }
        recordBytes.append(byte)
        if recordBytes.count - fieldStart > maxFieldBytes { throw fieldTooLong(recordLine) }
      }
    }
  }

  /// Turns the collected bytes into a record, checking the encoding once for
  /// the whole record: ASCII needs no check, anything else is validated.
  private func record(line: Int, problem: String?) -> CSVRecord {
    var problem = problem
    var fields: [String] = []
    fields.reserveCapacity(fieldEnds.count)
    recordBytes.withUnsafeBufferPointer { bytes in
      var ascii = true
      var hasNUL = false
      for byte in bytes {
        if byte >= 0x80 { ascii = false }
        if byte == 0 { hasNUL = true }
      }
      if problem == nil && hasNUL { problem = "the row holds a NUL byte" }
      if problem == nil && !ascii && !UTF8Validation.isValid(bytes) { problem = "the row is not valid UTF-8" }
      var start = 0
      for fieldEnd in fieldEnds {
        // Values are trimmed of spaces, tabs and line ends around them.
        var low = start
        var high = fieldEnd
        while low < high, bytes[low] == 0x20 || bytes[low] == 0x09 || bytes[low] == 0x0A || bytes[low] == 0x0D {
          low += 1
        }
        while high > low,
          bytes[high - 1] == 0x20 || bytes[high - 1] == 0x09 || bytes[high - 1] == 0x0A || bytes[high - 1] == 0x0D
        {
          high -= 1
        }
        fields.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[low..<high]), as: UTF8.self))
        start = fieldEnd
      }
    }
    return CSVRecord(fields: fields, line: line, problem: problem)
  }

  private func fieldTooLong(_ recordLine: Int) -> IngestError {
    IngestError(
      .fieldTooLong, file: source.displayName, line: recordLine,
      message: "a field is longer than limits.max_field_bytes (\(maxFieldBytes) bytes)")
  }
}

/// A strict UTF-8 check (no overlong forms, no surrogates, nothing past U+10FFFF).
enum UTF8Validation {
  static func isValid(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    var index = 0
    let count = bytes.count
    while index < count {
      let lead = bytes[index]
      if lead < 0x80 {
        index += 1
        continue
      }
      let length: Int
      var minimum: UInt32
      var scalar: UInt32
      switch lead {
      case 0xC2...0xDF: length = 2; minimum = 0x80; scalar = UInt32(lead & 0x1F)
      case 0xE0...0xEF: length = 3; minimum = 0x800; scalar = UInt32(lead & 0x0F)
      case 0xF0...0xF4: length = 4; minimum = 0x10000; scalar = UInt32(lead & 0x07)
      default: return false
      }
      guard index + length <= count else { return false }
      for offset in 1..<length {
        let continuation = bytes[index + offset]
        guard continuation & 0xC0 == 0x80 else { return false }
        scalar = scalar << 6 | UInt32(continuation & 0x3F)
      }
      if scalar < minimum || scalar > 0x10FFFF || (0xD800...0xDFFF).contains(scalar) { return false }
      index += length
    }
    return true
  }
}
