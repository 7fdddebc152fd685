import Foundation

/// Line and quantity counts of one file (or a whole run).
public struct LineCounts: Sendable, Equatable {
  public var read = 0
  public var deposited = 0
  public var held = 0
  public var duplicate = 0
  public var rejected = 0
  public var quantityDeposited = 0
  public var quantityHeld = 0
  public var rejectsByCode: [RejectCode: Int] = [:]

  public init() {}

  mutating func add(_ deposit: Deposit, sign: Int = 1) {
    add(quantity: deposit.quantity, held: deposit.status == .held, sign: sign)
  }

  mutating func add(quantity: Int, held isHeld: Bool, sign: Int = 1) {
    deposited += sign
    quantityDeposited += sign * quantity
    if isHeld {
      held += sign
      quantityHeld += sign * quantity
    }
  }
}

/// Receives the rows of the run's deposit and reject reports.
public protocol ReportSink: AnyObject {
  /// Marks where a file's rows start.
  func beginFile() throws
  /// Takes back every row since `beginFile` (the file was not committed).
  func discardFile() throws
  /// `deposits.csv` rows of deposited lines, already formatted.
  func depositRows(_ rows: UnsafeRawBufferPointer) throws
  /// What this file deposited per account (for the HTML page).
  func addTotals(_ totals: [AccountKey: AccountQuantities]) throws
  func reject(_ reject: Reject) throws
}

/// Formats `deposits.csv` rows.
public struct DepositRowFormatter: Sendable {
  public let runID: String
  public let file: String
  /// The run id and file cells, the same on every row of the file.
  private let prefix: [UInt8]

  public init(runID: String, file: String) {
    self.runID = runID
    self.file = file
    var prefix: [UInt8] = []
    CSVFormatter.appendCell(runID, to: &prefix)
    prefix.append(0x2C)
    CSVFormatter.appendCell(file, to: &prefix)
    self.prefix = prefix
  }

  /// Appends the deposit's row to `bytes`.
  public func append(_ deposit: Deposit, to bytes: inout [UInt8]) {
    append(
      webOrderID: deposit.webOrderID, lineNumber: deposit.lineNumber, sku: deposit.sku, quantity: deposit.quantity,
      licenseType: deposit.licenseType, termMonths: deposit.termMonths, startDate: deposit.startDate ?? "",
      smartAccount: deposit.smartAccount, virtualAccount: deposit.virtualAccount, status: deposit.status,
      to: &bytes)
  }

  /// Appends a row from its values (`startDate` empty when there is none).
  func append(
    webOrderID: String, lineNumber: String, sku: String, quantity: Int, licenseType: LicenseType, termMonths: Int?,
    startDate: String, smartAccount: String, virtualAccount: String, status: DepositStatus, to bytes: inout [UInt8]
  ) {
    bytes.append(contentsOf: prefix)
    bytes.append(0x2C)
    CSVFormatter.appendCell(webOrderID, to: &bytes)
    bytes.append(0x2C)
    CSVFormatter.appendCell(lineNumber, to: &bytes)
    bytes.append(0x2C)
    CSVFormatter.appendCell(sku, to: &bytes)
    bytes.append(0x2C)
    CSVFormatter.appendNumber(quantity, to: &bytes)
    bytes.append(0x2C)
    CSVFormatter.appendCell(licenseType.rawValue, to: &bytes)
    bytes.append(0x2C)
    if let months = termMonths { CSVFormatter.appendNumber(months, to: &bytes) }
    bytes.append(0x2C)
    if !startDate.isEmpty { CSVFormatter.appendCell(startDate, to: &bytes) }
    bytes.append(0x2C)
    CSVFormatter.appendCell(smartAccount, to: &bytes)
    bytes.append(0x2C)
    CSVFormatter.appendCell(virtualAccount, to: &bytes)
    bytes.append(0x2C)
    CSVFormatter.appendCell(status.rawValue, to: &bytes)
    bytes.append(0x0D)
    bytes.append(0x0A)
  }

}

/// The reading and preparing stages of one file, under way: what they hand
/// over waits in their queues for the file's turn at the ledger.
public final class PreparedFile: @unchecked Sendable {
  // Immutable after init; the queues are thread-safe.
  let file: InboxFile
  let reporting: Bool
  let records: BlockingQueue<ReadMessage>
  let events: BlockingQueue<ParseMessage>

