import CLibXML2
import Foundation

/// Reads order XML through libxml2's SAX2 push parser: the file is fed in
/// fixed-size chunks and the parser calls back per element and per run of
/// text, so memory stays constant whatever the file's size and no tree node
/// is ever built. No libxml2 type leaves this file. The root element decides
/// the format: CCW's `OrderDrop`, cXML or RosettaNet PIP 3A4 (SPEC §9); one
/// reader serves all three, each with its own element map.
///
/// Order files are untrusted: DTDs are refused before libxml2 sees them (and
/// again if the parser reports one), except the external-only DOCTYPE of cXML
/// and PIP 3A4, which is never fetched or read; entities other than XML's
/// five are errors, external entities are never loaded, and the network is
/// off.
public final class XMLOrderReader: OrderLineSource {
  private let input: XMLInput
  private let context: xmlParserCtxtPtr
  // The parsing state lives at a fixed address handed to the callbacks; as
  // stored properties of a class, each access per callback would go through
  // a dynamic exclusivity check.
  private let state: UnsafeMutablePointer<SAXState>
  private let chunk: UnsafeMutableRawBufferPointer
  private var finished = false

  /// Bytes handed to the parser per call, which is also what one batch of
  /// lines holds (about 870 CCW lines): large enough that the threads hand
  /// over a batch seldom, small enough that the lines in flight stay few.
  /// 256 KiB against 64 KiB took a 1M-line drop from 4.32 s to 3.97 s.
  static let chunkSize = 256 * 1024

  /// The options every order file is parsed with: no network, no entity
  /// substitution, no DTD loading, no recovery, big line numbers, CDATA as
  /// text.
  static let parseOptions: Int32 = Int32(
    XML_PARSE_NONET.rawValue | XML_PARSE_BIG_LINES.rawValue | XML_PARSE_NOCDATA.rawValue)

  public init(source: ByteSource, limits: InputLimits) throws(IngestError) {
    XMLLibrary.initialize()
    clibxml2_silence_generic_errors()
    input = XMLInput(source: source)
    state = .allocate(capacity: 1)
    state.initialize(to: SAXState(limits: limits, file: source.displayName))
    var handler = XMLLibrary.handler()
    guard let context = xmlCreatePushParserCtxt(&handler, state, nil, 0, nil) else {
      state.deinitialize(count: 1)
      state.deallocate()
      throw IngestError(.unreadable, file: source.displayName, message: "libxml2 could not create a parser")
    }
    self.context = context
    xmlCtxtUseOptions(context, Self.parseOptions)
    state.pointee.context = context
    chunk = .allocate(byteCount: Self.chunkSize, alignment: 16)
  }

  deinit {
    xmlFreeParserCtxt(context)
    state.deinitialize(count: 1)
    state.deallocate()
    chunk.deallocate()
  }

  public var bytesRead: Int64 { input.source.rawBytesRead }

  public func next() throws(IngestError) -> ParsedRecord? {
    while true {
      if let record = state.pointee.take() { return record }
      if let failure = state.pointee.failure { throw failure }
      if finished {
        if try state.pointee.drainWaiting() { continue }
        return nil
      }
      try feed()
    }
  }

  /// Hands over what the parser completed as it is: the array is swapped
  /// with the caller's, not copied record by record. A batch holds what one
  /// chunk of the file completed, so its size is bounded by the chunk's.
  public func nextBatch(into batch: inout [ParsedRecord], limit: Int) throws(IngestError) -> Bool {
    while true {
      if state.pointee.taken < state.pointee.ready.count {
        if state.pointee.taken == 0 && batch.isEmpty {
          swap(&batch, &state.pointee.ready)
        } else {
          batch.append(contentsOf: state.pointee.ready[state.pointee.taken...])
          state.pointee.ready.removeAll(keepingCapacity: true)
        }
        state.pointee.taken = 0
        return true
      }
      if let failure = state.pointee.failure { throw failure }
      if finished {
        if try state.pointee.drainWaiting() { continue }
        return false
      }
      try feed()
    }
  }

