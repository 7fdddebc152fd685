import CLibXML2
import Foundation

/// Reads CCW order XML through libxml2's streaming `xmlTextReader`: memory
/// stays constant whatever the file's size. No libxml2 type leaves this file.
///
/// Order files are untrusted: DTDs are refused before libxml2 sees them,
/// external entities are never loaded, and the network is off.
public final class XMLOrderReader: OrderLineSource {
  private let input: XMLInput
  private let reader: xmlTextReaderPtr
  // The parsing state is a struct worked on by one mutating call per line:
  // as stored properties of a class, each access per node went through a
  // dynamic exclusivity check.
  private var scan: XMLScan

  /// The options every order file is parsed with: no network, no entity
  /// substitution, no DTD loading, no recovery, big line numbers, and no
  /// nodes for the white space between elements (about half the nodes of an
  /// indented order file, and nothing a value needs: values are trimmed).
  static let parseOptions: Int32 = Int32(
    XML_PARSE_NONET.rawValue | XML_PARSE_BIG_LINES.rawValue | XML_PARSE_NOCDATA.rawValue
      | XML_PARSE_NOBLANKS.rawValue)

  public init(source: ByteSource, limits: InputLimits) throws(IngestError) {
    XMLLibrary.initialize()
    clibxml2_silence_generic_errors()
    input = XMLInput(source: source)
    let context = Unmanaged.passUnretained(input).toOpaque()
    guard
      let reader = xmlReaderForIO(
        { context, buffer, length -> Int32 in
          guard let context, let buffer else { return -1 }
          let input = Unmanaged<XMLInput>.fromOpaque(context).takeUnretainedValue()
          return input.read(into: UnsafeMutableRawBufferPointer(start: buffer, count: Int(length)))
        }, nil, context, nil, nil, Self.parseOptions)
    else {
      throw IngestError(.unreadable, file: source.displayName, message: "libxml2 could not create a reader")
    }
    self.reader = reader
    xmlTextReaderSetStructuredErrorHandler(
      reader,
      { context, error in
        guard let context, let error else { return }
        let input = Unmanaged<XMLInput>.fromOpaque(context).takeUnretainedValue()
        input.record(error: error.pointee)
      }, context)
    scan = XMLScan(reader: reader, input: input, limits: limits, file: source.displayName)
  }

  deinit { xmlFreeTextReader(reader) }

  public var bytesRead: Int64 { input.source.rawBytesRead }

  public func next() throws(IngestError) -> ParsedRecord? {
    try scan.next()
  }
}

/// The elements of an order file that carry values.
private enum Element {
  case orderDrop, order, line, endCustomer, smartAccount, virtualAccount, sku, quantity, licenseType, termMonths
  case startDate, partner, other

  /// The element a local name denotes, compared in place (no `String` per node).
  init(_ name: UnsafePointer<xmlChar>?) {
    guard let name else {
      self = .other
      return
    }
    let text = UnsafeRawPointer(name).assumingMemoryBound(to: CChar.self)
    switch text[0] {
    case 0x4F:  // O
      self = strcmp(text, "Order") == 0 ? .order : (strcmp(text, "OrderDrop") == 0 ? .orderDrop : .other)
    case 0x4C:  // L
      self = strcmp(text, "Line") == 0 ? .line : (strcmp(text, "LicenseType") == 0 ? .licenseType : .other)
    case 0x53:  // S
      if strcmp(text, "Sku") == 0 {
        self = .sku
      } else if strcmp(text, "SmartAccount") == 0 {
        self = .smartAccount
      } else {
        self = strcmp(text, "StartDate") == 0 ? .startDate : .other
      }
    case 0x51: self = strcmp(text, "Quantity") == 0 ? .quantity : .other  // Q
    case 0x54: self = strcmp(text, "TermMonths") == 0 ? .termMonths : .other  // T
    case 0x56: self = strcmp(text, "VirtualAccount") == 0 ? .virtualAccount : .other  // V
    case 0x45: self = strcmp(text, "EndCustomer") == 0 ? .endCustomer : .other  // E
    case 0x50: self = strcmp(text, "Partner") == 0 ? .partner : .other  // P
    default: self = .other
    }
  }
}