  init(file: InboxFile, reporting: Bool, queueDepth: Int) {
    self.file = file
    self.reporting = reporting
    records = BlockingQueue(capacity: queueDepth)
    events = BlockingQueue(capacity: queueDepth)
  }

  /// Stops both stages (a no-op once they have stopped).
  public func cancel() {
    events.close()
    records.close()
  }

  deinit { cancel() }
}

/// What the reading stage sends: batches of records, then how the file ended.
enum ReadMessage: Sendable {
  case records([ParsedRecord])
  case finished(digest: String, bytes: Int64)
  case failed(IngestError)
}

/// What the preparing stage sends: batches of events, then how the file ended.
enum ParseMessage: Sendable {
  case events(DepositBatch)
  /// The file's hash and size, and what its deposits would add per account
  /// if every one of them is new.
  case finished(digest: String, bytes: Int64, totals: AccountTotals)
  case failed(IngestError)
}

/// Takes one order file through parse → validate → route → deposit, inside
/// one ledger transaction together with the file's record.
///
/// Three stages overlap, joined by bounded queues of batches: a reading
/// thread parses the file (libxml2 or the CSV reader, and the file's hash);
/// a preparing thread validates, routes and packs each line with its report
/// row; the calling thread writes the ledger and the reports. Memory stays
/// bounded by the queues; the operating system spreads the three over the
/// cores, so whichever stage is the heaviest for a format keeps a core busy.
/// Every decision that depends on the ledger (duplicates, conflicts, order
/// atomicity) is taken on the writing side, in file order.
public struct OrderFileProcessor: Sendable {
  public var validator: LineValidator
  public var router = Router()
  public var atomicity: Atomicity
  public var limits: InputLimits
  /// Called as bytes are read (raw bytes, lines), for progress display.
  public var progress: (@Sendable (Int64, Int) -> Void)?

  static let batchSize = 512
  static let queueDepth = 4

  public init(validator: LineValidator, atomicity: Atomicity, limits: InputLimits) {
    self.validator = validator
    self.atomicity = atomicity
    self.limits = limits
  }

  /// Deposits the file's lines and returns their counts and the file's
  /// SHA-256, computed over exactly the bytes that were parsed. `sha256`,
  /// when the caller hashed the file first, must match it. Throws
  /// `IngestError` (nothing committed) when the whole file must be
  /// quarantined; any other error is a ledger failure.
  /// Starts reading and preparing a file ahead of its turn at the ledger:
  /// the run hands the result to `process` for that file, which then finds
  /// its first batches ready. Nothing of it touches the ledger; the stages
  /// stop, holding at most their queues, when the queues are full or when
  /// the handle is dropped.
  public func readAhead(_ file: InboxFile, runID: String, reporting: Bool) -> PreparedFile {
    let formatter = DepositRowFormatter(runID: runID, file: file.name)
    return start(file, formatter: reporting ? formatter : nil)
  }

  private func start(_ file: InboxFile, formatter: DepositRowFormatter?) -> PreparedFile {
    let prepared = PreparedFile(file: file, reporting: formatter != nil, queueDepth: Self.queueDepth)
    let records = prepared.records
    let queue = prepared.events
    let reader = Thread { [self] in
      read(file, into: records)
    }
    let preparer = Thread { [self] in
      prepare(file, formatter: formatter, from: records, into: queue)
    }
    for thread in [reader, preparer] {
      thread.stackSize = 1 << 20
      thread.start()
    }
    return prepared
  }

  public func process(
    _ file: InboxFile, sha256: String?, runID: String, ledger: Ledger, report: ReportSink?,
    prepared: PreparedFile? = nil
  ) throws -> (counts: LineCounts, sha256: String) {
    // The real hash is known once the file has been read; the placeholder
    // is replaced in the same transaction.
    let record = FileRecord(
      sha256: sha256 ?? "pending-\(UUID().uuidString)", name: file.name, format: file.format,
      sender: file.sender.name, runID: runID, outcome: "processed", lines: 0, rejected: 0, reason: "",
      disposition: "pending", size: file.size)
    let formatter = DepositRowFormatter(runID: runID, file: file.name)
    try report?.beginFile()
    do {
      return try ledger.inFileTransaction(record) { session in
        try deposit(
          file, sha256: sha256, formatter: formatter, session: session, report: report, prepared: prepared)
      }
    } catch {
      try? report?.discardFile()
      throw error
    }
  }