  /// Reads the next chunk of the file and parses it.
  private func feed() throws(IngestError) {
    let count = input.read(into: chunk)
    if count < 0 { throw parseFailure() }
    let status = xmlParseChunk(
      context, chunk.baseAddress?.assumingMemoryBound(to: CChar.self), count, count == 0 ? 1 : 0)
    if state.pointee.failure != nil { return }
    if status != 0 || state.pointee.firstError != nil {
      state.pointee.failure = parseFailure()
      return
    }
    if count == 0 {
      finished = true
      if !state.pointee.rootSeen || !state.pointee.rootClosed {
        state.pointee.failure = IngestError(
          .notWellFormed, file: input.source.displayName, line: state.pointee.currentLine(),
          message: "the document ends before its root element closes (truncated?)")
      }
    }
  }

  private func parseFailure() -> IngestError {
    if let failure = input.failure { return failure }
    if let failure = input.source.failure { return failure }
    if let error = state.pointee.firstError {
      return IngestError(
        .notWellFormed, file: input.source.displayName, line: error.line, column: error.column,
        message: "not well-formed XML: \(error.message)")
    }
    return IngestError(
      .notWellFormed, file: input.source.displayName, line: state.pointee.currentLine(),
      message: "not well-formed XML")
  }

  /// The parsing state behind a parser callback's context.
  fileprivate static func state(_ context: UnsafeMutableRawPointer?) -> UnsafeMutablePointer<SAXState>? {
    context?.assumingMemoryBound(to: SAXState.self)
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

/// The attributes of one start tag as SAX2 passes them: five pointers each
/// (local name, prefix, namespace, value start, value end).
struct Attributes {
  let base: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?
  let count: Int

  /// The trimmed value of the unprefixed attribute `name`, or "".
  func value(_ name: StaticString) -> String { value(name, prefixed: false) }

  /// The trimmed value of the attribute `name` with or without a prefix
  /// (`r:id` whatever the prefix is bound to), or "".
  func value(_ name: StaticString, prefixed: Bool) -> String {
    guard let base else { return "" }
    for index in 0..<count {
      let entry = base + index * 5
      guard entry[1] == nil || prefixed, let local = entry[0], let start = entry[3], let end = entry[4] else {
        continue
      }
      let length = name.utf8CodeUnitCount
      let found = UnsafeRawPointer(local).assumingMemoryBound(to: CChar.self)
      let wanted = UnsafeRawPointer(name.utf8Start).assumingMemoryBound(to: CChar.self)
      guard strncmp(found, wanted, length) == 0, found[length] == 0 else { continue }
      let bytes = UnsafeBufferPointer(start: start, count: end - start)
      // A value whose edges are not white space is its own trimmed text
      // (`trimmed` asks the same of the String's first and last bytes).
      if let first = bytes.first, let last = bytes.last, first > 0x20 && last > 0x20 { return Self.decode(bytes) }
      return trimmed(Self.decode(bytes))
    }
    return ""
  }

  /// Without entity substitution, libxml2 hands an attribute's `&` (written
  /// `&amp;` or `&#38;`) back as the five characters `&#38;`; a bare `&`
  /// cannot occur in a well-formed value, so every `&` starts that sequence.
  static func decode(_ bytes: UnsafeBufferPointer<xmlChar>) -> String {
    guard bytes.contains(0x26) else { return String(decoding: bytes, as: UTF8.self) }
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count)
    var index = 0
    while index < bytes.count {
      if bytes[index] == 0x26, index + 4 < bytes.count, bytes[index + 1] == 0x23, bytes[index + 2] == 0x33,
        bytes[index + 3] == 0x38, bytes[index + 4] == 0x3B
      {
        out.append(0x26)
        index += 5
      } else {
        out.append(bytes[index])
        index += 1
      }
    }
    return String(decoding: out, as: UTF8.self)
  }
}

/// The reading state behind the SAX2 callbacks: the order and line being
/// read, and the records completed but not yet taken.
private struct SAXState {
  let limits: InputLimits
  let file: String
  var context: xmlParserCtxtPtr?
  /// Depth of the element being read: the root is 0.
  var depth = -1
  var rootSeen = false
  var rootClosed = false
  /// The order being read: header values that its lines inherit.
  var order = OrderLine()
  var inOrder = false
  /// The line being read.
  var line = OrderLine()
  var inLine = false
  /// The value element being read, its depth, and its text so far.
  var field: Element?
  var fieldDepth = 0
  var text: [UInt8] = []
  /// Records completed by the last chunk, and how many were taken.
  var ready: [ParsedRecord] = []
  var taken = 0
  var failure: IngestError?
  /// The format, known once the root element opened.
  var dialect: XMLDialect?
  /// The element map of a cXML or PIP 3A4 document.
  var purchaseOrder: PurchaseOrderElements?
  /// The root a DOCTYPE named, when the prolog had one (cXML, PIP 3A4 only).
  var doctypeRoot: String?
  /// libxml2's first error, with its place.
  var firstError: (line: Int, column: Int, message: String)?

