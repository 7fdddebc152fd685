import Foundation
import SmartDeposit
import SmartDepositTestSupport
import Testing

@Suite("CSV reader")
struct CSVReaderTests {
  private func records(_ bytes: [UInt8], maxField: Int = 1 << 16) throws -> [CSVRecord] {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("csv-\(UUID().uuidString).csv")
    try Data(bytes).write(to: url)
    defer { try? FileManager.default.removeItem(at: url) }
    let source = try ByteSource(path: url.path, displayName: "t.csv", maxBytes: 1 << 30)
    let reader = CSVReader(source: source, maxFieldBytes: maxField)
    var result: [CSVRecord] = []
    while let record = try reader.next() { result.append(record) }
    return result
  }

  private func records(_ text: String) throws -> [CSVRecord] { try records(Array(text.utf8)) }

  @Test func quotedCommasQuotesAndNewlines() throws {
    let result = try records("a,b,c\n\"x, y\",\"say \"\"hi\"\"\",\"two\nlines\"\nlast,row,here\n")
    #expect(result.count == 3)
    #expect(result[1].fields == ["x, y", "say \"hi\"", "two\nlines"])
    #expect(result[1].line == 2)
    #expect(result[2].line == 4)
    #expect(result.allSatisfy { $0.problem == nil })
  }