  private func deposit(
    _ file: InboxFile, sha256: String?, formatter: DepositRowFormatter, session: DepositSession, report: ReportSink?,
    prepared: PreparedFile?
  ) throws -> (counts: LineCounts, sha256: String) {
    let reporting = report != nil
    let stages: PreparedFile
    if let prepared, prepared.file.path == file.path, prepared.reporting == reporting {
      stages = prepared
    } else {
      prepared?.cancel()
      stages = start(file, formatter: reporting ? formatter : nil)
    }
    // However this ends, both stages are told to stop.
    defer { stages.cancel() }
    let queue = stages.events
    var work = FileWork(session: session, file: file.name, atomicity: atomicity, report: report)
    while let message = queue.take() {
      switch message {
      case .events(let batch):
        try batch.bytes.withUnsafeBytes { bytes in
          for index in batch.events.indices { try work.apply(batch.events[index], bytes: bytes) }
        }
      case .failed(let error):
        throw error
      case .finished(let digest, let bytes, var totals):
        guard digest == sha256 ?? digest, bytes == file.size else {
          throw IngestError(
            .changedWhileReading, file: file.name,
            message: "the file changed while it was read; it will be taken when it is complete")
        }
        try session.finish(lines: work.counts.read, rejected: work.counts.rejected, sha256: digest)
        try work.flushReport()
        if let report {
          if work.reportNeedsRewrite {
            // A late line rejected an order whose rows were already reported: rewrite this file's rows.
            try report.discardFile()
            try report.beginFile()
            var row: [UInt8] = []
            try session.depositsOfThisFile { deposit in
              row.removeAll(keepingCapacity: true)
              formatter.append(deposit, to: &row)
              try row.withUnsafeBytes { try report.depositRows($0) }
            }
          }
          try report.addTotals(totals.finish(minus: work.notDeposited))
          try session.rejectsOfThisFile { try report.reject($0) }
        }
        return (work.counts, digest)
      }
    }
    throw IngestError(.unreadable, file: file.name, message: "the reader stopped without finishing")
  }

  /// The reading stage: parses the file into records, in batches.
  private func read(_ file: InboxFile, into queue: BlockingQueue<ReadMessage>) {
    do {
      let (source, bytes) = try OrderSources.open(
        path: file.path, displayName: file.name, format: file.format, limits: limits)
      var batch: [ParsedRecord] = []
      batch.reserveCapacity(Self.batchSize)
      var read = 0
      var lastProgress: UInt64 = 0
      while try source.nextBatch(into: &batch, limit: Self.batchSize) {
        read += batch.count
        guard queue.put(.records(batch)) else { return }
        batch = []
        batch.reserveCapacity(Self.batchSize)
        if let progress {
          // A few updates a second are enough for a person watching.
          let now = DispatchTime.now().uptimeNanoseconds
          if now - lastProgress > 250_000_000 {
            lastProgress = now
            progress(source.bytesRead, read)
          }
        }
      }
      queue.put(.finished(digest: bytes.digest(), bytes: bytes.rawBytesRead))
    } catch {
      queue.put(.failed(error))
    }
  }

  /// The preparing stage: validates, routes and packs, in batches.
  private func prepare(
    _ file: InboxFile, formatter: DepositRowFormatter?, from records: BlockingQueue<ReadMessage>,
    into queue: BlockingQueue<ParseMessage>
  ) {
    // When this stage stops, for whatever reason, the reading stage stops too.
    defer { records.close() }
    var totals = AccountTotals()
    while let message = records.take() {
      switch message {
      case .records(let batch):
        var events = DepositBatch(capacity: batch.count)
        for index in batch.indices {
          prepare(batch[index], file: file, formatter: formatter, into: &events, totals: &totals)
        }
        guard queue.put(.events(events)) else { return }
      case .finished(let digest, let bytes):
        queue.put(.finished(digest: digest, bytes: bytes, totals: totals))
        return
      case .failed(let error):
        queue.put(.failed(error))
        return
      }
    }
  }