/// The reading state of `XMLOrderReader`.
private struct XMLScan {
  let reader: xmlTextReaderPtr
  let input: XMLInput
  let limits: InputLimits
  let file: String
  var finished = false
  var rootSeen = false
  var rootClosed = false
  /// The order being read: header values that its lines inherit.
  var order = OrderLine()
  var inOrder = false
  /// The line being read.
  var line = OrderLine()
  var inLine = false
  /// The value element being read, and its text so far.
  var field: Element?
  var text = ""

  init(reader: xmlTextReaderPtr, input: XMLInput, limits: InputLimits, file: String) {
    self.reader = reader
    self.input = input
    self.limits = limits
    self.file = file
  }

  private func failure(_ cause: IngestError.Cause, _ message: String, line lineNumber: Int? = nil) -> IngestError {
    IngestError(cause, file: file, line: lineNumber ?? currentLine(), message: message)
  }

  private func currentLine() -> Int { Int(xmlTextReaderGetParserLineNumber(reader)) }

  private func nodeLine() -> Int {
    guard let node = xmlTextReaderCurrentNode(reader) else { return currentLine() }
    return Int(xmlGetLineNo(node))
  }

  private func parseFailure() -> IngestError {
    if let failure = input.failure { return failure }
    if let failure = input.source.failure { return failure }
    if let error = input.firstError {
      return IngestError(
        .notWellFormed, file: file, line: error.line, column: error.column,
        message: "not well-formed XML: \(error.message)")
    }
    return failure(.notWellFormed, "not well-formed XML")
  }

  private func attribute(_ name: String) -> String {
    guard let value = xmlTextReaderGetAttribute(reader, name) else { return "" }
    defer { clibxml2_free(value) }
    return trimmed(String(cString: value))
  }

  private func localName() -> String {
    guard let name = xmlTextReaderConstLocalName(reader) else { return "" }
    return String(cString: name)
  }

  mutating func next() throws(IngestError) -> ParsedRecord? {
    if finished { return nil }
    while true {
      let status = xmlTextReaderRead(reader)
      if status < 0 { throw parseFailure() }
      if status == 0 {
        finished = true
        if input.failure != nil || input.firstError != nil { throw parseFailure() }
        guard rootSeen, rootClosed else {
          throw failure(.notWellFormed, "the document ends before its root element closes (truncated?)")
        }
        return nil
      }
      switch xmlTextReaderNodeType(reader) {
      case Int32(XML_READER_TYPE_ELEMENT.rawValue):
        let depth = Int(xmlTextReaderDepth(reader))
        if depth >= limits.maxDepth {
          throw failure(
            .tooDeep, "elements nest deeper than limits.max_depth (\(limits.maxDepth))", line: nodeLine())
        }
        if let namespace = xmlTextReaderConstNamespaceUri(reader) {
          let uri = String(cString: namespace)
          if uri.hasPrefix("http://www.w3.org/2001/XInclude") || uri.hasPrefix("http://www.w3.org/2003/XInclude") {
            throw failure(.xinclude, "XInclude is not allowed in order files; nothing was included", line: nodeLine())
          }
        }
        let element = Element(xmlTextReaderConstLocalName(reader))
        let empty = xmlTextReaderIsEmptyElement(reader) == 1
        if depth == 0 {
          guard element == .orderDrop else {
            throw failure(.unknownRoot, "the root element is <\(localName())>, not <OrderDrop>", line: nodeLine())
          }
          rootSeen = true
          if empty { rootClosed = true }
          continue
        }
        if let result = start(element, depth: depth, empty: empty) { return result }
      case Int32(XML_READER_TYPE_END_ELEMENT.rawValue):
        let depth = Int(xmlTextReaderDepth(reader))
        if depth == 0 {
          rootClosed = true
          continue
        }
        if let result = end(Element(xmlTextReaderConstLocalName(reader)), depth: depth) { return result }
      case Int32(XML_READER_TYPE_TEXT.rawValue), Int32(XML_READER_TYPE_CDATA.rawValue),
        Int32(XML_READER_TYPE_SIGNIFICANT_WHITESPACE.rawValue):
        guard field != nil, let value = xmlTextReaderConstValue(reader) else { continue }
        if text.isEmpty {
          text = String(cString: value)
        } else {
          text += String(cString: value)
        }
        if text.utf8.count > limits.maxFieldBytes {
          throw failure(
            .fieldTooLong, "a value is longer than limits.max_field_bytes (\(limits.maxFieldBytes) bytes)")
        }
      case Int32(XML_READER_TYPE_DOCUMENT_TYPE.rawValue), Int32(XML_READER_TYPE_ENTITY_REFERENCE.rawValue),
        Int32(XML_READER_TYPE_ENTITY.rawValue):
        throw failure(
          .doctype, "DOCTYPE and entity declarations are not allowed in order files", line: nodeLine())
      default:
        continue
      }
    }
  }

