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

/// A streaming RFC 4180 reader: quoted fields may hold delimiters, quotes
/// and newlines; a UTF-8 byte-order mark, CRLF line ends and a missing final
/// newline are accepted; values are trimmed of surrounding white space.
/// Memory is bounded by the longest record.
///
/// The dialect is the file's own (SPEC §9): the delimiter (comma, semicolon
/// or tab) is the one the header line uses most, and the text is UTF-8
/// unless the first 64 KiB hold bytes that are not UTF-8 (and no NUL, and no
/// UTF-8 byte-order mark): then the whole file is Windows-1252, decoded as
/// the WHATWG Encoding Standard does.
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

  /// The dialect found at the start of the file (known once `next()` was called).
  public var dialect: CSVDialect { scanner.dialect }

  /// The next record, or nil at the end of the file. Blank lines are skipped.
  public func next() throws(IngestError) -> CSVRecord? {
    try scanner.next()
  }
}

/// How a CSV file is written: its delimiter and its text encoding.
public struct CSVDialect: Sendable, Equatable {
  public enum Encoding: String, Sendable { case utf8 = "UTF-8", windows1252 = "Windows-1252" }
  public var delimiter: UInt8 = 0x2C
  public var encoding = Encoding.utf8

  /// How much of the file's start decides its encoding.
  static let sniffBytes = 64 << 10

  /// The delimiter the header line uses most, outside quotes: comma, semicolon
  /// or tab, comma on a tie (a one-column header has none).
  static func delimiter(ofHeaderIn bytes: UnsafeRawBufferPointer) -> UInt8 {
    var commas = 0
    var semicolons = 0
    var tabs = 0
    var inQuotes = false
    for byte in bytes {
      if byte == 0x22 {
        inQuotes.toggle()
        continue
      }
      if inQuotes { continue }
      switch byte {
      case 0x0A, 0x0D: return choose(commas, semicolons, tabs)
      case 0x2C: commas += 1
      case 0x3B: semicolons += 1
      case 0x09: tabs += 1
      default: break
      }
    }
    return choose(commas, semicolons, tabs)
  }

  private static func choose(_ commas: Int, _ semicolons: Int, _ tabs: Int) -> UInt8 {
    if semicolons > commas && semicolons >= tabs { return 0x3B }
    if tabs > commas && tabs > semicolons { return 0x09 }
    return 0x2C
  }

  /// The encoding of a file whose first bytes are `head` (without a BOM):
  /// Windows-1252 when they are not UTF-8 and hold no NUL. `complete` says
  /// the file ends within `head`; otherwise a sequence cut at its end is fine.
  static func encoding(ofHead head: UnsafeBufferPointer<UInt8>, complete: Bool) -> Encoding {
    if head.contains(0) { return .utf8 }
    if UTF8Validation.isValid(head) { return .utf8 }
    if !complete {
      // The 64 KiB may end inside a character: drop an unfinished last one.
      for cut in 1...3 where head.count > cut {
        let lead = head[head.count - cut]
        if lead & 0xC0 == 0xC0 {
          if UTF8Validation.isValid(UnsafeBufferPointer(rebasing: head[0..<(head.count - cut)])) { return .utf8 }
          break
        }
        if lead & 0xC0 != 0x80 { break }
      }
    }
    return .windows1252
  }
}

/// Windows-1252 as the WHATWG Encoding Standard decodes it: bytes 0x80–0x9F
/// are the typographic characters of the code page (the five it leaves
/// undefined stay C1 controls), every other byte is its Latin-1 character.
enum Windows1252 {
  static let high: [Unicode.Scalar] = [
    "\u{20AC}", "\u{0081}", "\u{201A}", "\u{0192}", "\u{201E}", "\u{2026}", "\u{2020}", "\u{2021}",
    "\u{02C6}", "\u{2030}", "\u{0160}", "\u{2039}", "\u{0152}", "\u{008D}", "\u{017D}", "\u{008F}",
    "\u{0090}", "\u{2018}", "\u{2019}", "\u{201C}", "\u{201D}", "\u{2022}", "\u{2013}", "\u{2014}",
    "\u{02DC}", "\u{2122}", "\u{0161}", "\u{203A}", "\u{0153}", "\u{009D}", "\u{017E}", "\u{0178}",
  ]

