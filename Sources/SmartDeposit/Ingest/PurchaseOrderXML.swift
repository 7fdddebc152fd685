import Foundation

/// The XML order formats, told apart by the root element (SPEC §9).
enum XMLDialect: Equatable {
  /// CCW's own `OrderDrop`.
  case ccw
  /// cXML `OrderRequest` (root `cXML`).
  case cxml
  /// RosettaNet PIP 3A4 Purchase Order Request.
  case pip3A4

  init?(root: String) {
    switch root {
    case "OrderDrop": self = .ccw
    case "cXML": self = .cxml
    case "Pip3A4PurchaseOrderRequest": self = .pip3A4
    default: return nil
    }
  }

  /// Roots whose DOCTYPE (an external identifier only) is accepted and never read.
  static let rootsWithDoctype: Set<String> = ["cXML", "Pip3A4PurchaseOrderRequest"]
}

/// The Cisco values a purchase order carries by name: cXML `Extrinsic`
/// elements and PIP 3A4 `Name=Value` pairs. Names match case-insensitively;
/// a later value replaces an earlier one; an empty value counts as absent.
struct NamedValues: Equatable {
  var smartAccount: String?
  var virtualAccount: String?
  var licenseType: String?
  var termMonths: String?
  var startDate: String?
  var salesOrder: String?
  var endCustomer: String?
  var webOrderID: String?
  var orderDate: String?

  mutating func set(name: String, value: String) {
    let value = trimmed(value)
    guard !value.isEmpty else { return }
    switch trimmed(name).lowercased() {
    case "smartaccount": smartAccount = value
    case "virtualaccount": virtualAccount = value
    case "licensetype": licenseType = value
    case "termmonths": termMonths = value
    case "startdate": startDate = value
    case "salesorder": salesOrder = value
    case "endcustomer": endCustomer = value
    case "weborderid": webOrderID = value
    case "orderdate": orderDate = value
    default: break
    }
  }

  /// Reads `Name=Value` pairs joined by `|`: each splits at its first `=`,
  /// a pair without `=` is ignored.
  mutating func read(pairs text: String) {
    for pair in text.split(separator: "|", omittingEmptySubsequences: true) {
      guard let equals = pair.firstIndex(of: "=") else { continue }
      set(name: String(pair[..<equals]), value: String(pair[pair.index(after: equals)...]))
    }
  }

  fileprivate static let count = 9

  fileprivate var all: [String?] {
    [smartAccount, virtualAccount, licenseType, termMonths, startDate, salesOrder, endCustomer, webOrderID, orderDate]
  }

  fileprivate init() {}

  fileprivate init(all values: [String?]) {
    smartAccount = values[0]
    virtualAccount = values[1]
    licenseType = values[2]
    termMonths = values[3]
    startDate = values[4]
    salesOrder = values[5]
    endCustomer = values[6]
    webOrderID = values[7]
    orderDate = values[8]
  }
}

/// The date part of a timestamp as written, in its own offset:
/// `2026-11-27T23:30:00-08:00` and RosettaNet's `20261127T233000.000Z` are
/// both `2026-11-27`.
func datePart(_ stamp: String) -> String {
  let date = stamp.split(separator: "T", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
  let digits = date.utf8
  if digits.count == 8 && digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
    let text = Array(date)
    return "\(String(text[0..<4]))-\(String(text[4..<6]))-\(String(text[6..<8]))"
  }
  return date
}

/// The element map of cXML and PIP 3A4 purchase orders, driven by the shared
/// SAX reader: it follows the path of element names below the root, takes
/// the values SPEC §9 names, and gives each line the document's values.
///
/// A cXML header precedes its items, so each `ItemOut` is complete when it
/// closes. A PIP 3A4 document names its identifier, date and defaults after
/// its lines, so its lines wait (compactly, on disk past a few MiB) until the
/// root closes.
struct PurchaseOrderElements {
  let dialect: XMLDialect
  private var path: [String] = []
  private var capture: Capture?
  private var captureDepth = 0
  private(set) var text: [UInt8] = []
  private var header = NamedValues()
  private var documentID = ""
  private var documentDate = ""
  private var line = OrderLine()
  private var lineValues = NamedValues()
  private var inLine = false
  private var extrinsicName = ""
  private(set) var waiting: WaitingLines?

  private enum Capture {
    case documentID, documentDate, lineNumber, quantity, sku
    case pairs(line: Bool)
    case extrinsic(line: Bool)
  }

  init(dialect: XMLDialect) {
    self.dialect = dialect
    text.reserveCapacity(256)
  }

  var isCapturing: Bool { capture != nil }

