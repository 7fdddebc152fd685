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
}
