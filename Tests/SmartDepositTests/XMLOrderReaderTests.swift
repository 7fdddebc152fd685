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

  /// Writes `text` to a file of its own folder under the temporary directory; returns its path.
  private func temporaryFile(_ name: String, _ text: String) throws -> String {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("xml-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let path = folder.appendingPathComponent(name).path
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    return path
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

  @Test func entitiesAndCharacterReferencesAreDecodedInAttributesAndText() throws {
    let xml = """
      <?xml version="1.0" encoding="UTF-8"?>
      <OrderDrop>
        <Order webOrderId="W&amp;1" purchaseOrder="P&#38;O &lt;7&gt; &quot;x&quot; &#x2603;" salesOrder=" S1 ">
          <SmartAccount>acme.com</SmartAccount>
          <VirtualAccount>R&amp;D <![CDATA[Lab & <Bench>]]></VirtualAccount>
          <EndCustomer>A&#38;B &apos;Co&apos;</EndCustomer>
          <Line number="1.0"><Sku>SKU&amp;1</Sku><Quantity>2</Quantity><LicenseType>PERPETUAL</LicenseType></Line>
        </Order>
      </OrderDrop>
      """
    let path = try temporaryFile("entities.xml", xml)
    defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
    let records = try read(path)
    guard records.count == 1, case .line(let line) = records[0] else {
      Issue.record("expected one line, got \(records)")
      return
    }
    #expect(line.webOrderID == "W&1")
    #expect(line.purchaseOrder == "P&O <7> \"x\" \u{2603}")
    #expect(line.salesOrder == "S1")
    #expect(line.virtualAccount == "R&D Lab & <Bench>")
    #expect(line.endCustomer == "A&B 'Co'")
    #expect(line.sku == "SKU&1")
    #expect(line.quantity == "2")
  }

  @Test func linesAcrossManyChunksKeepTheirValuesAndRecordLines() throws {
    var xml = "<?xml version=\"1.0\"?>\n<OrderDrop>\n"
    let count = 5000
    for index in 0..<count {
      // One line per order, each order on 4 lines of the file; a long end customer name so that
      // values straddle the parser's chunk boundaries.
      xml += "<Order webOrderId=\"\(index)\"><SmartAccount>acme.com</SmartAccount>\n"
      xml += "<EndCustomer>\(String(repeating: "n", count: index % 300))</EndCustomer>\n"
      xml += "<Line number=\"1.0\"><Sku>S\(index)</Sku><Quantity>\(index + 1)</Quantity>\n"
      xml += "</Line></Order>\n"
    }
    xml += "</OrderDrop>\n"
    let path = try temporaryFile("many.xml", xml)
    defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
    let records = try read(path)
    #expect(records.count == count)
    // The pipeline takes records a batch at a time: the same records, in the same order.
    let (source, _) = try OrderSources.open(path: path, displayName: "many.xml", format: .xml, limits: InputLimits())
    var batched: [ParsedRecord] = []
    var batch: [ParsedRecord] = []
    while try source.nextBatch(into: &batch, limit: 512) {
      #expect(!batch.isEmpty)
      batched.append(contentsOf: batch)
      batch = []
    }
    #expect(batched == records)
    for (index, record) in records.enumerated() {
      guard case .line(let line) = record else {
        Issue.record("record \(index) is not a line")
        return
      }
      if line.webOrderID != "\(index)" || line.sku != "S\(index)" || line.quantity != "\(index + 1)"
        || line.endCustomer.utf8.count != index % 300 || line.record != 5 + index * 4
      {
        Issue.record("record \(index) read as \(line)")
        return
      }
    }
  }
}
