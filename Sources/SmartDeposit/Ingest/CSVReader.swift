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
/// newline are accepted. Memory is bounded by the longest record.
///
/// Written by hand because it is on the per-line path of every CSV drop and
/// must report the exact line where each record starts.
public final class CSVReader {
  private let source: ByteSource
  private let maxFieldBytes: Int
  private var buffer: UnsafeMutableRawBufferPointer
  private var position = 0
  private var end = 0
  private var atEOF = false
  private var started = false
  /// The line the reader is on (1-based).
  private var line = 1
  private var pendingLineFeedSkip = false

  private static let bufferSize = 256 << 10

  public init(source: ByteSource, maxFieldBytes: Int) {
    self.source = source
    self.maxFieldBytes = maxFieldBytes
    buffer = .allocate(byteCount: Self.bufferSize, alignment: 16)
  }

  deinit { buffer.deallocate() }

  private func fill() throws(IngestError) -> Bool {
    if atEOF { return false }
    position = 0
    end = try source.read(into: buffer)
    if end == 0 { atEOF = true }
    return end > 0
  }

  private func checkStart() throws(IngestError) {
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

  /// The next record, or nil at the end of the file. Blank lines are skipped.
  public func next() throws(IngestError) -> CSVRecord? {
    if !started { try checkStart() }
    var fields: [String] = []
    fields.reserveCapacity(16)
    var field: [UInt8] = []
    field.reserveCapacity(64)
    var problem: String?
    var recordLine = line
    var inQuotes = false
    var quotedField = false
    var afterClosingQuote = false
    var recordHasContent = false
    var quoteStartLine = 0

    func finishField() {
      if let text = String(validating: field, as: UTF8.self) {
        if problem == nil, field.contains(0) { problem = "field \(fields.count + 1) holds a NUL byte" }
        fields.append(text)
      } else {
        if problem == nil { problem = "field \(fields.count + 1) is not valid UTF-8" }
        fields.append(String(decoding: field, as: UTF8.self))
      }
      field.removeAll(keepingCapacity: true)
      quotedField = false
      afterClosingQuote = false
    }

    while true {
      if position == end {
        guard try fill() else {
          // End of file.
          if inQuotes {
            finishField()
            return CSVRecord(
              fields: fields, line: recordLine,
              problem: "unterminated quote: the quoted field opened on line \(quoteStartLine) never closes")
          }
          if !recordHasContent { return nil }
          finishField()
          return CSVRecord(fields: fields, line: recordLine, problem: problem)
        }
      }
      let byte = buffer[position]
      position += 1
      if pendingLineFeedSkip {
        pendingLineFeedSkip = false
        if byte == 0x0A {
          line += 1
          if !recordHasContent { recordLine = line }
          continue
        }
      }
      if inQuotes {
        if byte == 0x22 {
          // Either the closing quote or the first of a doubled quote.
          if position == end { _ = try fill() }
          if position < end && buffer[position] == 0x22 {
            position += 1
            field.append(0x22)
          } else {
            inQuotes = false
            afterClosingQuote = true
          }
        } else {
          if byte == 0x0A { line += 1 }
          field.append(byte)
        }
        if field.count > maxFieldBytes { throw fieldTooLong(recordLine) }
        continue
      }
      switch byte {
      case 0x2C:  // ,
        recordHasContent = true
        finishField()
      case 0x0A, 0x0D:  // LF, CR
        if byte == 0x0A { line += 1 } else { pendingLineFeedSkip = true }
        if !recordHasContent && fields.isEmpty && field.isEmpty {
          recordLine = line
          continue
        }
        finishField()
        return CSVRecord(fields: fields, line: recordLine, problem: problem)
      case 0x22 where field.isEmpty && !quotedField && !afterClosingQuote:
        inQuotes = true
        quotedField = true
        recordHasContent = true
        quoteStartLine = line
      default:
        recordHasContent = true
        if afterClosingQuote, problem == nil {
          problem = "field \(fields.count + 1) has text after its closing quote"
        }
        field.append(byte)
        if field.count > maxFieldBytes { throw fieldTooLong(recordLine) }
      }
    }
  }

  private func fieldTooLong(_ recordLine: Int) -> IngestError {
    IngestError(
      .fieldTooLong, file: source.displayName, line: recordLine,
      message: "a field is longer than limits.max_field_bytes (\(maxFieldBytes) bytes)")
  }
}
