import CLibXML2
import Foundation
import ZIPFoundation

/// Reads the first worksheet of an `.xlsx` workbook as order rows (SPEC §9):
/// the first row is the header, with the names and aliases of CSV; each
/// later row is a line whose record number is its row number.
///
/// Nothing is extracted and no entry name ever becomes a path: the zip's
/// entries are inflated in chunks (ZIPFoundation) straight into libxml2's
/// SAX parser. The zip is opened through `/proc/self/fd/N` of the descriptor
/// that was checked (no symbolic link, a regular file) and hashed, so the
/// file read is the file vetted. Shared strings are kept packed (on disk past
/// a few MiB), the sheet streams on a thread of its own into a bounded
/// queue, and every byte inflated counts against `limits.max_file_bytes`.
public final class XLSXOrderReader: OrderLineSource {
  private let source: ByteSource
  private let sheet: SheetProducer
  private let queue: BlockingQueue<SheetMessage>
  private let running = DispatchGroup()
  private var finished = false
  private let openedAs: stat

  public init(source: ByteSource, limits: InputLimits) throws(IngestError) {
    self.source = source
    let file = source.displayName
    // The file's identity: every byte through the hashing source first.
    let buffer = ByteBuffer(count: 1 << 20)
    while try source.read(into: buffer.bytes) > 0 {}
    var info = stat()
    guard fstat(source.descriptor, &info) == 0 else {
      throw IngestError(.unreadable, file: file, message: "cannot stat: \(String(cString: strerror(errno)))")
    }
    openedAs = info
    guard source.rawBytesRead > 0 else {
      throw IngestError(.emptyFile, file: file, message: "the file is empty: not a workbook")
    }
    let archive: Archive
    do {
      archive = try Archive(url: URL(fileURLWithPath: "/proc/self/fd/\(source.descriptor)"), accessMode: .read)
    } catch {
      throw IngestError(.invalidWorkbook, file: file, message: "not an .xlsx workbook: the file is not a valid zip")
    }
    let package = WorkbookPackage(archive: archive, file: file, limits: limits)
    let parts = try package.locateParts()
    let styles = try parts.styles.map { path throws(IngestError) in try package.readStyles(path) } ?? []
    let strings = try parts.sharedStrings.map { path throws(IngestError) in try package.readSharedStrings(path) }
    queue = BlockingQueue(capacity: 4)
    sheet = SheetProducer(
      package: package, path: parts.sheet, strings: strings, dateStyles: styles, date1904: parts.date1904,
      queue: queue)
    running.enter()
    let thread = Thread { [sheet, running] in
      sheet.run()
      running.leave()
    }
    thread.stackSize = 1 << 20
    thread.start()
  }

  deinit {
    queue.close()
    running.wait()
  }

  public var bytesRead: Int64 { source.rawBytesRead }

  public func next() throws(IngestError) -> ParsedRecord? {
    var batch: [ParsedRecord] = []
    guard try nextBatch(into: &batch, limit: 1) else { return nil }
    pending.append(contentsOf: batch.dropFirst())
    return batch.first
  }

  private var pending: [ParsedRecord] = []

  public func nextBatch(into batch: inout [ParsedRecord], limit: Int) throws(IngestError) -> Bool {
    if !pending.isEmpty {
      batch.append(contentsOf: pending)
      pending.removeAll()
      return true
    }
    while !finished {
      switch queue.take() {
      case .records(let records):
        batch.append(contentsOf: records)
        if !batch.isEmpty { return true }
      case .failed(let error):
        finished = true
        throw error
      case .finished, nil:
        finished = true
        try checkUnchanged()
      }
    }
    return !batch.isEmpty
  }

  /// The file must still be the one that was hashed.
  private func checkUnchanged() throws(IngestError) {
    var now = stat()
    guard fstat(source.descriptor, &now) == 0, now.st_size == openedAs.st_size,
      now.st_mtim.tv_sec == openedAs.st_mtim.tv_sec, now.st_mtim.tv_nsec == openedAs.st_mtim.tv_nsec
    else {
      throw IngestError(
        .changedWhileReading, file: source.displayName,
        message: "the file changed while it was read; it will be taken when it is complete")
    }
  }
}