  /// An element opened below the root; `value` reads one of its attributes.
  mutating func start(_ name: String, record: Int, value: (StaticString) -> String) throws(IngestError) {
    path.append(name)
    guard capture == nil else { return }
    switch dialect {
    case .cxml: startCXML(name, record: record, value: value)
    case .pip3A4: try startPIP(name, record: record)
    case .ccw: break
    }
    if capture != nil {
      captureDepth = path.count
      text.removeAll(keepingCapacity: true)
    }
  }

  private mutating func startCXML(_ name: String, record: Int, value: (StaticString) -> String) {
    let inOrder = path.count >= 3 && path[0] == "Request" && path[1] == "OrderRequest"
    guard inOrder else { return }
    switch (path.count, name) {
    case (3, "OrderRequestHeader"):
      documentID = value("orderID")
      documentDate = value("orderDate")
    case (4, "Extrinsic") where path[2] == "OrderRequestHeader":
      extrinsicName = value("name")
      capture = .extrinsic(line: false)
    case (3, "ItemOut"):
      line = OrderLine(lineNumber: value("lineNumber"), quantity: value("quantity"), record: record)
      lineValues = NamedValues()
      inLine = true
    case (5, "SupplierPartID") where inLine && path[2] == "ItemOut" && path[3] == "ItemID":
      capture = .sku
    case (5, "Extrinsic") where inLine && path[3] == "ItemDetail", (4, "Extrinsic") where inLine:
      extrinsicName = value("name")
      capture = .extrinsic(line: true)
    default: break
    }
  }

  private mutating func startPIP(_ name: String, record: Int) throws(IngestError) {
    switch path.count {
    case 2 where path[0] == "thisDocumentIdentifier" && name == "ProprietaryDocumentIdentifier":
      capture = .documentID
    case 2 where path[0] == "thisDocumentGenerationDateTime" && name == "DateTimeStamp":
      capture = .documentDate
    default: break
    }
    guard path.count >= 2, path[0] == "PurchaseOrder" else { return }
    if path.count == 2 && name == "ProductLineItem" {
      line = OrderLine(record: record)
      lineValues = NamedValues()
      inLine = true
      return
    }
    if path.count == 3 && name == "FreeFormText" && path[1] == "proprietaryInformation" {
      capture = .pairs(line: false)
      return
    }
    guard inLine, path[1] == "ProductLineItem" else { return }
    let below = path[2...]
    if below.elementsEqual(["LineNumber"]) {
      capture = .lineNumber
    } else if below.elementsEqual(["OrderQuantity", "requestedQuantity", "ProductQuantity"]) {
      capture = .quantity
    } else if below.elementsEqual([
      "ProductIdentification", "PartnerProductIdentification", "ProprietaryProductIdentifier",
    ]) {
      if line.sku.isEmpty { capture = .sku }
    } else if below.elementsEqual(["proprietaryInformation", "FreeFormText"]) {
      capture = .pairs(line: true)
    }
  }

  mutating func characters(_ bytes: UnsafeBufferPointer<UInt8>) {
    guard capture != nil else { return }
    text.append(contentsOf: bytes)
  }

  /// An element below the root closed; returns a line it completed.
  mutating func end() throws(IngestError) -> OrderLine? {
    defer { path.removeLast() }
    if let current = capture {
      guard path.count == captureDepth else { return nil }
      capture = nil
      let value = String(decoding: text, as: UTF8.self)
      switch current {
      case .documentID: documentID = trimmed(value)
      case .documentDate: documentDate = trimmed(value)
      case .lineNumber: line.lineNumber = trimmed(value)
      case .quantity: line.quantity = trimmed(value)
      case .sku: line.sku = trimmed(value)
      case .pairs(let forLine):
        if forLine { lineValues.read(pairs: value) } else { header.read(pairs: value) }
      case .extrinsic(let forLine):
        if forLine {
          lineValues.set(name: extrinsicName, value: value)
        } else {
          header.set(name: extrinsicName, value: value)
        }
      }
      return nil
    }
    guard inLine else { return nil }
    let lineDepth = dialect == .cxml ? 3 : 2
    guard path.count == lineDepth else { return nil }
    inLine = false
    if dialect == .cxml { return resolve(line, lineValues) }
    if waiting == nil { waiting = WaitingLines() }
    try waiting?.append(line, lineValues)
    return nil
  }