  /// Rows written as RFC 4180 says, some plain, some quoted, some with CRLF,
  /// a NUL or a byte that is not UTF-8, over several of the reader's 256 KiB
  /// buffers: every record comes back with its fields, its line and its
  /// problem, whether it was read in place or byte by byte.
  @Test func generatedRowsComeBackAsWritten() throws {
    var generator = SeededGenerator(seed: 20_261_207)
    let pieces = ["a", "bc", "12345678", "é", "Société", " x y ", ",", "\"", "\n", "\r\n", ";", "\t"]
    var bytes = Array("h1,h2,h3\n".utf8)
    var expected: [(fields: [String], line: Int, bad: Bool)] = [(["h1", "h2", "h3"], 1, false)]
    var line = 2
    while bytes.count < 700_000 {
      var fields: [String] = []
      for _ in 0..<Int.random(in: 1...6, using: &generator) {
        var field = ""
        for _ in 0..<Int.random(in: 0...(Int.random(in: 0..<10, using: &generator) == 0 ? 40 : 4), using: &generator) {
          field += pieces.randomElement(using: &generator)!
        }
        fields.append(field.trimmingCharacters(in: .whitespacesAndNewlines))
      }
      var row: [UInt8] = []
      for (index, field) in fields.enumerated() {
        if index > 0 { row.append(UInt8(ascii: ",")) }
        if field.utf8.contains(where: { ",\"\n\r".utf8.contains($0) })
          || Bool.random(using: &generator) && field.count < 3
        {
          row += Array("\"\(field.replacingOccurrences(of: "\"", with: "\"\""))\"".utf8)
        } else {
          row += Array(field.utf8)
        }
      }
      var bad = false
      switch Int.random(in: 0..<50, using: &generator) {
      case 0:
        row.append(0)
        bad = true
      case 1 where bytes.count > 100_000:  // past the 64 KiB that decide the encoding
        row.append(0xFF)
        bad = true
      default: break
      }
      let newlines = fields.reduce(0) { $0 + $1.utf8.filter { $0 == 0x0A }.count }
      if row.isEmpty { row = Array("\"\"".utf8) }
      bytes += row + Array((Bool.random(using: &generator) ? "\r\n" : "\n").utf8)
      expected.append((fields, line, bad))
      line += 1 + newlines
    }
    let result = try records(bytes)
    #expect(result.count == expected.count)
    for (record, wanted) in zip(result, expected) {
      #expect(record.line == wanted.line)
      #expect((record.problem != nil) == wanted.bad)
      if !wanted.bad { #expect(record.fields == wanted.fields) }
    }
  }

  @Test func byteOrderMarkCRLFAndMissingFinalNewline() throws {
    let result = try records([0xEF, 0xBB, 0xBF] + Array("h1,h2\r\nv1,v2\r\nv3,v4".utf8))
    #expect(result.map(\.fields) == [["h1", "h2"], ["v1", "v2"], ["v3", "v4"]])
    #expect(result.map(\.line) == [1, 2, 3])
  }

  @Test func blankLinesAreSkippedButCounted() throws {
    let result = try records("h\n\n\nv\n")
    #expect(result.map(\.fields) == [["h"], ["v"]])
    #expect(result[1].line == 4)
  }

  @Test func unterminatedQuoteIsAProblemAtItsRecord() throws {
    let result = try records("h1,h2\nok,1\n\"never closes,2\nmore\n")
    #expect(result.count == 3)
    #expect(result[2].line == 3)
    #expect(result[2].problem?.contains("unterminated quote") == true)
  }

  @Test func invalidUTF8AndNULBytesAreProblems() throws {
    let result = try records(Array("h\n".utf8) + [0x61, 0xFF, 0x62, 0x0A] + [0x61, 0x00, 0x0A])
    #expect(result[1].problem?.contains("not valid UTF-8") == true)
    #expect(result[2].problem?.contains("NUL") == true)
  }

  @Test func utf16IsRefusedWithAReason() throws {
    #expect {
      _ = try records([0xFF, 0xFE] + Array("h".utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }))
    } throws: { error in
      (error as? IngestError)?.cause == .unsupportedEncoding
    }
  }

  @Test func fieldLongerThanTheLimitIsRefused() throws {
    #expect {
      _ = try records(Array(("h\n" + String(repeating: "x", count: 5000) + "\n").utf8), maxField: 1000)
    } throws: { error in
      (error as? IngestError)?.cause == .fieldTooLong && (error as? IngestError)?.line == 2
    }
  }

  @Test func semicolonAndTabDelimitersAreTakenFromTheHeader() throws {
    let semicolons = try records("a;b;c\n\"x; y\";2,5;z\n")
    #expect(semicolons.map(\.fields) == [["a", "b", "c"], ["x; y", "2,5", "z"]])
    let tabs = try records("a\tb\tc\n1\t2,3\t\"x\ty\"\n")
    #expect(tabs.map(\.fields) == [["a", "b", "c"], ["1", "2,3", "x\ty"]])
    // A semicolon inside a quoted header name does not count.
    let quoted = try records("\"a;b\",c\n1,2\n")
    #expect(quoted.map(\.fields) == [["a;b", "c"], ["1", "2"]])
  }

  @Test func windows1252IsDecodedAsTheWHATWGStandardSays() throws {
    // "Müller" with 0xFC, then 0x80 (euro), 0x93/0x94 (curly quotes), 0x96 (en dash), 0x81 (undefined: U+0081).
    let bytes: [UInt8] =
      Array("name;note\nM".utf8) + [0xFC] + Array("ller;".utf8) + [0x80, 0x93, 0x61, 0x94, 0x96, 0x81]
      + [0x0D, 0x0A]
    let result = try records(bytes)
    #expect(result.count == 2)
    #expect(result[1].problem == nil)
    #expect(result[1].fields == ["Müller", "\u{20AC}\u{201C}a\u{201D}\u{2013}\u{0081}"])
  }

  @Test func aUTF8FileKeepsItsLaterInvalidByteAsAProblem() throws {
    // Valid UTF-8 (with a multi-byte name) for more than 64 KiB, then a row with a stray 0xE9.
    var text = "h,name\n"
    while text.utf8.count < (64 << 10) + 100 { text += "1,Société\n" }
    let bytes = Array(text.utf8) + Array("2,Soci".utf8) + [0xE9] + Array("t\n3,ok\n".utf8)
    let result = try records(bytes)
    #expect(result.dropFirst().dropLast(2).allSatisfy { $0.problem == nil && $0.fields[1] == "Société" })
    #expect(result[result.count - 2].problem?.contains("not valid UTF-8") == true)
    #expect(result[result.count - 1].fields == ["3", "ok"])
  }

  @Test func aByteOrderMarkMeansUTF8() throws {
    let result = try records([0xEF, 0xBB, 0xBF] + Array("h\na".utf8) + [0xE9, 0x0A])
    #expect(result[1].problem?.contains("not valid UTF-8") == true)
  }

  @Test func aCharacterCutAt64KiBIsStillUTF8() throws {
    // The 64 KiB boundary falls inside a two-byte character.
    var text = "h\n"
    text += String(repeating: "a", count: (64 << 10) - text.utf8.count - 1) + "é\n"
    let result = try records(Array(text.utf8))
    #expect(result[1].problem == nil)
    #expect(result[1].fields[0].hasSuffix("aé"))
  }
}