/// What the sheet's thread sends.
enum SheetMessage: Sendable {
  case records([ParsedRecord])
  case finished
  case failed(IngestError)
}

/// The parts of a workbook that matter: where they are, and how dates count.
struct WorkbookParts {
  var sheet: String
  var sharedStrings: String?
  var styles: String?
  var date1904: Bool
}

/// Reads entries of one workbook: each inflated in chunks into a parser,
/// every inflated byte counted against the size limit.
final class WorkbookPackage {
  let archive: Archive
  let file: String
  let limits: InputLimits
  private var inflated: Int64 = 0

  init(archive: Archive, file: String, limits: InputLimits) {
    self.archive = archive
    self.file = file
    self.limits = limits
  }

  func refuse(_ message: String) -> IngestError { IngestError(.invalidWorkbook, file: file, message: message) }

  /// Finds the first worksheet through the package's relationships, and the
  /// shared strings and styles beside it.
  func locateParts() throws(IngestError) -> WorkbookParts {
    var workbookPath = "xl/workbook.xml"
    if archive["_rels/.rels"] != nil {
      let root = try readRelationships("_rels/.rels", base: "")
      if let office = root.first(where: { $0.type.hasSuffix("/officeDocument") }) { workbookPath = office.target }
    }
    guard archive[workbookPath] != nil else {
      throw refuse("not an .xlsx workbook: it has no \(workbookPath)")
    }
    let workbook = WorkbookHandler()
    try read(workbookPath, into: workbook)
    let folder = (workbookPath as NSString).deletingLastPathComponent
    let relsPath =
      (folder.isEmpty ? "" : folder + "/") + "_rels/" + (workbookPath as NSString).lastPathComponent + ".rels"
    let relationships = archive[relsPath] != nil ? try readRelationships(relsPath, base: folder) : []
    // The first sheet that is a worksheet (a chart sheet or a dialog sheet may come before it).
    var sheetPath: String?
    for id in workbook.sheetRelations {
      if let target = relationships.first(where: { $0.id == id }), target.type.hasSuffix("/worksheet") {
        sheetPath = target.target
        break
      }
    }
    if sheetPath == nil, archive["xl/worksheets/sheet1.xml"] != nil { sheetPath = "xl/worksheets/sheet1.xml" }
    guard let sheet = sheetPath, archive[sheet] != nil else {
      throw refuse("the workbook has no worksheet")
    }
    func part(_ suffix: String, fallback: String) -> String? {
      if let found = relationships.first(where: { $0.type.hasSuffix(suffix) }), archive[found.target] != nil {
        return found.target
      }
      return archive[fallback] != nil ? fallback : nil
    }
    return WorkbookParts(
      sheet: sheet, sharedStrings: part("/sharedStrings", fallback: "xl/sharedStrings.xml"),
      styles: part("/styles", fallback: "xl/styles.xml"), date1904: workbook.date1904)
  }

  private func readRelationships(_ path: String, base: String) throws(IngestError) -> [Relationship] {
    let handler = RelationshipsHandler(base: base)
    try read(path, into: handler)
    return handler.relationships
  }

  /// For each cell style (`s`), whether its number format is a date.
  func readStyles(_ path: String) throws(IngestError) -> [Bool] {
    let handler = StylesHandler()
    try read(path, into: handler)
    return handler.cellFormats.map { id in
      if let code = handler.customFormats[id] { return NumberFormat.isDate(code: code) }
      return NumberFormat.isBuiltInDate(id)
    }
  }

  func readSharedStrings(_ path: String) throws(IngestError) -> SharedStringTable {
    let handler = SharedStringsHandler(table: SharedStringTable(file: file), maxFieldBytes: limits.maxFieldBytes)
    try read(path, into: handler)
    try handler.table.finishWriting()
    return handler.table
  }

