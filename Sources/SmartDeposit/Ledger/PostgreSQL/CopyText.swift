import NIOCore

/// Rows in the text format of PostgreSQL's `COPY … FROM STDIN`: fields
/// separated by tabs, rows ended by newlines, backslash, tab, newline and
/// carriage return escaped, `\N` for no value. The server parses this with
/// no arrays to decode, which is most of what a bulk insert costs it.
struct CopyText {
  private(set) var bytes: [UInt8] = []

  init(capacity: Int) { bytes.reserveCapacity(capacity) }

  /// Forgets the rows, keeping the room they took.
  mutating func removeAll() { bytes.removeAll(keepingCapacity: true) }

  /// The rows, as the connection sends them.
  var buffer: NIOCore.ByteBuffer { NIOCore.ByteBuffer(bytes: bytes) }

  /// The letter that follows a backslash for a byte COPY escapes, or nil.
  static func escape(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "\\"): UInt8(ascii: "\\")
    case UInt8(ascii: "\t"): UInt8(ascii: "t")
    case UInt8(ascii: "\n"): UInt8(ascii: "n")
    case UInt8(ascii: "\r"): UInt8(ascii: "r")
    default: nil
    }
  }

  /// A field from bytes.
  mutating func field(_ raw: UnsafeRawBufferPointer) {
    var runStart = 0
    for (index, byte) in raw.enumerated() {
      guard let escaped = Self.escape(byte) else { continue }
      bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[runStart..<index]))
      bytes.append(UInt8(ascii: "\\"))
      bytes.append(escaped)
      runStart = index + 1
    }
    bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[runStart...]))
    bytes.append(UInt8(ascii: "\t"))
  }

  /// A field from text.
  mutating func field(_ text: String) {
    var text = text
    text.withUTF8 { field(UnsafeRawBufferPointer($0)) }
  }

  /// A whole number.
  mutating func field(_ number: Int) {
    CSVFormatter.appendNumber(number, to: &bytes)
    bytes.append(UInt8(ascii: "\t"))
  }

  /// No value (SQL's NULL).
  mutating func noValue() {
    bytes.append(UInt8(ascii: "\\"))
    bytes.append(UInt8(ascii: "N"))
    bytes.append(UInt8(ascii: "\t"))
  }

  /// Ends the row: its last field's tab becomes the row's newline.
  mutating func endRow() {
    bytes[bytes.count - 1] = UInt8(ascii: "\n")
  }
}

/// Writes rows in the same format as `CopyText` straight into memory sized
/// for them beforehand: a batch of deposits is most of what a run sends, and
/// appending to a growing array, then copying it into the connection's
/// buffer, cost more than making the text.
struct CopyRowWriter {
  private let out: UnsafeMutableRawBufferPointer
  /// The bytes written so far.
  private(set) var count = 0

  /// The room needed for rows of `textBytes` bytes of text fields in all,
  /// each row with at most `fieldsPerRow` fields of which four numbers: every
  /// byte escaped, a tab or newline per field, and numbers of 20 digits.
  static func room(textBytes: Int, rows: Int, fieldsPerRow: Int) -> Int {
    textBytes * 2 + rows * (fieldsPerRow * 3 + 4 * 20)
  }

  init(_ out: UnsafeMutableRawBufferPointer) { self.out = out }

  private mutating func put(_ byte: UInt8) {
    out[count] = byte
    count += 1
  }

  /// A field from bytes. Eight bytes at a time while none needs escaping,
  /// as almost none does; byte by byte from the first eight that do.
  mutating func field(_ raw: UnsafeRawBufferPointer) {
    var index = 0
    if let source = raw.baseAddress, let target = out.baseAddress {
      while index + 8 <= raw.count {
        let word = source.loadUnaligned(fromByteOffset: index, as: UInt64.self)
        if Self.needsEscaping(word) { break }
        target.storeBytes(of: word, toByteOffset: count, as: UInt64.self)
        count += 8
        index += 8
      }
    }
    for byte in UnsafeRawBufferPointer(rebasing: raw[index...]) {
      if let escaped = CopyText.escape(byte) {
        put(UInt8(ascii: "\\"))
        put(escaped)
      } else {
        put(byte)
      }
    }
    put(UInt8(ascii: "\t"))
  }

  /// Whether any of eight bytes is a backslash, tab, newline or carriage return.
  private static func needsEscaping(_ word: UInt64) -> Bool {
    WordBytes.equal(word, UInt8(ascii: "\\")) | WordBytes.equal(word, UInt8(ascii: "\t"))
      | WordBytes.equal(word, UInt8(ascii: "\n")) | WordBytes.equal(word, UInt8(ascii: "\r")) != 0
  }

  /// A whole number.
  mutating func field(_ number: Int) {
    if number < 0 { put(UInt8(ascii: "-")) }
    var rest = number.magnitude
    var digits = 1
    var scan = rest
    while scan >= 10 {
      scan /= 10
      digits += 1
    }
    var at = count + digits - 1
    repeat {
      out[at] = UInt8(ascii: "0") + UInt8(rest % 10)
      rest /= 10
      at -= 1
    } while rest > 0
    count += digits
    put(UInt8(ascii: "\t"))
  }

  /// No value (SQL's NULL).
  mutating func noValue() {
    put(UInt8(ascii: "\\"))
    put(UInt8(ascii: "N"))
    put(UInt8(ascii: "\t"))
  }

  /// Ends the row: its last field's tab becomes the row's newline.
  mutating func endRow() {
    out[count - 1] = UInt8(ascii: "\n")
  }
}