  private mutating func start(_ element: Element, depth: Int, empty: Bool) -> ParsedRecord? {
    if depth == 1 && element == .order {
      order = OrderLine(
        webOrderID: attribute("webOrderId"), salesOrder: attribute("salesOrder"),
        purchaseOrder: attribute("purchaseOrder"), orderDate: attribute("orderDate"),
        partner: attribute("partner"))
      inOrder = !empty
      return nil
    }
    guard inOrder else { return nil }
    if depth == 2 && element == .line {
      line = order
      line.lineNumber = attribute("number")
      line.record = nodeLine()
      if empty { return .line(line) }
      inLine = true
      return nil
    }
    let isValue: Bool
    switch element {
    case .endCustomer, .smartAccount, .virtualAccount: isValue = depth == 2 || (depth == 3 && inLine)
    case .sku, .quantity, .licenseType, .termMonths, .startDate, .partner: isValue = depth == 3 && inLine
    default: isValue = false
    }
    guard isValue else { return nil }
    if empty {
      assign(element, "", depth: depth)
    } else {
      field = element
      text = ""
    }
    return nil
  }

  private mutating func end(_ element: Element, depth: Int) -> ParsedRecord? {
    if let current = field, depth >= 2 {
      assign(current, trimmed(text), depth: depth)
      field = nil
      return nil
    }
    if depth == 2 && element == .line && inLine {
      inLine = false
      return .line(line)
    }
    if depth == 1 && element == .order { inOrder = false }
    return nil
  }

  private mutating func assign(_ element: Element, _ value: String, depth: Int) {
    if depth == 2 {
      switch element {
      case .endCustomer: order.endCustomer = value
      case .smartAccount: order.smartAccount = value
      case .virtualAccount: order.virtualAccount = value
      default: break
      }
      return
    }
    switch element {
    case .sku: line.sku = value
    case .quantity: line.quantity = value
    case .licenseType: line.licenseType = value
    case .termMonths: line.termMonths = value
    case .startDate: line.startDate = value
    case .smartAccount: line.smartAccount = value
    case .virtualAccount: line.virtualAccount = value
    case .endCustomer: line.endCustomer = value
    case .partner: line.partner = value
    default: break
    }
  }
}

/// Process-wide libxml2 set-up, done once.
enum XMLLibrary {
  private static let setUp: Void = {
    xmlInitParser()
    // Order files never need an external resource: refuse every one.
    xmlSetExternalEntityLoader { _, _, context in
      if let context {
        xmlCtxtReset(context)
      }
      return nil
    }
  }()

  static func initialize() { _ = setUp }
}