  /// Inflates the entry `path` into a parser driving `handler`; `afterChunk`
  /// runs after each chunk (and may throw to stop).
  func read(
    _ path: String, into handler: XMLPartHandler, afterChunk: () throws(IngestError) -> Void = {}
  ) throws(IngestError) {
    guard let entry = archive[path] else { throw refuse("the workbook has no \(path)") }
    guard entry.type == .file else { throw refuse("\(path) is not a file entry") }
    if entry.uncompressedSize > UInt64(limits.maxFileBytes) {
      throw IngestError(
        .tooLarge, file: file,
        message: "\(path) inflates to \(entry.uncompressedSize) bytes, more than limits.max_file_bytes "
          + "(\(limits.maxFileBytes))")
    }
    let parser = try XMLPartParser(part: path, file: file, handler: handler, maxDepth: limits.maxDepth)
    var stop: IngestError?
    do {
      _ = try archive.extract(entry, bufferSize: 64 << 10, skipCRC32: true) { data in
        self.inflated += Int64(data.count)
        do throws(IngestError) {
          if self.inflated > self.limits.maxFileBytes {
            throw IngestError(
              .tooLarge, file: self.file,
              message: "the workbook inflates to more than limits.max_file_bytes (\(self.limits.maxFileBytes)) bytes")
          }
          var fed: IngestError?
          data.withUnsafeBytes { bytes in
            do throws(IngestError) { try parser.feed(bytes) } catch { fed = error }
          }
          if let fed { throw fed }
          try afterChunk()
        } catch {
          stop = error
          throw error
        }
      }
    } catch {
      if let stop { throw stop }
      throw refuse("\(path) cannot be inflated (a damaged or truncated workbook): \(error)")
    }
    try parser.finish()
  }
}

struct Relationship {
  var id: String
  var type: String
  var target: String
}

/// `Relationship` elements of a `.rels` part, targets resolved to entry names.
final class RelationshipsHandler: XMLPartHandler {
  let base: String
  var relationships: [Relationship] = []

  init(base: String) { self.base = base }

  func start(_ name: UnsafePointer<xmlChar>, attributes: Attributes, parser: XMLPartParser) {
    guard name.isNamed("Relationship"), attributes.value("TargetMode") != "External" else { return }
    relationships.append(
      Relationship(
        id: attributes.value("Id"), type: attributes.value("Type"), target: resolve(attributes.value("Target"))))
  }

  func end(_ name: UnsafePointer<xmlChar>, parser: XMLPartParser) {}
  func characters(_ bytes: UnsafeBufferPointer<UInt8>, parser: XMLPartParser) {}

  /// `/xl/x.xml` is from the package root; `x.xml` and `../x.xml` from `base`.
  private func resolve(_ target: String) -> String {
    var parts: [Substring] = target.hasPrefix("/") ? [] : base.split(separator: "/")
    for component in target.split(separator: "/") {
      if component == ".." {
        if !parts.isEmpty { parts.removeLast() }
      } else if component != "." {
        parts.append(component)
      }
    }
    return parts.joined(separator: "/")
  }
}

/// The workbook part: its sheets' relationship ids in order, and the date system.
final class WorkbookHandler: XMLPartHandler {
  var sheetRelations: [String] = []
  var date1904 = false

  func start(_ name: UnsafePointer<xmlChar>, attributes: Attributes, parser: XMLPartParser) {
    if name.isNamed("sheet"), sheetRelations.count < 4096 {
      sheetRelations.append(attributes.value("id", prefixed: true))
    } else if name.isNamed("workbookPr") {
      let value = attributes.value("date1904").lowercased()
      date1904 = value == "1" || value == "true"
    }
  }

  func end(_ name: UnsafePointer<xmlChar>, parser: XMLPartParser) {}
  func characters(_ bytes: UnsafeBufferPointer<UInt8>, parser: XMLPartParser) {}
}

