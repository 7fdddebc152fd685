import Testing

@testable import SmartDeposit

/// The two writers of PostgreSQL's COPY text (one gathering rows in an
/// array, one writing a batch straight into memory sized for it, eight
/// bytes at a time) write the same bytes.
@Suite("COPY text")
struct CopyTextTests {
  @Test func bothWritersEscapeTheSameBytesWhereverTheyFall() {
    var generator = SystemRandomNumberGenerator()
    // Mostly plain bytes, and the four that COPY escapes, at any place in
    // fields of any length (within, across and after eight-byte words).
    let alphabet: [UInt8] = Array("abcXYZ019 -.é".utf8) + [0x5C, 0x09, 0x0A, 0x0D, 0x80, 0xFF]
    for _ in 0..<200 {
      let fields = (0..<Int.random(in: 1...12, using: &generator)).map { _ in
        (0..<Int.random(in: 0...40, using: &generator)).map { _ in
          Int.random(in: 0..<8, using: &generator) == 0
            ? alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] : UInt8(ascii: "k")
        }
      }
      let numbers = [0, 7, 1_000_000, Int.max, -42]
      var gathered = CopyText(capacity: 0)
      for field in fields { field.withUnsafeBytes { gathered.field($0) } }
      for number in numbers { gathered.field(number) }
      gathered.noValue()
      gathered.endRow()
      let textBytes = fields.reduce(0) { $0 + $1.count }
      let room = CopyRowWriter.room(textBytes: textBytes, rows: 1, fieldsPerRow: fields.count + 1 + numbers.count)
      var written = [UInt8](repeating: 0, count: room)
      let count = written.withUnsafeMutableBytes { out in
        var writer = CopyRowWriter(out)
        for field in fields { field.withUnsafeBytes { writer.field($0) } }
        for number in numbers { writer.field(number) }
        writer.noValue()
        writer.endRow()
        return writer.count
      }
      #expect(Array(written[..<count]) == gathered.bytes)
    }
  }

  @Test func escapesAsCopyReadsThem() {
    var writer = CopyText(capacity: 0)
    Array("a\\b\tc\nd\re".utf8).withUnsafeBytes { writer.field($0) }
    writer.noValue()
    writer.endRow()
    #expect(String(decoding: writer.bytes, as: UTF8.self) == "a\\\\b\\tc\\nd\\re\t\\N\n")
  }
}