  init(limits: InputLimits, file: String) {
    self.limits = limits
    self.file = file
    text.reserveCapacity(256)
    ready.reserveCapacity(512)
  }

  mutating func take() -> ParsedRecord? {
    guard taken < ready.count else {
      if taken > 0 {
        ready.removeAll(keepingCapacity: true)
        taken = 0
      }
      return nil
    }
    taken += 1
    return ready[taken - 1]
  }

  func currentLine() -> Int {
    guard let input = context?.pointee.input else { return 0 }
    return Int(input.pointee.line)
  }

  /// Stops the parser: nothing more is called back after a refusal.
  mutating func fail(_ cause: IngestError.Cause, _ message: String) {
    guard failure == nil else { return }
    failure = IngestError(cause, file: file, line: currentLine(), message: message)
    if let context { xmlStopParser(context) }
  }

  mutating func record(error: xmlError) {
    guard firstError == nil, error.level.rawValue >= XML_ERR_ERROR.rawValue else { return }
    var message = error.message.map { String(cString: $0) } ?? "parse error"
    message = message.trimmingCharacters(in: .whitespacesAndNewlines)
    firstError = (Int(error.line), Int(error.int2), message)
  }

  mutating func start(_ name: UnsafePointer<xmlChar>?, namespace: UnsafePointer<xmlChar>?, attributes: Attributes) {
    depth += 1
    if depth >= limits.maxDepth {
      fail(.tooDeep, "elements nest deeper than limits.max_depth (\(limits.maxDepth))")
      return
    }
    if let namespace {
      let uri = String(cString: namespace)
      if uri.hasPrefix("http://www.w3.org/2001/XInclude") || uri.hasPrefix("http://www.w3.org/2003/XInclude") {
        fail(.xinclude, "XInclude is not allowed in order files; nothing was included")
        return
      }
    }
    if depth == 0 {
      startRoot(name)
      return
    }
    if dialect != .ccw {
      startPurchaseOrderElement(name, attributes: attributes)
      return
    }
    let element = Element(name)
    if field != nil { return }
    if depth == 1 && element == .order {
      order = OrderLine(
        webOrderID: attributes.value("webOrderId"), salesOrder: attributes.value("salesOrder"),
        purchaseOrder: attributes.value("purchaseOrder"), orderDate: attributes.value("orderDate"),
        partner: attributes.value("partner"))
      inOrder = true
      return
    }
    guard inOrder else { return }
    if depth == 2 && element == .line {
      line = order
      line.lineNumber = attributes.value("number")
      line.record = currentLine()
      inLine = true
      return
    }
    let isValue: Bool
    switch element {
    case .endCustomer, .smartAccount, .virtualAccount: isValue = depth == 2 || (depth == 3 && inLine)
    case .sku, .quantity, .licenseType, .termMonths, .startDate, .partner: isValue = depth == 3 && inLine
    default: isValue = false
    }
    guard isValue else { return }
    field = element
    fieldDepth = depth
    text.removeAll(keepingCapacity: true)
  }

  private mutating func startRoot(_ name: UnsafePointer<xmlChar>?) {
    let found = name.map { String(cString: $0) } ?? ""
    guard let dialect = XMLDialect(root: found) else {
      fail(.unknownRoot, "the root element is <\(found)>, not <OrderDrop>, <cXML> or <Pip3A4PurchaseOrderRequest>")
      return
    }
    if let doctypeRoot, doctypeRoot != found || dialect == .ccw {
      fail(.doctype, "a DOCTYPE is accepted only on cXML and PIP 3A4 documents, naming their root")
      return
    }
    self.dialect = dialect
    if dialect != .ccw { purchaseOrder = PurchaseOrderElements(dialect: dialect) }
    rootSeen = true
  }

  private mutating func startPurchaseOrderElement(_ name: UnsafePointer<xmlChar>?, attributes: Attributes) {
    guard var elements = purchaseOrder else { return }
    purchaseOrder = nil
    defer { purchaseOrder = elements }
    do throws(IngestError) {
      try elements.start(name.map { String(cString: $0) } ?? "", record: currentLine()) { attributes.value($0) }
    } catch {
      fail(error.cause, error.message)
    }
  }