/// The styles part: custom number formats and each cell format's number format.
final class StylesHandler: XMLPartHandler {
  var customFormats: [Int: String] = [:]
  var cellFormats: [Int] = []
  private var inCellFormats = false

  func start(_ name: UnsafePointer<xmlChar>, attributes: Attributes, parser: XMLPartParser) {
    if name.isNamed("numFmt"), let id = Int(attributes.value("numFmtId")) {
      customFormats[id] = attributes.value("formatCode")
    } else if name.isNamed("cellXfs") {
      inCellFormats = true
    } else if inCellFormats && name.isNamed("xf") {
      cellFormats.append(Int(attributes.value("numFmtId")) ?? 0)
    }
  }

  func end(_ name: UnsafePointer<xmlChar>, parser: XMLPartParser) {
    if name.isNamed("cellXfs") { inCellFormats = false }
  }

  func characters(_ bytes: UnsafeBufferPointer<UInt8>, parser: XMLPartParser) {}
}

/// Which number formats show a date.
enum NumberFormat {
  /// The built-in formats that are dates or date-times (ECMA-376 §18.8.30,
  /// with the East Asian ones).
  static func isBuiltInDate(_ id: Int) -> Bool {
    (14...17).contains(id) || id == 22 || (27...36).contains(id) || (50...58).contains(id)
  }

  /// A custom format is a date when, outside quoted text, escapes and
  /// brackets (colours, locales, elapsed time), it has a day, month or year
  /// token: `d`, `y`, or an `m` that is not minutes (minutes follow `h` or
  /// precede `s`).
  static func isDate(code: String) -> Bool {
    var tokens: [Character] = []
    var iterator = code.lowercased().makeIterator()
    while let character = iterator.next() {
      switch character {
      case "\"":
        while let next = iterator.next(), next != "\"" {}
      case "\\", "_", "*":
        _ = iterator.next()
      case "[":
        while let next = iterator.next(), next != "]" {}
      case ";":
        // Only the first section (positive numbers) decides.
        return decide(tokens)
      default:
        tokens.append(character)
      }
    }
    return decide(tokens)
  }

  private static func decide(_ tokens: [Character]) -> Bool {
    if tokens.contains("d") || tokens.contains("y") || tokens.contains("e") && tokens.contains("m") { return true }
    guard tokens.contains("m") else { return false }
    // `m` is minutes next to `h` or `s`: mm:ss, h:mm.
    return !(tokens.contains("h") || tokens.contains("s"))
  }
}

/// The shared strings part: each `si`'s text (its runs joined, phonetic runs left out).
final class SharedStringsHandler: XMLPartHandler {
  let table: SharedStringTable
  let maxFieldBytes: Int
  private var text: [UInt8] = []
  private var inItem = false
  private var inText = false
  private var inPhonetic = false

  init(table: SharedStringTable, maxFieldBytes: Int) {
    self.table = table
    self.maxFieldBytes = maxFieldBytes
  }

  func start(_ name: UnsafePointer<xmlChar>, attributes: Attributes, parser: XMLPartParser) {
    if name.isNamed("si") {
      inItem = true
      text.removeAll(keepingCapacity: true)
    } else if name.isNamed("t") {
      inText = inItem && !inPhonetic
    } else if name.isNamed("rPh") {
      inPhonetic = true
    }
  }

  func end(_ name: UnsafePointer<xmlChar>, parser: XMLPartParser) {
    if name.isNamed("t") {
      inText = false
    } else if name.isNamed("rPh") {
      inPhonetic = false
    } else if name.isNamed("si") {
      inItem = false
      do throws(IngestError) {
        try text.withUnsafeBufferPointer { (bytes: UnsafeBufferPointer<UInt8>) throws(IngestError) in
          try table.append(bytes)
        }
      } catch {
        parser.fail(error.cause, error.message)
      }
    }
  }

  func characters(_ bytes: UnsafeBufferPointer<UInt8>, parser: XMLPartParser) {
    guard inText else { return }
    text.append(contentsOf: bytes)
    if text.count > maxFieldBytes {
      parser.fail(.fieldTooLong, "a shared string is longer than limits.max_field_bytes (\(maxFieldBytes) bytes)")
    }
  }
}

