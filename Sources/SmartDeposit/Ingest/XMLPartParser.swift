import CLibXML2
import Foundation

/// Receives the SAX events of one XML part of a workbook.
protocol XMLPartHandler: AnyObject {
  func start(_ name: UnsafePointer<xmlChar>, attributes: Attributes, parser: XMLPartParser)
  func end(_ name: UnsafePointer<xmlChar>, parser: XMLPartParser)
  func characters(_ bytes: UnsafeBufferPointer<UInt8>, parser: XMLPartParser)
}

/// A libxml2 SAX2 push parser over one XML part of a workbook (sheet, shared
/// strings, styles, relationships), fed chunk by chunk as the zip entry is
/// inflated. It has the defences of order XML: the same parse options, no
/// DOCTYPE at all (checked before libxml2 sees the bytes and again in the
/// callbacks), no entity, no external resource, a depth limit.
final class XMLPartParser {
  let part: String
  let file: String
  private let context: xmlParserCtxtPtr
  // The handler outlives its parser (the caller holds both); `unowned(unsafe)`
  // spares a reference count per callback.
  fileprivate unowned(unsafe) let handler: XMLPartHandler
  private var scanner = PrologScanner()
  private let maxDepth: Int
  @exclusivity(unchecked) private(set) var depth = -1
  @exclusivity(unchecked) private(set) var failure: IngestError?
  fileprivate var firstError: (line: Int, column: Int, message: String)?
  private var rootClosed = false

  init(part: String, file: String, handler: XMLPartHandler, maxDepth: Int) throws(IngestError) {
    XMLLibrary.initialize()
    self.part = part
    self.file = file
    self.handler = handler
    self.maxDepth = maxDepth
    var callbacks = Self.callbacks()
    guard let context = xmlCreatePushParserCtxt(&callbacks, nil, nil, 0, nil) else {
      throw IngestError(.unreadable, file: file, message: "libxml2 could not create a parser")
    }
    self.context = context
    xmlCtxtUseOptions(context, XMLOrderReader.parseOptions)
    context.pointee.userData = Unmanaged.passUnretained(self).toOpaque()
  }

  deinit { xmlFreeParserCtxt(context) }

  var line: Int { Int(context.pointee.input?.pointee.line ?? 0) }

  /// Stops the parser with a refusal; nothing more is called back.
  func fail(_ cause: IngestError.Cause, _ message: String) {
    guard failure == nil else { return }
    failure = IngestError(cause, file: file, line: line, message: "\(part): \(message)")
    xmlStopParser(context)
  }

  /// Parses the next bytes of the part.
  func feed(_ bytes: UnsafeRawBufferPointer) throws(IngestError) {
    if let failure { throw failure }
    if !scanner.done, let refusal = scanner.scan(bytes) {
      throw IngestError(.doctype, file: file, line: refusal.line, message: "\(part): \(refusal.reason)")
    }
    let status = xmlParseChunk(
      context, bytes.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(bytes.count), 0)
    try check(status)
  }

  /// Ends the part: it must have been well-formed to its root's end.
  func finish() throws(IngestError) {
    if let failure { throw failure }
    try check(xmlParseChunk(context, nil, 0, 1))
    if !rootClosed {
      throw IngestError(
        .invalidWorkbook, file: file, line: line, message: "\(part) ends before its root element closes")
    }
  }

  private func check(_ status: Int32) throws(IngestError) {
    if let failure { throw failure }
    if status != 0 || firstError != nil {
      let error = firstError ?? (line, 0, "parse error")
      throw IngestError(
        .notWellFormed, file: file, line: error.line, column: error.column,
        message: "\(part) is not well-formed XML: \(error.message)")
    }
  }

  fileprivate static func parser(_ context: UnsafeMutableRawPointer?) -> XMLPartParser? {
    context.map { Unmanaged<XMLPartParser>.fromOpaque($0).takeUnretainedValue() }
  }

  fileprivate func started(_ name: UnsafePointer<xmlChar>?, _ attributes: Attributes) {
    depth += 1
    if depth >= maxDepth {
      fail(.tooDeep, "elements nest deeper than limits.max_depth (\(maxDepth))")
      return
    }
    guard let name, failure == nil else { return }
    handler.start(name, attributes: attributes, parser: self)
  }

  fileprivate func ended(_ name: UnsafePointer<xmlChar>?) {
    defer { depth -= 1 }
    if depth == 0 { rootClosed = true }
    guard let name, failure == nil else { return }
    handler.end(name, parser: self)
  }

  private static func callbacks() -> xmlSAXHandler {
    var callbacks = xmlSAXHandler()
    callbacks.initialized = UInt32(XML_SAX2_MAGIC)
    callbacks.startElementNs = { context, name, _, _, _, _, attributeCount, _, attributes in
      XMLPartParser.parser(context)?.started(name, Attributes(base: attributes, count: Int(attributeCount)))
    }
    callbacks.endElementNs = { context, name, _, _ in XMLPartParser.parser(context)?.ended(name) }
    callbacks.characters = { context, bytes, count in
      guard let parser = XMLPartParser.parser(context), parser.failure == nil, let bytes, count > 0 else { return }
      parser.handler.characters(UnsafeBufferPointer(start: bytes, count: Int(count)), parser: parser)
    }
    callbacks.cdataBlock = callbacks.characters
    callbacks.ignorableWhitespace = callbacks.characters
    callbacks.internalSubset = { context, _, _, _ in
      XMLPartParser.parser(context)?.fail(.doctype, "DOCTYPE and entity declarations are not allowed in a workbook")
    }
    callbacks.entityDecl = { context, _, _, _, _, _ in
      XMLPartParser.parser(context)?.fail(.doctype, "DOCTYPE and entity declarations are not allowed in a workbook")
    }
    callbacks.reference = { context, _ in
      XMLPartParser.parser(context)?.fail(.doctype, "entity references are not allowed in a workbook")
    }
    callbacks.serror = { context, error in
      guard let parser = XMLPartParser.parser(context), let error, parser.firstError == nil,
        error.pointee.level.rawValue >= XML_ERR_ERROR.rawValue
      else { return }
      let message = error.pointee.message.map { String(cString: $0) } ?? "parse error"
      parser.firstError = (
        Int(error.pointee.line), Int(error.pointee.int2), message.trimmingCharacters(in: .whitespacesAndNewlines)
      )
    }
    return callbacks
  }
}

extension UnsafePointer where Pointee == xmlChar {
  /// Whether this NUL-terminated name is `name` (compared in place).
  @inline(__always)
  func isNamed(_ name: StaticString) -> Bool {
    let wanted = UnsafeRawPointer(name.utf8Start).assumingMemoryBound(to: CChar.self)
    return strcmp(UnsafeRawPointer(self).assumingMemoryBound(to: CChar.self), wanted) == 0
  }
}

extension Attributes {
  /// The raw bytes of the attribute `name` (any prefix), without a copy; nil when absent.
  func raw(_ name: StaticString) -> UnsafeBufferPointer<xmlChar>? {
    guard let base else { return nil }
    for index in 0..<count {
      let entry = base + index * 5
      guard let local = entry[0], let start = entry[3], let end = entry[4], local.isNamed(name) else { continue }
      return UnsafeBufferPointer(start: start, count: end - start)
    }
    return nil
  }
}