  /// Moves lines a PIP 3A4 document kept until its end into `ready`.
  mutating func drainWaiting() throws(IngestError) -> Bool {
    guard purchaseOrder?.waiting != nil else { return false }
    do throws(IngestError) {
      return try purchaseOrder?.drain(into: &ready, limit: 512) ?? false
    } catch {
      throw IngestError(error.cause, file: file, message: error.message)
    }
  }

  mutating func end(_ name: UnsafePointer<xmlChar>?) {
    defer { depth -= 1 }
    if depth == 0 {
      rootClosed = true
      return
    }
    if dialect != .ccw {
      guard var elements = purchaseOrder else { return }
      purchaseOrder = nil
      defer { purchaseOrder = elements }
      do throws(IngestError) {
        if let line = try elements.end() { ready.append(.line(line)) }
      } catch {
        fail(error.cause, error.message)
      }
      return
    }
    if let current = field {
      guard depth == fieldDepth else { return }
      assign(current, Self.trimmedValue(text), depth: depth)
      field = nil
      return
    }
    if depth == 2 && inLine && Element(name) == .line {
      inLine = false
      ready.append(.line(line))
      return
    }
    if depth == 1 && inOrder && Element(name) == .order { inOrder = false }
  }

  /// The text with surrounding white space removed: ASCII white space on the
  /// bytes themselves, before any `String` is made; a value that starts or
  /// ends with another character goes through `trimmed` for Unicode spaces.
  static func trimmedValue(_ text: [UInt8]) -> String {
    var lower = 0
    var upper = text.count
    while lower < upper && isASCIISpace(text[lower]) { lower += 1 }
    while upper > lower && isASCIISpace(text[upper - 1]) { upper -= 1 }
    if lower == upper { return "" }
    let value = String(decoding: text[lower..<upper], as: UTF8.self)
    return text[lower] < 0x80 && text[upper - 1] < 0x80 ? value : trimmed(value)
  }

  private static func isASCIISpace(_ byte: UInt8) -> Bool {
    byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 || byte == 0x0B || byte == 0x0C
  }

  mutating func characters(_ bytes: UnsafePointer<xmlChar>?, _ count: Int32) {
    if dialect != .ccw, purchaseOrder?.isCapturing == true, let bytes, count > 0 {
      purchaseOrder?.characters(UnsafeBufferPointer(start: bytes, count: Int(count)))
      if (purchaseOrder?.text.count ?? 0) > limits.maxFieldBytes {
        fail(.fieldTooLong, "a value is longer than limits.max_field_bytes (\(limits.maxFieldBytes) bytes)")
      }
      return
    }
    guard field != nil, let bytes, count > 0 else { return }
    text.append(contentsOf: UnsafeBufferPointer(start: bytes, count: Int(count)))
    if text.count > limits.maxFieldBytes {
      fail(.fieldTooLong, "a value is longer than limits.max_field_bytes (\(limits.maxFieldBytes) bytes)")
    }
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
    // Order files never need an external resource: refuse every one. The
    // loader runs inside the parser that asked, so it only answers: touching
    // that parser (resetting or freeing it) would pull it from under itself.
    xmlSetExternalEntityLoader { _, _, _ in nil }
  }()

  static func initialize() { _ = setUp }