/// The shared strings of a workbook, packed: every string's bytes one after
/// another with an offset per string. Up to 1 MiB stays in memory; past that
/// they go to an unlinked temporary file, read back in 64 KiB blocks through
/// a small cache (sheets use their strings roughly in the order they were
/// written), so a sheet of millions of distinct strings stays in bounded
/// memory: 4 bytes per string plus 2 MiB.
final class SharedStringTable {
  private let file: String
  private var offsets: [UInt32] = [0]
  private var memory: [UInt8] = []
  private var spill: UnsafeMutablePointer<FILE>?
  private var spilled = 0
  private var cache: [Int: [UInt8]] = [:]
  private var cacheOrder: [Int] = []

  private static let memoryLimit = 1 << 20
  private static let blockSize = 64 << 10
  private static let cachedBlocks = 32

  init(file: String) { self.file = file }

  deinit { if let spill { fclose(spill) } }

  var count: Int { offsets.count - 1 }

  private var length: Int { spilled + memory.count }

  func append(_ bytes: UnsafeBufferPointer<UInt8>) throws(IngestError) {
    guard length + bytes.count < Int(UInt32.max) else {
      throw IngestError(.tooLarge, file: file, message: "the shared strings hold more than 4 GiB")
    }
    if memory.count + bytes.count > memory.capacity {
      // Grown by hand so that the buffer never holds more than the limit (doubling would reach twice it).
      memory.reserveCapacity(
        min(max(memory.capacity * 2, memory.count + bytes.count, 4096), Self.memoryLimit + bytes.count))
    }
    memory.append(contentsOf: bytes)
    offsets.append(UInt32(length))
    if memory.count >= Self.memoryLimit { try flush() }
  }

  private func flush() throws(IngestError) {
    if spill == nil {
      guard let handle = tmpfile() else { throw failure("cannot create a temporary file") }
      spill = handle
    }
    guard let spill, !memory.isEmpty else { return }
    let written = memory.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, spill) }
    guard written == memory.count else { throw failure("cannot write a temporary file") }
    spilled += memory.count
    memory = []
  }

  /// Called once every string is in: what went to disk is flushed there.
  func finishWriting() throws(IngestError) {
    guard let spill else { return }
    try flush()
    guard fflush(spill) == 0 else { throw failure("cannot write a temporary file") }
  }

  /// The string at `index`, or nil when there is none.
  func string(_ index: Int) throws(IngestError) -> String? {
    guard index >= 0, index < count else { return nil }
    let start = Int(offsets[index])
    let end = Int(offsets[index + 1])
    guard let spill else {
      return String(decoding: memory[start..<end], as: UTF8.self)
    }
    let block = start / Self.blockSize
    if end <= (block + 1) * Self.blockSize {
      let bytes = try cached(block, spill)
      let base = block * Self.blockSize
      return String(decoding: bytes[(start - base)..<(end - base)], as: UTF8.self)
    }
    // A string across a block boundary: read it whole.
    var bytes = [UInt8](repeating: 0, count: end - start)
    let count = bytes.withUnsafeMutableBytes { pread(fileno(spill), $0.baseAddress, end - start, off_t(start)) }
    guard count == end - start else { throw failure("cannot read a temporary file") }
    return String(decoding: bytes, as: UTF8.self)
  }

  private func cached(_ block: Int, _ spill: UnsafeMutablePointer<FILE>) throws(IngestError) -> [UInt8] {
    if let bytes = cache[block] { return bytes }
    let size = min(Self.blockSize, spilled - block * Self.blockSize)
    var bytes = [UInt8](repeating: 0, count: size)
    let count = bytes.withUnsafeMutableBytes {
      pread(fileno(spill), $0.baseAddress, size, off_t(block * Self.blockSize))
    }
    guard count == size else { throw failure("cannot read a temporary file") }
    if cacheOrder.count >= Self.cachedBlocks { cache[cacheOrder.removeFirst()] = nil }
    cache[block] = bytes
    cacheOrder.append(block)
    return bytes
  }

  private func failure(_ message: String) -> IngestError {
    IngestError(.unreadable, file: file, message: "\(message): \(String(cString: strerror(errno)))")
  }
}