  /// Validates and routes one record, and packs its deposit, or its reject,
  /// into the batch. The line's own values are packed as they are: no
  /// intermediate copy of the line is made on this path.
  private func prepare(
    _ parsed: ParsedRecord, file: InboxFile, formatter: DepositRowFormatter?, into batch: inout DepositBatch,
    totals: inout AccountTotals
  ) {
    switch parsed {
    case .malformed(let record, let order, let number, let message):
      batch.reject(
        Reject(
          file: file.name, record: record, webOrderID: order, lineNumber: number, code: .malformedRecord,
          message: message))
    case .line(let line):
      let problem: LineProblem
      switch validator.check(line) {
      case .success(let checked):
        if let refused = router.problem(depositingInto: checked.entry, from: file.sender) {
          problem = refused
        } else {
          if formatter != nil {
            totals.add(
              smartAccount: checked.entry.account.identifier, virtualAccount: checked.virtualAccount,
              quantity: checked.quantity, held: checked.entry.account.type == .holding)
          }
          batch.deposit(line, checked, from: file.sender, formatter: formatter)
          return
        }
      case .failure(let found):
        problem = found
      }
      batch.reject(
        Reject(
          file: file.name, record: line.record, webOrderID: line.webOrderID, lineNumber: line.lineNumber,
          code: problem.code, message: problem.message, sku: line.sku,
          quantity: LineIdentity.wholeNumber(line.quantity), smartAccount: line.smartAccount.lowercased()))
    }
  }
}

/// A Bloom filter of a file's rejected web orders: 2^23 bits (1 MiB) and two
/// probes, so that a lookup of an order never rejected almost never reaches
/// the ledger: about 1 in 7,000 with 50,000 rejected orders (a 5M-line file
/// with 1% bad lines), about 1 in 80 with 500,000. Its size does not grow.
struct RejectedOrderFilter {
  private var words = [UInt64](repeating: 0, count: 1 << 17)

  mutating func insert<Bytes: Sequence<UInt8>>(_ order: Bytes) {
    let (first, second) = Self.probes(order)
    words[first >> 6] |= 1 << UInt64(first & 63)
    words[second >> 6] |= 1 << UInt64(second & 63)
  }

  func mayContain<Bytes: Sequence<UInt8>>(_ order: Bytes) -> Bool {
    let (first, second) = Self.probes(order)
    return words[first >> 6] & (1 << UInt64(first & 63)) != 0 && words[second >> 6] & (1 << UInt64(second & 63)) != 0
  }

  /// Two bit positions from the halves of the bytes' FNV-1a hash.
  private static func probes<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> (Int, Int) {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in bytes {
      hash ^= UInt64(byte)
      hash &*= 0x100_0000_01b3
    }
    // A final mix, so that both halves depend on every byte.
    hash ^= hash >> 29
    hash &*= 0xbf58_476d_1ce4_e5b9
    hash ^= hash >> 32
    let mask: UInt64 = 1 << 23 - 1
    return (Int(truncatingIfNeeded: hash & mask), Int(truncatingIfNeeded: (hash >> 32) & mask))
  }
}

/// The ledger side of one file: counts, and the orders rejected so far.
///
/// Report rows of the order being read are held back until the next order
/// starts, so that the common case, a bad line rejecting the order it
/// belongs to, never has to take rows back out of the report.
private struct FileWork {
  let session: DepositSession
  let file: String
  let atomicity: Atomicity
  let report: ReportSink?
  var counts = LineCounts()
  /// Whether any order of this file was rejected yet. The rejected orders
  /// themselves are the ledger's rejects of this file, so that memory does
  /// not grow with them.
  private var anyOrderRejected = false
  /// Deposits the parsing stage counted in its totals that the ledger did
  /// not take (duplicates, conflicts, lines of rejected orders).
  private(set) var notDeposited = AccountTotals()
  /// The web order (its key) whose rows are held back, and those rows.
  private var pendingOrder: [UInt8] = []
  private var pendingRows: [UInt8] = []
  private var pendingCount = 0
  /// The rejected web orders, as a filter: most lines belong to orders never
  /// rejected, and the filter says so without building a `String`.
  private var rejectedBits = RejectedOrderFilter()
  /// Set when an order was rejected after some of its rows were reported.
  private(set) var reportNeedsRewrite = false

  init(session: DepositSession, file: String, atomicity: Atomicity, report: ReportSink?) {
    self.session = session
    self.file = file
    self.atomicity = atomicity
    self.report = report
    pendingRows.reserveCapacity(4096)
  }