  /// The callbacks of every order-file parser. Only elements and text are
  /// handled; a document type or entity declaration the prolog check missed
  /// is refused, and errors are recorded with their place instead of printed.
  static func handler() -> xmlSAXHandler {
    var handler = xmlSAXHandler()
    handler.initialized = UInt32(XML_SAX2_MAGIC)
    handler.startElementNs = { context, name, _, namespace, _, _, attributeCount, _, attributes in
      XMLOrderReader.state(context)?.pointee.start(
        name, namespace: namespace, attributes: Attributes(base: attributes, count: Int(attributeCount)))
    }
    handler.endElementNs = { context, name, _, _ in
      XMLOrderReader.state(context)?.pointee.end(name)
    }
    handler.characters = { context, bytes, count in
      XMLOrderReader.state(context)?.pointee.characters(bytes, count)
    }
    handler.cdataBlock = handler.characters
    handler.ignorableWhitespace = handler.characters
    // The prolog check lets through only `<!DOCTYPE cXML SYSTEM "…">` (or
    // PIP 3A4's root) with no internal subset: remember the root it names;
    // its external subset is never loaded. Any declaration is refused.
    handler.internalSubset = { context, name, _, _ in
      guard let state = XMLOrderReader.state(context) else { return }
      let root = name.map { String(cString: $0) } ?? ""
      guard XMLDialect.rootsWithDoctype.contains(root), state.pointee.doctypeRoot == nil else {
        state.pointee.fail(.doctype, "DOCTYPE and entity declarations are not allowed in order files")
        return
      }
      state.pointee.doctypeRoot = root
    }
    handler.externalSubset = { _, _, _, _ in }
    handler.entityDecl = { context, _, _, _, _, _ in
      XMLOrderReader.state(context)?.pointee.fail(
        .doctype, "DOCTYPE and entity declarations are not allowed in order files")
    }
    handler.elementDecl = { context, _, _, _ in
      XMLOrderReader.state(context)?.pointee.fail(.doctype, "declarations are not allowed in order files")
    }
    handler.attributeDecl = { context, _, _, _, _, _, _ in
      XMLOrderReader.state(context)?.pointee.fail(.doctype, "declarations are not allowed in order files")
    }
    handler.notationDecl = { context, _, _, _ in
      XMLOrderReader.state(context)?.pointee.fail(.doctype, "declarations are not allowed in order files")
    }
    handler.unparsedEntityDecl = { context, _, _, _, _ in
      XMLOrderReader.state(context)?.pointee.fail(.doctype, "declarations are not allowed in order files")
    }
    // With an external subset that is never read, libxml2 lets a reference
    // to an undeclared entity through: refuse it rather than drop its text.
    handler.reference = { context, name in
      let found = name.map { String(cString: $0) } ?? ""
      XMLOrderReader.state(context)?.pointee.fail(
        .doctype, "the entity &\(found); is not declared; only XML's five and character references are allowed")
    }
    handler.serror = { context, error in
      guard let state = XMLOrderReader.state(context), let error else { return }
      state.pointee.record(error: error.pointee)
    }
    return handler
  }
}

/// The bytes libxml2 reads, with the prolog checked for a DOCTYPE before any
/// of it reaches the parser.
final class XMLInput {
  let source: ByteSource
  private(set) var failure: IngestError?
  private var scanner = PrologScanner()

  init(source: ByteSource) { self.source = source }

  func read(into buffer: UnsafeMutableRawBufferPointer) -> Int32 {
    if failure != nil { return -1 }
    do {
      let count = try source.read(into: buffer)
      if !scanner.done, let refusal = scanner.scan(UnsafeRawBufferPointer(rebasing: buffer[0..<count])) {
        failure = IngestError(.doctype, file: source.displayName, line: refusal.line, message: refusal.reason)
        return -1
      }
      return Int32(count)
    } catch {
      failure = error
      return -1
    }
  }
}

/// Looks at the document's prolog (before the root element) for `<!DOCTYPE`,
/// skipping comments and processing instructions. Handles UTF-8 and UTF-16.
/// The only DOCTYPE let through is cXML's (or PIP 3A4's) with an external
/// identifier and no internal subset: `<!DOCTYPE cXML SYSTEM "…cXML.dtd">`.
struct PrologScanner {
  /// Why a prolog is refused, and where.
  struct Refusal: Equatable {
    var line: Int
    var reason: String
  }

  private(set) var done = false
  private var line = 1
  private var recent: [UInt8] = []
  private var state = State.text
  private var encoding = Encoding.undecided
  private var head: [UInt8] = []
  private var pendingByte: UInt8?
  private var declaration: [UInt8] = []
  private var declarationQuote: UInt8?
  private var doctypeSeen = false

  private enum State { case text, comment, instruction, doctype }

  static let forbidden = "DOCTYPE and entity declarations are not allowed in order files"
  private enum Encoding { case undecided, bytes, littleEndian, bigEndian }