/// Streams the first worksheet on its own thread: rows become order records,
/// sent in batches through a bounded queue. The reader's `deinit` closes the
/// queue, which stops the inflating at its next chunk.
///
/// `@unchecked Sendable`: after `init` only the sheet's thread touches it.
final class SheetProducer: @unchecked Sendable {
  private let package: WorkbookPackage
  private let path: String
  private let handler: SheetHandler
  private let queue: BlockingQueue<SheetMessage>

  init(
    package: WorkbookPackage, path: String, strings: SharedStringTable?, dateStyles: [Bool], date1904: Bool,
    queue: BlockingQueue<SheetMessage>
  ) {
    self.package = package
    self.path = path
    self.queue = queue
    handler = SheetHandler(
      file: package.file, strings: strings, dateStyles: dateStyles, date1904: date1904,
      maxFieldBytes: package.limits.maxFieldBytes)
  }

  func run() {
    let cancelled = IngestError(.unreadable, file: package.file, message: "reading stopped")
    do throws(IngestError) {
      try package.read(path, into: handler) { () throws(IngestError) in
        if handler.ready.count >= 256 {
          guard queue.put(.records(handler.ready)) else { throw cancelled }
          handler.ready = []
        }
      }
      if let failure = handler.failure { throw failure }
      guard handler.header != nil else {
        throw IngestError(
          .emptyFile, file: package.file, line: 1, message: "the first worksheet is empty: no header row")
      }
      if !handler.ready.isEmpty { guard queue.put(.records(handler.ready)) else { return } }
      queue.put(.finished)
    } catch {
      if error.message != cancelled.message || error.cause != cancelled.cause { queue.put(.failed(error)) }
    }
  }
}

/// The worksheet part: `row` and `c` elements, each cell's value as
/// SPEC §9 says (shared and inline strings as typed, whole numbers as
/// integers, other numbers at 15 significant digits, dates by their style
/// as `YYYY-MM-DD`).
final class SheetHandler: XMLPartHandler {
  let file: String
  let strings: SharedStringTable?
  let dateStyles: [Bool]
  let date1904: Bool
  let maxFieldBytes: Int
  // Touched per element of the sheet from one thread only: no dynamic
  // exclusivity check (they cost a tenth of a workbook's CPU, perf, 1M rows).
  @exclusivity(unchecked) var header: OrderRowMapper?
  @exclusivity(unchecked) var ready: [ParsedRecord] = []
  @exclusivity(unchecked) var failure: IngestError?

  @exclusivity(unchecked) private var rowNumber = 0
  @exclusivity(unchecked) private var cells: [String] = []
  @exclusivity(unchecked) private var rowProblem: String?
  @exclusivity(unchecked) private var column = -1
  @exclusivity(unchecked) private var cellType = CellType.number
  @exclusivity(unchecked) private var cellStyle = 0
  @exclusivity(unchecked) private var value: [UInt8] = []
  @exclusivity(unchecked) private var inValue = false
  @exclusivity(unchecked) private var inCell = false
  @exclusivity(unchecked) private var inInline = false

  private enum CellType { case number, shared, inline, text, boolean, error, isoDate }

  /// The widest row a worksheet can have (XFD).
  private static let maxColumns = 16_384

  init(file: String, strings: SharedStringTable?, dateStyles: [Bool], date1904: Bool, maxFieldBytes: Int) {
    self.file = file
    self.strings = strings
    self.dateStyles = dateStyles
    self.date1904 = date1904
    self.maxFieldBytes = maxFieldBytes
  }