/// The bytes libxml2 reads, with the prolog checked for a DOCTYPE before any
/// of it reaches the parser, and the first parse error kept with its location.
final class XMLInput {
  let source: ByteSource
  private(set) var failure: IngestError?
  private(set) var firstError: (line: Int, column: Int, message: String)?
  private var scanner = PrologScanner()

  init(source: ByteSource) { self.source = source }

  func read(into buffer: UnsafeMutableRawBufferPointer) -> Int32 {
    if failure != nil { return -1 }
    do {
      let count = try source.read(into: buffer)
      if !scanner.done, let line = scanner.scan(UnsafeRawBufferPointer(rebasing: buffer[0..<count])) {
        failure = IngestError(
          .doctype, file: source.displayName, line: line,
          message: "DOCTYPE and entity declarations are not allowed in order files")
        return -1
      }
      return Int32(count)
    } catch {
      failure = error
      return -1
    }
  }

  func record(error: xmlError) {
    guard firstError == nil, error.level.rawValue >= XML_ERR_ERROR.rawValue else { return }
    var message = error.message.map { String(cString: $0) } ?? "parse error"
    message = message.trimmingCharacters(in: .whitespacesAndNewlines)
    firstError = (Int(error.line), Int(error.int2), message)
  }
}

/// Looks at the document's prolog (before the root element) for `<!DOCTYPE`,
/// skipping comments and processing instructions. Handles UTF-8 and UTF-16.
struct PrologScanner {
  private(set) var done = false
  private var line = 1
  private var recent: [UInt8] = []
  private var state = State.text
  private var encoding = Encoding.undecided
  private var head: [UInt8] = []
  private var pendingByte: UInt8?

  private enum State { case text, comment, instruction }
  private enum Encoding { case undecided, bytes, littleEndian, bigEndian }

  /// Feeds bytes; returns the line of a DOCTYPE when one is found.
  mutating func scan(_ bytes: UnsafeRawBufferPointer) -> Int? {
    for byte in bytes {
      if done { return nil }
      if encoding == .undecided {
        head.append(byte)
        guard head.count == 2 else { continue }
        switch (head[0], head[1]) {
        case (0xFF, 0xFE): encoding = .littleEndian; continue
        case (0xFE, 0xFF): encoding = .bigEndian; continue
        case (0x3C, 0x00): encoding = .littleEndian
        case (0x00, 0x3C): encoding = .bigEndian
        default: encoding = .bytes
        }
        for value in head { if let line = feed(value) { return line } }
        continue
      }
      if let line = feed(byte) { return line }
    }
    return nil
  }

  private mutating func feed(_ byte: UInt8) -> Int? {
    if encoding == .bytes { return unit(byte) }
    guard let first = pendingByte else {
      pendingByte = byte
      return nil
    }
    pendingByte = nil
    let (low, high) = encoding == .littleEndian ? (first, byte) : (byte, first)
    return unit(high == 0 ? low : 0x80)
  }

  private mutating func unit(_ byte: UInt8) -> Int? {
    if byte == 0x0A { line += 1 }
    recent.append(byte)
    if recent.count > 9 { recent.removeFirst(recent.count - 9) }
    switch state {
    case .comment:
      if ends(with: "-->") { state = .text; recent.removeAll() }
    case .instruction:
      if ends(with: "?>") { state = .text; recent.removeAll() }
    case .text:
      if ends(with: "<!--") { state = .comment; recent.removeAll(); return nil }
      if ends(with: "<?") { state = .instruction; recent.removeAll(); return nil }
      if ends(with: "<!DOCTYPE") || ends(with: "<!ENTITY") { done = true; return line }
      if recent.count >= 2, recent[recent.count - 2] == 0x3C {
        let isNameStart =
          (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F || byte == 0x3A
          || byte >= 0x80
        if isNameStart { done = true }
      }
    }
    return nil
  }

  private func ends(with text: String) -> Bool {
    let pattern = text.utf8
    guard recent.count >= pattern.count else { return false }
    return recent[(recent.count - pattern.count)...].elementsEqual(pattern)
  }
}