  /// Feeds bytes; returns a refusal when a forbidden declaration is found.
  mutating func scan(_ bytes: UnsafeRawBufferPointer) -> Refusal? {
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

  private mutating func feed(_ byte: UInt8) -> Refusal? {
    if encoding == .bytes { return unit(byte) }
    guard let first = pendingByte else {
      pendingByte = byte
      return nil
    }
    pendingByte = nil
    let (low, high) = encoding == .littleEndian ? (first, byte) : (byte, first)
    return unit(high == 0 ? low : 0x80)
  }

  private mutating func unit(_ byte: UInt8) -> Refusal? {
    if byte == 0x0A { line += 1 }
    if state == .doctype { return declarationUnit(byte) }
    recent.append(byte)
    if recent.count > 9 { recent.removeFirst(recent.count - 9) }
    switch state {
    case .comment:
      if ends(with: "-->") { state = .text; recent.removeAll() }
    case .instruction:
      if ends(with: "?>") { state = .text; recent.removeAll() }
    case .doctype:
      break
    case .text:
      if ends(with: "<!--") { state = .comment; recent.removeAll(); return nil }
      if ends(with: "<?") { state = .instruction; recent.removeAll(); return nil }
      if ends(with: "<!DOCTYPE") && !doctypeSeen {
        state = .doctype
        doctypeSeen = true
        declaration.removeAll()
        recent.removeAll()
        return nil
      }
      if ends(with: "<!DOCTYPE") || ends(with: "<!ENTITY") {
        done = true
        return Refusal(line: line, reason: Self.forbidden)
      }
      if recent.count >= 2, recent[recent.count - 2] == 0x3C {
        let isNameStart =
          (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F || byte == 0x3A
          || byte >= 0x80
        if isNameStart { done = true }
      }
    }
    return nil
  }

  /// One byte of a DOCTYPE declaration: read to its `>` (outside quotes);
  /// a `[` there opens an internal subset, which is always refused.
  private mutating func declarationUnit(_ byte: UInt8) -> Refusal? {
    if let quote = declarationQuote {
      if byte == quote { declarationQuote = nil }
      declaration.append(byte)
    } else if byte == 0x22 || byte == 0x27 {
      declarationQuote = byte
      declaration.append(byte)
    } else if byte == 0x5B {
      done = true
      return Refusal(line: line, reason: "a DOCTYPE with an internal subset is not allowed in order files")
    } else if byte == 0x3E {
      state = .text
      if let reason = Self.check(declaration) {
        done = true
        return Refusal(line: line, reason: reason)
      }
      return nil
    } else {
      declaration.append(byte)
    }
    if declaration.count > 2048 {
      done = true
      return Refusal(line: line, reason: "the DOCTYPE declaration is too long")
    }
    return nil
  }

  /// Nil when `<!DOCTYPE` + `text` + `>` is an accepted declaration: a root
  /// of `XMLDialect.rootsWithDoctype`, then `SYSTEM "…"` or `PUBLIC "…" "…"`.
  static func check(_ text: [UInt8]) -> String? {
    var tokens: [String] = []
    var index = 0
    func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }
    while index < text.count {
      if isSpace(text[index]) {
        index += 1
        continue
      }
      let start = index
      if text[index] == 0x22 || text[index] == 0x27 {
        let quote = text[index]
        index += 1
        while index < text.count && text[index] != quote { index += 1 }
        guard index < text.count else { return forbidden }
        index += 1
        tokens.append(String(decoding: text[start..<index], as: UTF8.self))
      } else {
        while index < text.count && !isSpace(text[index]) && text[index] != 0x22 && text[index] != 0x27 { index += 1 }
        tokens.append(String(decoding: text[start..<index], as: UTF8.self))
      }
    }
    guard let root = tokens.first, XMLDialect.rootsWithDoctype.contains(root) else {
      return "a DOCTYPE is accepted only on cXML and PIP 3A4 documents; \(forbidden)"
    }
    func isLiteral(_ token: String) -> Bool { token.count >= 2 && (token.hasPrefix("\"") || token.hasPrefix("'")) }
    let rest = tokens.dropFirst()
    switch rest.first {
    case "SYSTEM" where rest.count == 2 && isLiteral(rest[rest.startIndex + 1]): return nil
    case "PUBLIC" where rest.count == 3 && isLiteral(rest[rest.startIndex + 1]) && isLiteral(rest[rest.startIndex + 2]):
      return nil
    default: return "the DOCTYPE must name its DTD by an external identifier only; \(forbidden)"
    }
  }

  private func ends(with text: String) -> Bool {
    let pattern = text.utf8
    guard recent.count >= pattern.count else { return false }
    return recent[(recent.count - pattern.count)...].elementsEqual(pattern)
  }
}