  /// A line with the document's values under its own.
  func resolve(_ own: OrderLine, _ values: NamedValues) -> OrderLine {
    var line = own
    line.purchaseOrder = documentID
    line.webOrderID = values.webOrderID ?? header.webOrderID ?? documentID
    line.orderDate = values.orderDate ?? header.orderDate ?? datePart(documentDate)
    line.smartAccount = values.smartAccount ?? header.smartAccount ?? ""
    line.virtualAccount = values.virtualAccount ?? header.virtualAccount ?? ""
    line.licenseType = values.licenseType ?? header.licenseType ?? ""
    line.termMonths = values.termMonths ?? header.termMonths ?? ""
    line.startDate = values.startDate ?? header.startDate ?? ""
    line.salesOrder = values.salesOrder ?? header.salesOrder ?? ""
    line.endCustomer = values.endCustomer ?? header.endCustomer ?? ""
    return line
  }

  /// Moves up to `limit` waiting lines, resolved, into `ready`; false when none is left.
  mutating func drain(into ready: inout [ParsedRecord], limit: Int) throws(IngestError) -> Bool {
    guard var lines = waiting else { return false }
    var moved = 0
    while moved < limit, let (own, values) = try lines.next() {
      ready.append(.line(resolve(own, values)))
      moved += 1
    }
    waiting = moved == 0 ? nil : lines
    return moved > 0
  }
}

/// Lines read but not yet complete, packed as bytes: in memory up to 4 MiB,
/// then in an unlinked temporary file, so a document of any length is held in
/// bounded memory. Fields are separated by 0x00 and lines end with 0x01, two
/// bytes XML text cannot hold.
struct WaitingLines {
  private var bytes: [UInt8] = []
  private var spill: UnsafeMutablePointer<FILE>?
  private var reading = false
  private var readOffset = 0
  private var file: FileHolder?

  private static let memoryLimit = 4 << 20

  final class FileHolder {
    let handle: UnsafeMutablePointer<FILE>
    init(_ handle: UnsafeMutablePointer<FILE>) { self.handle = handle }
    deinit { fclose(handle) }
  }

  mutating func append(_ line: OrderLine, _ values: NamedValues) throws(IngestError) {
    for field in [line.lineNumber, line.quantity, line.sku, String(line.record)] {
      bytes.append(contentsOf: field.utf8)
      bytes.append(0)
    }
    for value in values.all {
      if let value {
        bytes.append(0x31)
        bytes.append(contentsOf: value.utf8)
      }
      bytes.append(0)
    }
    bytes.append(1)
    if bytes.count >= Self.memoryLimit { try flush() }
  }

  private mutating func flush() throws(IngestError) {
    if file == nil {
      guard let handle = tmpfile() else { throw Self.failure("cannot create a temporary file") }
      file = FileHolder(handle)
    }
    guard let file else { return }
    let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file.handle) }
    guard written == bytes.count else { throw Self.failure("cannot write a temporary file") }
    bytes.removeAll(keepingCapacity: true)
  }

  /// The next waiting line, in the order they were appended.
  mutating func next() throws(IngestError) -> (OrderLine, NamedValues)? {
    if !reading {
      reading = true
      if let file {
        try flush()
        rewind(file.handle)
      }
      readOffset = 0
    }
    if readOffset >= bytes.count {
      guard let file else { return nil }
      bytes.removeAll(keepingCapacity: true)
      readOffset = 0
      // Reads whole lines: up to the last 0x01 of a block, the rest kept for the next.
      var block = [UInt8](repeating: 0, count: 1 << 20)
      let count = block.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file.handle) }
      if count == 0 { return nil }
      bytes = Array(block[0..<count])
      while bytes.last != 1 {
        var byte: Int32 = 0
        byte = getc(file.handle)
        if byte == EOF { break }
        bytes.append(UInt8(byte))
      }
    }
    var fields: [String] = []
    fields.reserveCapacity(4 + NamedValues.count)
    var start = readOffset
    while readOffset < bytes.count {
      let byte = bytes[readOffset]
      if byte == 0 {
        fields.append(String(decoding: bytes[start..<readOffset], as: UTF8.self))
        start = readOffset + 1
      } else if byte == 1 {
        break
      }
      readOffset += 1
    }
    readOffset += 1
    guard fields.count == 4 + NamedValues.count else { throw Self.failure("a temporary file was damaged") }
    let line = OrderLine(lineNumber: fields[0], sku: fields[2], quantity: fields[1], record: Int(fields[3]) ?? 0)
    let values = fields[4...].map { $0.isEmpty ? nil : String($0.dropFirst()) }
    return (line, NamedValues(all: Array(values)))
  }

  private static func failure(_ message: String) -> IngestError {
    IngestError(.unreadable, file: "", message: "\(message): \(String(cString: strerror(errno)))")
  }
}