  mutating func flushReport() throws {
    if let report, pendingCount > 0 {
      try pendingRows.withUnsafeBytes { try report.depositRows($0) }
    }
    pendingRows.removeAll(keepingCapacity: true)
    pendingCount = 0
  }

  /// Whether the web order was rejected earlier in this file.
  private func isRejected<Bytes: Sequence<UInt8>>(_ order: Bytes, _ text: () -> String) throws -> Bool {
    if !anyOrderRejected { return false }
    guard rejectedBits.mayContain(order) else { return false }
    return try session.isOrderRejected(text())
  }

  mutating func apply(_ event: LineEvent, bytes: UnsafeRawBufferPointer) throws {
    counts.read += 1
    switch event {
    case .reject(let reject):
      try self.reject(reject)
    case .deposit(let packed):
      // An order is one web order id by meaning: `0098` and `98` in one file are one order.
      let order = packed.bytes(.orderKey, in: bytes)
      if try atomicity == .order && isRejected(order, { String(decoding: order, as: UTF8.self) }) {
        let deposit = packed.deposit(in: bytes)
        notTaken(deposit)
        try reject(
          rejection(
            of: deposit, code: .orderRejected,
            message: "web order \(deposit.webOrderID) was rejected because another of its lines was"))
        return
      }
      switch try session.deposit(packed, in: bytes) {
      case .deposited:
        counts.add(quantity: packed.quantity, held: packed.held)
        if report != nil {
          if !order.elementsEqual(pendingOrder) {
            try flushReport()
            pendingOrder.removeAll(keepingCapacity: true)
            pendingOrder.append(contentsOf: order)
          }
          pendingRows.append(contentsOf: packed.bytes(.reportRow, in: bytes))
          pendingCount += 1
        }
      case .duplicate:
        counts.duplicate += 1
        notTaken(packed.deposit(in: bytes))
      case .conflicting(let existing):
        let deposit = packed.deposit(in: bytes)
        notTaken(deposit)
        try reject(
          rejection(
            of: deposit, code: .conflictingLine,
            message:
              "web order \(deposit.webOrderID) line \(deposit.lineNumber) was already deposited with different content (\(existing.quantity) x \(existing.sku) into \(existing.smartAccount)/\(existing.virtualAccount))"
          ))
      }
    }
  }

  private mutating func notTaken(_ deposit: Deposit) {
    notDeposited.add(
      smartAccount: deposit.smartAccount, virtualAccount: deposit.virtualAccount, quantity: deposit.quantity,
      held: deposit.status == .held)
  }

  private func rejection(of deposit: Deposit, code: RejectCode, message: String) -> Reject {
    Reject(
      file: file, record: deposit.record, webOrderID: deposit.webOrderID, lineNumber: deposit.lineNumber, code: code,
      message: message, sku: deposit.sku, quantity: deposit.quantity, smartAccount: deposit.smartAccount)
  }

  /// Records a rejected line; under order atomicity, also takes back what the
  /// order already deposited from this file and rejects those lines too.
  private mutating func reject(_ reject: Reject) throws {
    let order = LineIdentity.orderKey(reject.webOrderID)
    let rejectsOrder = try atomicity == .order && !order.isEmpty && !isRejected(order.utf8, { order })
    try session.recordReject(reject)
    counts.rejected += 1
    counts.rejectsByCode[reject.code, default: 0] += 1
    guard rejectsOrder else { return }
    anyOrderRejected = true
    rejectedBits.insert(order.utf8)
    let withdrawnDeposits = try session.withdrawOrder(order)
    let isPending = pendingCount > 0 && pendingOrder.elementsEqual(order.utf8)
    let heldBack = isPending ? pendingCount : 0
    if withdrawnDeposits.count > heldBack { reportNeedsRewrite = true }
    if isPending {
      pendingRows.removeAll(keepingCapacity: true)
      pendingCount = 0
    }
    for withdrawn in withdrawnDeposits {
      counts.add(withdrawn, sign: -1)
      notTaken(withdrawn)
      try session.recordReject(
        rejection(
          of: withdrawn, code: .orderRejected,
          message:
            "web order \(reject.webOrderID) was rejected because line \(reject.lineNumber) was (\(reject.code.rawValue))"
        ))
      counts.rejected += 1
      counts.rejectsByCode[.orderRejected, default: 0] += 1
    }
  }
}
