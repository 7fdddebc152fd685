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

  /// A field from bytes.
  mutating func field(_ raw: UnsafeRawBufferPointer) {
    var runStart = 0
    for (index, byte) in raw.enumerated() {
      let escaped: UInt8
      switch byte {
      case UInt8(ascii: "\\"): escaped = UInt8(ascii: "\\")
      case UInt8(ascii: "\t"): escaped = UInt8(ascii: "t")
      case UInt8(ascii: "\n"): escaped = UInt8(ascii: "n")
      case UInt8(ascii: "\r"): escaped = UInt8(ascii: "r")
      default: continue
      }
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
