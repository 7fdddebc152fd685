import Foundation
import SmartDeposit
import SmartDepositTestSupport
import Testing

@Suite("cXML and PIP 3A4 purchase orders")
struct PurchaseOrderXMLTests {
  private func lines(_ path: String, limits: InputLimits = InputLimits()) throws -> [OrderLine] {
    let (source, _) = try OrderSources.open(
      path: path, displayName: (path as NSString).lastPathComponent, format: .xml, limits: limits)
    var lines: [OrderLine] = []
    while let record = try source.next() {
      guard case .line(let line) = record else {
        Issue.record("unexpected \(record)")
        continue
      }
      lines.append(line)
    }
    return lines
  }

  private func refusal(_ path: String) -> IngestError? {
    do {
      _ = try lines(path)
      return nil
    } catch let error as IngestError {
      return error
    } catch {
      return nil
    }
  }

  private func temporaryFile(_ text: String) throws -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("po-\(UUID().uuidString).xml")
    try Data(text.utf8).write(to: url)
    return url.path
  }

  @Test func cXMLHeaderExtrinsicsAreDefaultsAndItemExtrinsicsWin() throws {
    let read = try lines(fixture("formats/cxml-order.xml"))
    #expect(read.count == 2)
    guard read.count == 2 else { return }
    let first = read[0]
    #expect(first.webOrderID == "98790001")  // the WebOrderID extrinsic, not orderID
    #expect(first.purchaseOrder == "PO-GN-88120")
    #expect(first.orderDate == "2026-11-27")  // the date as written, in its own offset
    #expect(first.salesOrder == "104899001")
    #expect(first.lineNumber == "1")
    #expect(first.sku == "C9300-DNA-E-24-3Y")
    #expect(first.quantity == "10")
    #expect(first.licenseType == "TERM")
    #expect(first.termMonths == "36")
    #expect(first.startDate == "2026-12-01")
    #expect(first.smartAccount == "acme.com")
    #expect(first.virtualAccount == "Campus-East")
    #expect(first.endCustomer == "Acme Corp")
    #expect(first.record == 24)
    let second = read[1]
    #expect(second.licenseType == "PERPETUAL")  // extrinsic names match case-insensitively
    #expect(second.virtualAccount == "Campus")  // an empty extrinsic is absent: the header's value stays
    #expect(second.sku == "C9300-NW-E-24")
    #expect(second.record == 36)
  }

  @Test func cXMLWithoutAWebOrderIDUsesTheOrderID() throws {
    let text = try String(contentsOfFile: fixture("formats/cxml-order.xml"), encoding: .utf8)
      .replacingOccurrences(of: "<Extrinsic name=\"WebOrderID\">98790001</Extrinsic>", with: "")
    let read = try lines(try temporaryFile(text))
    #expect(read.map(\.webOrderID) == ["PO-GN-88120", "PO-GN-88120"])
  }

  @Test func pip3A4LinesTakeTheDocumentValuesThatComeAfterThem() throws {
    let read = try lines(fixture("formats/pip3a4-order.xml"))
    #expect(read.count == 2)
    guard read.count == 2 else { return }
    let first = read[0]
    #expect(first.webOrderID == "98790500")  // WebOrderID= overrides the document identifier
    #expect(first.purchaseOrder == "PO-NP-4410")
    #expect(first.orderDate == "2026-11-28")
    #expect(first.lineNumber == "1")
    #expect(first.quantity == "25")
    #expect(first.sku == "ISE-PLS-100-3Y")
    #expect(first.licenseType == "TERM")
    #expect(first.termMonths == "36")
    #expect(first.startDate == "2027-01-01")
    #expect(first.smartAccount == "initech.example")
    #expect(first.virtualAccount == "Engineering")
    #expect(first.endCustomer == "Initech, Inc.")
    #expect(first.salesOrder == "104899500")
    #expect(first.record == 5)
    let second = read[1]
    #expect(second.licenseType == "PERPETUAL")
    #expect(second.virtualAccount == "Branch-Offices")  // empty value: absent, the default applies
    #expect(second.smartAccount == "initech.example")  // the last of a repeated name
    #expect(second.record == 18)
  }

  @Test func aPIP3A4OfManyLinesWaitsOnDiskNotInMemory() throws {
    // About 9 MB of waiting lines: past the in-memory part, read back in order.
    var text = "<?xml version=\"1.0\"?>\n<Pip3A4PurchaseOrderRequest><PurchaseOrder>\n"
    let count = 60_000
    for index in 1...count {
      text += "<ProductLineItem><LineNumber>\(index)</LineNumber><OrderQuantity><requestedQuantity>"
      text += "<ProductQuantity>\(index % 7 + 1)</ProductQuantity></requestedQuantity></OrderQuantity>"
      text += "<ProductIdentification><PartnerProductIdentification><ProprietaryProductIdentifier>SKU-\(index)"
      text += "</ProprietaryProductIdentifier></PartnerProductIdentification></ProductIdentification>"
      text += "<proprietaryInformation><FreeFormText>EndCustomer=Customer \(index) with a long name|"
      text += "VirtualAccount=VA-\(index % 3)</FreeFormText></proprietaryInformation></ProductLineItem>\n"
    }
    text += "<proprietaryInformation><FreeFormText>SmartAccount=acme.com</FreeFormText></proprietaryInformation>"
    text +=
      "</PurchaseOrder><thisDocumentIdentifier><ProprietaryDocumentIdentifier>4242</ProprietaryDocumentIdentifier>"
    text += "</thisDocumentIdentifier></Pip3A4PurchaseOrderRequest>\n"
    let read = try lines(try temporaryFile(text))
    #expect(read.count == count)
    #expect(
      read.enumerated().allSatisfy { index, line in
        line.lineNumber == String(index + 1) && line.sku == "SKU-\(index + 1)" && line.smartAccount == "acme.com"
          && line.webOrderID == "4242" && line.endCustomer == "Customer \(index + 1) with a long name"
          && line.virtualAccount == "VA-\((index + 1) % 3)" && line.record == index + 3
      })
  }

  @Test func theExternalDoctypeOfCXMLIsAcceptedAndNeverRead() throws {
    // The system literal is a FIFO: opening it would block the reader for ever.
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fifo-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let fifo = folder.appendingPathComponent("cXML.dtd").path
    #expect(mkfifo(fifo, 0o600) == 0)
    let text = try String(contentsOfFile: fixture("formats/cxml-order.xml"), encoding: .utf8)
      .replacingOccurrences(of: "http://xml.cxml.org/schemas/cXML/1.2.050/cXML.dtd", with: fifo)
    #expect(try lines(try temporaryFile(text)).count == 2)
    let publicForm = try String(contentsOfFile: fixture("formats/cxml-order.xml"), encoding: .utf8)
      .replacingOccurrences(of: "SYSTEM \"http", with: "PUBLIC \"-//cXML//DTD cXML 1.2//EN\" \"http")
    #expect(try lines(try temporaryFile(publicForm)).count == 2)
  }

  @Test func theDoctypeNeverReachesTheNetwork() throws {
    // A listener on loopback that the system literal points at: it must see no connection.
    let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    #expect(listener >= 0)
    defer { close(listener) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    let bound = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    #expect(bound == 0)
    #expect(listen(listener, 8) == 0)
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
    }
    let port = UInt16(bigEndian: address.sin_port)
    let text = try String(contentsOfFile: fixture("formats/cxml-order.xml"), encoding: .utf8)
      .replacingOccurrences(
        of: "http://xml.cxml.org/schemas/cXML/1.2.050/cXML.dtd", with: "http://127.0.0.1:\(port)/cXML.dtd")
    #expect(try lines(try temporaryFile(text)).count == 2)
    #expect(refusal(try temporaryFile(text.replacingOccurrences(of: "cXML.dtd\">", with: "cXML.dtd\" []>"))) != nil)
    // Nothing is waiting to be accepted.
    _ = fcntl(listener, F_SETFL, O_NONBLOCK)
    #expect(accept(listener, nil, nil) < 0)
  }

  @Test func doctypesThatAreNotCXMLsOwnAreRefused() throws {
    #expect(refusal(fixture("hostile/cxml-internal-subset.xml"))?.cause == .doctype)
    #expect(refusal(fixture("hostile/pip3a4-billion-laughs.xml"))?.cause == .doctype)
    #expect(refusal(fixture("hostile/external-dtd.xml"))?.cause == .doctype)
    let cxml = try String(contentsOfFile: fixture("formats/cxml-order.xml"), encoding: .utf8)
    // A cXML DOCTYPE on another root, and a DOCTYPE naming another root on cXML.
    let onOrderDrop = "<?xml version=\"1.0\"?>\n<!DOCTYPE cXML SYSTEM \"cXML.dtd\">\n<OrderDrop></OrderDrop>\n"
    #expect(refusal(try temporaryFile(onOrderDrop))?.cause == .doctype)
    let renamed = cxml.replacingOccurrences(of: "<!DOCTYPE cXML SYSTEM", with: "<!DOCTYPE OrderDrop SYSTEM")
    #expect(refusal(try temporaryFile(renamed))?.cause == .doctype)
    let bare = cxml.replacingOccurrences(
      of: "<!DOCTYPE cXML SYSTEM \"http://xml.cxml.org/schemas/cXML/1.2.050/cXML.dtd\">", with: "<!DOCTYPE cXML>")
    #expect(refusal(try temporaryFile(bare))?.cause == .doctype)
    let twice = cxml.replacingOccurrences(
      of: "<cXML payloadID", with: "<!DOCTYPE cXML SYSTEM \"x.dtd\">\n<cXML payloadID")
    #expect(refusal(try temporaryFile(twice)) != nil)
    // An undeclared entity is refused, not dropped.
    let entity = cxml.replacingOccurrences(of: "Acme Corp</Extrinsic>", with: "Acme&nbsp;Corp</Extrinsic>")
    #expect(refusal(try temporaryFile(entity)) != nil)
  }
}
