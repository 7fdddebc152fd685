import Foundation
import SmartDeposit
import SmartDepositTestSupport
import Testing

@Suite("XML order reader")
struct XMLOrderReaderTests {
  private func read(_ path: String, limits: InputLimits = InputLimits()) throws -> [ParsedRecord] {
    let (source, _) = try OrderSources.open(
      path: path, displayName: (path as NSString).lastPathComponent, format: .xml, limits: limits)
    var records: [ParsedRecord] = []
    while let record = try source.next() { records.append(record) }
    return records
  }

  @Test func readsTheSpecExampleWithHeaderDefaults() throws {
    let records = try read(packageRoot.appendingPathComponent("SampleOrders/ccw-orders-2026-11-27.xml").path)
    #expect(records.count == 7)
    guard case .line(let first) = records[0], case .line(let second) = records[1], case .line(let third) = records[2]
    else {
      Issue.record("expected lines")
      return
    }
    #expect(first.webOrderID == "98765432")
    #expect(first.lineNumber == "1.0")
    #expect(first.smartAccount == "acme.com")
    #expect(first.virtualAccount == "Campus-East")
    #expect(first.termMonths == "36")
    #expect(first.record == 9)
    #expect(second.virtualAccount == "Campus")  // inherited from the header
    #expect(second.endCustomer == "Acme Corp")
    #expect(third.quantity == "4")  // whitespace trimmed, elements in any order
    #expect(third.sku == "DNA-ADV-ACCESS-5Y")
  }

  @Test func gzipIsReadTransparently() throws {
    let plain = try read(fixture("quarantine/good.xml"))
    let compressed = try read(fixture("quarantine/good.xml.gz"))
    #expect(plain == compressed)
    #expect(plain.count == 1)
  }

  static let refused: [(String, IngestError.Cause, Int)] = [
    ("truncated.xml", .notWellFormed, 0),
    ("mismatched-tags.xml", .notWellFormed, 6),
    ("doctype.xml", .doctype, 2),
    ("unknown-root.xml", .unknownRoot, 2),
    ("garbage-after-root.xml", .notWellFormed, 12),
    ("too-deep.xml", .tooDeep, 5),
    ("truncated.xml.gz", .invalidGzip, 0),
  ]

  @Test(arguments: refused)
  func refusesBrokenFiles(name: String, cause: IngestError.Cause, line: Int) throws {
    #expect {
      _ = try read(fixture("quarantine/\(name)"))
    } throws: { error in
      guard let error = error as? IngestError else { return false }
      return error.cause == cause && (line == 0 || error.line == line) && error.file == name
    }
  }

  @Test func truncatedFileNamesItsLine() throws {
    do {
      _ = try read(fixture("quarantine/truncated.xml"))
      Issue.record("a truncated file must fail")
    } catch let error as IngestError {
      #expect(error.cause == .notWellFormed)
      #expect(error.line > 0)
    }
  }
}