  func start(_ name: UnsafePointer<xmlChar>, attributes: Attributes, parser: XMLPartParser) {
    switch name[0] {
    case 0x63 where name[1] == 0:  // c
      inCell = true
      value.removeAll(keepingCapacity: true)
      startCell(attributes)
      if column >= Self.maxColumns {
        parser.fail(.invalidWorkbook, "row \(rowNumber) has a cell beyond the last column (XFD)")
        return
      }
    case 0x76 where name[1] == 0:  // v
      inValue = inCell
    case 0x74 where name[1] == 0:  // t (an inline string's text)
      inValue = inCell && inInline
    case 0x69 where name.isNamed("is"):
      inInline = inCell
    case 0x72 where name.isNamed("row"):
      rowNumber = attributes.raw("r").flatMap(Self.integer) ?? rowNumber + 1
      cells.removeAll(keepingCapacity: true)
      rowProblem = nil
      column = -1
    default:
      break
    }
  }

  func end(_ name: UnsafePointer<xmlChar>, parser: XMLPartParser) {
    switch name[0] {
    case 0x63 where name[1] == 0:
      inCell = false
      finishCell(parser)
    case 0x76 where name[1] == 0, 0x74 where name[1] == 0:
      inValue = false
    case 0x69 where name.isNamed("is"):
      inInline = false
    case 0x72 where name.isNamed("row"):
      finishRow(parser)
    default:
      break
    }
  }

  func characters(_ bytes: UnsafeBufferPointer<UInt8>, parser: XMLPartParser) {
    guard inValue else { return }
    value.append(contentsOf: bytes)
    if value.count > maxFieldBytes {
      parser.fail(.fieldTooLong, "a cell is longer than limits.max_field_bytes (\(maxFieldBytes) bytes)")
    }
  }

  /// Reads a cell's `r`, `t` and `s` in one pass over its attributes.
  private func startCell(_ attributes: Attributes) {
    var reference: Int?
    cellType = .number
    cellStyle = 0
    guard let base = attributes.base else {
      column += 1
      return
    }
    for index in 0..<attributes.count {
      let entry = base + index * 5
      guard let local = entry[0], local[0] != 0, local[1] == 0, let start = entry[3], let end = entry[4] else {
        continue
      }
      let bytes = UnsafeBufferPointer(start: start, count: end - start)
      switch local[0] {
      case 0x72: reference = Self.column(ofReference: bytes)  // r
      case 0x74: cellType = Self.type(of: bytes)  // t
      case 0x73: cellStyle = Self.integer(bytes) ?? 0  // s
      default: break
      }
    }
    column = reference ?? column + 1
  }

  private func finishCell(_ parser: XMLPartParser) {
    let text: String
    switch cellType {
    case .shared:
      guard let index = Self.integer(value) else {
        rowProblem = rowProblem ?? "cell \(Self.reference(column, rowNumber)) names no shared string"
        return
      }
      do throws(IngestError) {
        guard let found = try strings?.string(index) else {
          rowProblem =
            rowProblem ?? "cell \(Self.reference(column, rowNumber)) names shared string \(index), "
            + "which the workbook does not have"
          return
        }
        text = found
      } catch {
        parser.fail(error.cause, error.message)
        return
      }
    case .inline, .text, .error:
      text = String(decoding: value, as: UTF8.self)
    case .boolean:
      text = value == [0x31] ? "TRUE" : (value == [0x30] ? "FALSE" : String(decoding: value, as: UTF8.self))
    case .isoDate:
      text = datePart(trimmed(String(decoding: value, as: UTF8.self)))
    case .number:
      let isDate = cellStyle >= 0 && cellStyle < dateStyles.count && dateStyles[cellStyle]
      text = CellNumber.text(value, asDate: isDate, date1904: date1904)
    }
    if column >= cells.count { cells.append(contentsOf: repeatElement("", count: column + 1 - cells.count)) }
    cells[column] = trimmed(text)
  }

