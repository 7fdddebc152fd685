import Foundation

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

  /// Records per batch: what suits the ledger (`Ledger.batchSize`).
  public var batchSize = 512
  /// Batches each queue holds: about 2,048 lines whatever the batch size
  /// (two of 1,024 for SQLite), and never fewer than two, so that memory does
  /// not grow with the larger batches a server ledger takes.
  var queueDepth: Int { max(2, 2048 / max(batchSize, 1)) }

  public init(validator: LineValidator, atomicity: Atomicity, limits: InputLimits) {
    self.validator = validator
    self.atomicity = atomicity
    self.limits = limits
  }

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
    let prepared = PreparedFile(file: file, reporting: formatter != nil, queueDepth: queueDepth)
    let records = prepared.records
    let queue = prepared.events
    let spent = prepared.spent
    prepared.start { [self] in read(file, into: records, freeing: spent) }
    prepared.start { [self] in prepare(file, formatter: formatter, from: records, into: queue) }
    return prepared
  }

  /// Deposits the file's lines and returns their counts, the file's
  /// SHA-256, computed over exactly the bytes that were parsed, and the id
  /// of its record. `sha256`, when the caller hashed the file first, must
  /// match it. Throws `IngestError` (nothing committed) when the whole file
  /// must be quarantined; any other error is a ledger failure.
  public func process(
    _ file: InboxFile, sha256: String?, runID: String, ledger: Ledger, report: ReportSink?,
    prepared: PreparedFile? = nil
  ) throws -> (counts: LineCounts, sha256: String, fileID: Int64) {
    // The real hash is known once the file has been read; the placeholder
    // is replaced in the same transaction.
    let record = FileRecord(
      sha256: sha256 ?? "pending-\(UUID().uuidString)", name: file.name, format: file.format,
      sender: file.sender.name, runID: runID, outcome: .processed, lines: 0, rejected: 0, reason: "",
      disposition: .pending, size: file.size)
    let formatter = DepositRowFormatter(runID: runID, file: file.name)
    func attempt(
      _ pacing: DepositPacing, prepared: PreparedFile?
    ) throws -> (counts: LineCounts, sha256: String, fileID: Int64) {
      try ledger.inFileTransaction(record, pacing: pacing) { session in
        try deposit(file, sha256: sha256, formatter: formatter, session: session, report: report, prepared: prepared)
      }
    }
    try report?.beginFile()
    do {
      do {
        return try attempt(.ahead, prepared: prepared)
      } catch is DepositsSentAheadRefused {
        // A line of the file is in the ledger already (or twice in the
        // file): nothing of it was kept. Again from its first line, each
        // batch's outcomes known before the next is sent.
        try report?.discardFile()
        try report?.beginFile()
        return try attempt(.batchByBatch, prepared: nil)
      }
    } catch {
      try? report?.discardFile()
      throw error
    }
  }

  private func deposit(
    _ file: InboxFile, sha256: String?, formatter: DepositRowFormatter, session: DepositSession, report: ReportSink?,
    prepared: PreparedFile?
  ) throws -> (counts: LineCounts, sha256: String, fileID: Int64) {
    let reporting = report != nil
    let stages: PreparedFile
    if let prepared, prepared.file.path == file.path, prepared.reporting == reporting {
      stages = prepared
    } else {
      prepared?.stop()
      stages = start(file, formatter: reporting ? formatter : nil)
    }
    // However this ends, both stages stop and their threads end before the
    // file's transaction ends (and so before the file is moved).
    defer { stages.stop() }
    let queue = stages.events
    var writer = FileDepositWriter(
      session: session, file: file.name, size: file.size, atomicity: atomicity, report: report)
    while let message = queue.take() {
      switch consume message {
      case .events(let batch):
        try writer.apply(batch)
        stages.spent.handBack(batch)
      case .failed(let error):
        throw error
      case .finished(let digest, let bytes, var totals):
        guard digest == sha256 ?? digest, bytes == file.size else {
          throw IngestError(
            .changedWhileReading, file: file.name,
            message: "the file changed while it was read; it will be taken when it is complete")
        }
        try writer.flushRejects()
        let counts = writer.counts
        try session.finish(
          FileTotals(
            lines: counts.read, rejected: counts.rejected, deposited: counts.deposited,
            heldQuantity: counts.quantityHeld),
          sha256: digest)
        try writer.flushReport()
        if let report {
          if writer.reportNeedsRewrite {
            // A late line rejected an order whose rows were already reported: rewrite this file's rows.
            try report.discardFile()
            try report.beginFile()
            var row: [UInt8] = []
            try session.depositsOfThisFile { deposit in
              row.removeAll(keepingCapacity: true)
              formatter.append(deposit, to: &row)
              try row.withUnsafeBytes { try report.depositRows($0) }
            }
          } else if writer.rejectsNeedRewrite {
            try report.discardRejectsOfFile()
          }
          try report.addTotals(totals.finish(minus: writer.notDeposited))
          // The rejects were reported batch by batch, unless they have to be
          // listed again in the ledger's order.
          if counts.rejected > 0 && (writer.reportNeedsRewrite || writer.rejectsNeedRewrite) {
            try session.rejectsOfThisFile { try report.reject($0) }
          }
        }
        return (counts, digest, session.fileID)
      }
    }
    throw IngestError(.unreadable, file: file.name, message: "the reader stopped without finishing")
  }

  /// Both stages of a small file on the calling thread, one batch after
  /// the other (see `Prefetcher`): no queue or thread between them.
  func readAndPrepare(_ file: InboxFile, into prepared: PreparedFile, runID: String) {
    let formatter = prepared.reporting ? DepositRowFormatter(runID: runID, file: file.name) : nil
    var state = PreparingState()
    read(file) {
      prepared.spent.drop()
      return prepare($0, file: file, formatter: formatter, into: prepared.events, state: &state)
    }
  }

  /// The reading stage: parses the file into records, in batches.
  private func read(_ file: InboxFile, into queue: BlockingQueue<ReadMessage>, freeing spent: Disposal<DepositBatch>) {
    read(file) {
      spent.drop()
      return queue.put($0)
    }
  }

  /// Parses the file into records, in batches, handing each message to
  /// `emit` until it returns false.
  private func read(_ file: InboxFile, emit: (ReadMessage) -> Bool) {
    do {
      let (source, bytes) = try OrderSources.open(
        path: file.path, displayName: file.name, format: file.format, limits: limits)
      var batch: [ParsedRecord] = []
      batch.reserveCapacity(batchSize)
      var read = 0
      var lastProgress: UInt64 = 0
      while try source.nextBatch(into: &batch, limit: batchSize) {
        read += batch.count
        guard emit(.records(batch)) else { return }
        batch = []
        batch.reserveCapacity(batchSize)
        if let progress {
          // A few updates a second are enough for a person watching.
          let now = DispatchTime.now().uptimeNanoseconds
          if now - lastProgress > 250_000_000 {
            lastProgress = now
            progress(source.bytesRead, read)
          }
        }
      }
      _ = emit(.finished(digest: bytes.digest(), bytes: bytes.rawBytesRead))
    } catch {
      _ = emit(.failed(error))
    }
  }

  /// The preparing stage: validates, routes and packs, in batches.
  private func prepare(
    _ file: InboxFile, formatter: DepositRowFormatter?, from records: BlockingQueue<ReadMessage>,
    into queue: BlockingQueue<ParseMessage>
  ) {
    // When this stage stops, for whatever reason, the reading stage stops too.
    defer { records.close() }
    var state = PreparingState()
    while let message = records.take() {
      guard prepare(message, file: file, formatter: formatter, into: queue, state: &state) else { return }
    }
  }

  /// Prepares what the reading side sent and hands it on; true while more
  /// is to come and the queue takes it.
  private func prepare(
    _ message: ReadMessage, file: InboxFile, formatter: DepositRowFormatter?, into queue: BlockingQueue<ParseMessage>,
    state: inout PreparingState
  ) -> Bool {
    switch message {
    case .records(let batch):
      var events = DepositBatch(capacity: batch.count)
      for index in batch.indices {
        prepare(batch[index], index: index, file: file, formatter: formatter, into: &events, state: &state)
      }
      events.records = batch
      return queue.put(.events(events))
    case .finished(let digest, let bytes):
      queue.put(.finished(digest: digest, bytes: bytes, totals: state.totals.byName(in: validator.registry)))
    case .failed(let error):
      queue.put(.failed(error))
    }
    return false
  }

  /// Validates and routes one record, and packs its deposit, or its reject,
  /// into the batch. The line's own values are packed as they are: no
  /// intermediate copy of the line is made on this path.
  private func prepare(
    _ parsed: ParsedRecord, index: Int, file: InboxFile, formatter: DepositRowFormatter?,
    into batch: inout DepositBatch,
    state: inout PreparingState
  ) {
    switch parsed {
    case .malformed(let record, let order, let number, let message):
      batch.reject(
        Reject(
          file: file.name, record: record, webOrderID: order, lineNumber: number, code: .malformedRecord,
          message: message))
    case .line(let line):
      let problem: LineProblem
      switch validator.check(line, lookup: &state.accounts) {
      case .success(let checked):
        if let refused = router.problem(depositingInto: checked.entry, from: file.sender) {
          problem = refused
        } else {
          if formatter != nil {
            state.totals.add(
              slot: checked.slot, quantity: checked.quantity, held: checked.entry.account.type.depositStatus == .held)
          }
          batch.deposit(line, checked, from: file.sender, formatter: formatter, recordIndex: index)
          return
        }
      case .failure(let found):
        problem = found
      }
      batch.reject(
        Reject(
          file: file.name, record: line.record, webOrderID: line.webOrderID, lineNumber: line.lineNumber,
          code: problem.code, message: problem.message, written: WrittenLine(line)))
    }
  }
}

/// What the preparing stage keeps from one line to the next of a file.
struct PreparingState {
  /// What the file's deposits add per account, if every one of them is new.
  var totals = AccountSlotTotals()
  /// The accounts the last line resolved to.
  var accounts = LineValidator.AccountLookup()
}