  static func decode(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
    var scalars = String.UnicodeScalarView()
    for byte in bytes {
      if byte >= 0x80 && byte < 0xA0 {
        scalars.append(high[Int(byte - 0x80)])
      } else {
        scalars.append(Unicode.Scalar(byte))
      }
    }
    return String(scalars)
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
  private(set) var dialect = CSVDialect()
  private var delimiter: UInt8 = 0x2C

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

  /// Reads the file's first 64 KiB (or all of it) and decides its dialect.
  private mutating func checkStart() throws(IngestError) {
    started = true
    guard try fill() else { return }
    while end < CSVDialect.sniffBytes {
      let count = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[end...]))
      if count == 0 {
        atEOF = true
        break
      }
      end += count
    }
    let bytes = UnsafeRawBufferPointer(buffer)
    if end >= 2, (bytes[0] == 0xFF && bytes[1] == 0xFE) || (bytes[0] == 0xFE && bytes[1] == 0xFF) {
      throw IngestError(
        .unsupportedEncoding, file: source.displayName, line: 1, column: 1,
        message: "the file is UTF-16 text; save the CSV as UTF-8 and drop it again")
    }
    if end >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF {
      position = 3
    } else {
      let head = UnsafeBufferPointer(
        start: buffer.baseAddress?.assumingMemoryBound(to: UInt8.self), count: min(end, CSVDialect.sniffBytes))
      dialect.encoding = CSVDialect.encoding(ofHead: head, complete: atEOF && end <= CSVDialect.sniffBytes)
    }
    dialect.delimiter = CSVDialect.delimiter(ofHeaderIn: UnsafeRawBufferPointer(rebasing: bytes[position..<end]))
    delimiter = dialect.delimiter
  }

  /// The bytes of the record being read, fields one after another.
  private var recordBytes: [UInt8] = []
  /// Where each finished field ends in `recordBytes`.
  private var fieldEnds: [Int] = []

  mutating func next() throws(IngestError) -> CSVRecord? {
    if !started { try checkStart() }
    if !pendingLineFeedSkip, let record = recordInPlace() { return record }
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
        if let base = buffer.baseAddress {
          position = CSVBytes.special(in: base, from: position, to: end, delimiter: delimiter)
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
      if byte == delimiter {
        recordHasContent = true
        finishField()
        continue
      }
      switch byte {
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

  /// The common record read where it lies: a whole line in the buffer with
  /// no quote and no carriage return, its fields split at the delimiters
  /// without being copied out. Nil leaves the line to the byte-by-byte loop
  /// (a quote, a CR, a blank line, a field over the limit, the buffer's end).
  private mutating func recordInPlace() -> CSVRecord? {
    guard let base = buffer.baseAddress else { return nil }
    fieldEnds.removeAll(keepingCapacity: true)
    let start = position
    var index = position
    var fieldStart = position
    while true {
      index = CSVBytes.special(in: base, from: index, to: end, delimiter: delimiter)
      guard index < end else { return nil }
      let byte = base.load(fromByteOffset: index, as: UInt8.self)
      if byte == 0x0A { break }
      guard byte == delimiter else { return nil }
      guard index - fieldStart <= maxFieldBytes else { return nil }
      fieldEnds.append(index - start)
      index += 1
      fieldStart = index
    }
    guard index > start, index - fieldStart <= maxFieldBytes else { return nil }
    fieldEnds.append(index - start)
    position = index + 1
    let recordLine = line
    line += 1
    let bytes = UnsafeBufferPointer(start: (base + start).assumingMemoryBound(to: UInt8.self), count: index - start)
    return Self.record(
      bytes, fieldEnds: fieldEnds, encoding: dialect.encoding, line: recordLine, problem: nil, separated: true,
      recent: &recent)
  }

  /// Turns the collected bytes into a record.
  private mutating func record(line: Int, problem: String?) -> CSVRecord {
    recordBytes.withUnsafeBufferPointer {
      Self.record(
        $0, fieldEnds: fieldEnds, encoding: dialect.encoding, line: line, problem: problem, separated: false,
        recent: &recent)
    }
  }

  /// Texts of more than 15 bytes (longer than a `String` holds in place)
  /// lately made, so that a value that comes again (an order's account and
  /// end customer on each of its lines, a catalog's SKUs) is the same
  /// `String` again rather than another allocation, copied and later freed
  /// on another thread: 64 places per column, chosen by a hash of the bytes.
  private var recent = RecentTexts()

  /// Turns a record's bytes (`fieldEnds` within them) into a record, checking
  /// the encoding once for the whole record: ASCII needs no check, anything
  /// else is validated. `separated`: one delimiter byte follows each field
  /// but the last (the record read in place), else none.
  private static func record(
    _ bytes: UnsafeBufferPointer<UInt8>, fieldEnds: [Int], encoding: CSVDialect.Encoding, line: Int,
    problem: String?, separated: Bool, recent: inout RecentTexts
  ) -> CSVRecord {
    var problem = problem
    var fields: [String] = []
    fields.reserveCapacity(fieldEnds.count)
    do {
      let (ascii, hasNUL) = Self.asciiAndNUL(bytes)
      if problem == nil && hasNUL { problem = "the row holds a NUL byte" }
      let windows1252 = !ascii && encoding == .windows1252
      if problem == nil && !ascii && !windows1252 && !UTF8Validation.isValid(bytes) {
        problem = "the row is not valid UTF-8"
      }
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
        let field = UnsafeBufferPointer(rebasing: bytes[low..<high])
        if windows1252 {
          fields.append(Windows1252.decode(field))
        } else if field.count > 15 {
          fields.append(recent.text(field, column: fields.count))
        } else {
          fields.append(String(decoding: field, as: UTF8.self))
        }
        start = separated ? fieldEnd + 1 : fieldEnd
      }
    }
    return CSVRecord(fields: fields, line: line, problem: problem)
  }

  /// Whether the bytes are all ASCII, and whether one is NUL: eight at a time.
  private static func asciiAndNUL(_ bytes: UnsafeBufferPointer<UInt8>) -> (ascii: Bool, hasNUL: Bool) {
    var high: UInt64 = 0
    var zeros: UInt64 = 0
    var index = 0
    if let base = bytes.baseAddress {
      let raw = UnsafeRawPointer(base)
      while index + 8 <= bytes.count {
        let word = raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)
        high |= word
        zeros |= WordBytes.zeros(word)
        index += 8
      }
    }
    var hasNUL = zeros != 0
    while index < bytes.count {
      high |= UInt64(bytes[index])
      if bytes[index] == 0 { hasNUL = true }
      index += 1
    }
    return (high & WordBytes.highs == 0, hasNUL)
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

/// The texts a CSV reader made lately, by column and by a hash of their bytes
/// (see `CSVScanner.recent`).
struct RecentTexts {
  private static let columns = 32
  private static let places = 64
  private var texts = [String](repeating: "", count: columns * places)

  /// The text of `bytes` (UTF-8, repaired where invalid): the one made last
  /// time for the same bytes in this column and place, or a new one.
  mutating func text(_ bytes: UnsafeBufferPointer<UInt8>, column: Int) -> String {
    let raw = UnsafeRawBufferPointer(bytes)
    let place = Int(truncatingIfNeeded: ByteInterner.hash(raw) >> 58)
    let index = (column % Self.columns) * Self.places + place
    let known = texts[index].utf8
    if known.count == bytes.count,
      known.withContiguousStorageIfAvailable({ compareBytes(UnsafeRawBufferPointer($0), raw) == 0 }) == true
    {
      return texts[index]
    }
    let made = String(decoding: bytes, as: UTF8.self)
    texts[index] = made
    return made
  }
}

/// The search both sides of CSV make: the reader for where a field ends,
/// the writer for whether a cell needs quotes.
enum CSVBytes {
  /// The offset of the first delimiter, LF, CR or quote at or after `from`,
  /// or `to` when there is none: eight bytes at a time (`WordBytes`).
  @inline(__always)
  static func special(in base: UnsafeRawPointer, from: Int, to end: Int, delimiter: UInt8) -> Int {
    var index = from
    while index + 8 <= end {
      let word = base.loadUnaligned(fromByteOffset: index, as: UInt64.self)
      let found =
        WordBytes.equal(word, delimiter) | WordBytes.equal(word, 0x0A) | WordBytes.equal(word, 0x0D)
        | WordBytes.equal(word, 0x22)
      if found != 0 { return index + found.trailingZeroBitCount >> 3 }
      index += 8
    }
    while index < end {
      let byte = base.load(fromByteOffset: index, as: UInt8.self)
      if byte == delimiter || byte == 0x0A || byte == 0x0D || byte == 0x22 { return index }
      index += 1
    }
    return end
  }
}