  private func finishRow(_ parser: XMLPartParser) {
    guard cells.contains(where: { !$0.isEmpty }) else { return }
    guard let header else {
      do throws(IngestError) {
        self.header = try OrderRowMapper(header: CSVRecord(fields: cells, line: rowNumber), file: file)
      } catch {
        failure = error
        parser.fail(error.cause, error.message)
      }
      return
    }
    var problem = rowProblem
    if cells.count > header.width {
      if let beyond = cells[header.width...].firstIndex(where: { !$0.isEmpty }) {
        problem = problem ?? "cell \(Self.reference(beyond, rowNumber)) is beyond the header's \(header.width) columns"
      }
      cells.removeLast(cells.count - header.width)
    } else if cells.count < header.width {
      cells.append(contentsOf: repeatElement("", count: header.width - cells.count))
    }
    ready.append(header.record(cells, line: rowNumber, problem: problem))
  }

  private static func type(of bytes: UnsafeBufferPointer<xmlChar>) -> CellType {
    guard let first = bytes.first else { return .number }
    if bytes.count == 1 {
      switch first {
      case 0x73: return .shared  // s
      case 0x6E: return .number  // n
      case 0x62: return .boolean  // b
      case 0x65: return .error  // e
      case 0x64: return .isoDate  // d
      default: return .text
      }
    }
    return first == 0x69 ? .inline : .text  // inlineStr, str
  }

  static func integer<Bytes: Collection>(_ bytes: Bytes) -> Int? where Bytes.Element == UInt8 {
    guard !bytes.isEmpty, bytes.count < 10 else { return nil }
    var result = 0
    for byte in bytes {
      guard byte >= 0x30 && byte <= 0x39 else { return nil }
      result = result * 10 + Int(byte - 0x30)
    }
    return result
  }

  /// The 0-based column of a reference like `AB12`.
  static func column(ofReference bytes: UnsafeBufferPointer<xmlChar>) -> Int? {
    var result = 0
    var letters = 0
    for byte in bytes {
      let upper = byte & 0xDF
      guard upper >= 0x41 && upper <= 0x5A else { break }
      result = result * 26 + Int(upper - 0x40)
      letters += 1
      if letters > 3 { return nil }
    }
    return letters == 0 ? nil : result - 1
  }

  static func reference(_ column: Int, _ row: Int) -> String {
    var letters = ""
    var rest = column + 1
    while rest > 0 {
      let digit = (rest - 1) % 26
      letters = String(UnicodeScalar(UInt8(0x41 + digit))) + letters
      rest = (rest - 1) / 26
    }
    return "\(letters)\(row)"
  }
}

/// A numeric cell as text: a date as `YYYY-MM-DD` when its style is one, a
/// whole number as an integer, any other at 15 significant digits.
enum CellNumber {
  static func text(_ bytes: [UInt8], asDate: Bool, date1904: Bool) -> String {
    // Integers as written need no conversion (the common case).
    if !asDate, !bytes.isEmpty, bytes.count < 16, bytes.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
      bytes.count == 1 || bytes[0] != 0x30
    {
      return String(decoding: bytes, as: UTF8.self)
    }
    let written = String(decoding: bytes, as: UTF8.self)
    guard let number = Double(trimmed(written)), number.isFinite else { return written }
    if asDate, let date = date(serial: number, date1904: date1904) { return date }
    if number == number.rounded(.towardZero) && abs(number) < 9.0e18 { return String(Int64(number)) }
    return String(format: "%.15g", number)
  }

  /// The calendar date of a serial day number (its time of day dropped).
  static func date(serial: Double, date1904: Bool) -> String? {
    guard serial >= 0, serial < 2_958_466 else { return nil }
    // Whole seconds first, so that 45000.99999999999 is the next midnight.
    let day = Int((serial * 86_400).rounded() / 86_400)
    let daysFrom1970: Int
    if date1904 {
      daysFrom1970 = day - 24_107
    } else if day == 60 {
      return "1900-02-29"  // the day that 1900-based workbooks count and calendars do not
    } else {
      daysFrom1970 = day < 60 ? day - 25_568 : day - 25_569
    }
    return CalendarDate.day(fromNumber: daysFrom1970)
  }
}
