import Foundation
import Logging

/// How a run was asked for on the command line.
public struct RunOptions: Sendable {
  public var dryRun = false
  public var waitSeconds: Double = 0
  /// Where the run logs (standard error, as `[log]` says); silent by default.
  public var logger = Logger.silent
  /// Shows a line of progress for long files (only on a terminal).
  public var progress: (@Sendable (String) -> Void)?

  public init() {}
}

/// The result of a run: its summary and the folder its reports are in.
public struct RunResult: Sendable {
  public var summary: RunSummary
  public var reportFolder: String
}

/// One pass over the inbox: discover → parse → validate → route → deposit →
/// report → file away.
public struct RunPipeline {
  public var config: PipelineConfig
  public var options: RunOptions

  /// The run's logger, carrying its run id once it has one.
  private let runLog: RunLogger
  private var log: Logger { runLog.logger }

  public init(config: PipelineConfig, options: RunOptions) {
    self.config = config
    self.options = options
    runLog = RunLogger(options.logger)
  }

  /// A run id: UTC time plus a short random suffix.
  public static func makeRunID(now: Date = Date()) -> String {
    let suffix = String(UInt16.random(in: 0...UInt16.max), radix: 16)
    return Timestamp.compact(now) + "-" + String(repeating: "0", count: 4 - suffix.count) + suffix
  }

  /// Runs once. Throws `RunError` when the run cannot start or must stop;
  /// what it had committed by then is complete and consistent.
  public func run() throws -> RunResult {
    // SQLite: one run at a time, under a lock beside the ledger. PostgreSQL:
    // runs side by side, each file claimed by one of them.
    let started = Date()
    let startedAt = Timestamp.format(started)
    let runID = Self.makeRunID(now: started)
    var lock: RunLock?
    if case .sqlite(let path) = config.ledger {
      lock = try RunLock(
        ledgerPath: path, waitSeconds: options.waitSeconds,
        holder: "pid \(getpid()), run \(runID), started \(startedAt)")
    }
    defer { withExtendedLifetime(lock) {} }
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: config.inbox, isDirectory: &isDirectory), isDirectory.boolValue else {
      throw RunError.inboxMissing(config.inbox)
    }
    guard FileManager.default.fileExists(atPath: config.accountsFile) else {
      throw RunError.inputMissing(config.accountsFile)
    }
    runLog.setRunID(runID)
    let report: RunReportWriter
    do {
      report = try RunReportWriter(reportsDir: config.reportsDir, runID: runID)
    } catch {
      throw RunError.io(OSCause.describe(error))
    }
    let ledger: Ledger
    do {
      ledger = try LedgerOpener.open(config, access: .write, dryRun: options.dryRun)
    } catch {
      RunReportWriter.removePartial(reportsDir: config.reportsDir, runID: runID)
      throw (error as? RunError) ?? RunError.io(OSCause.describe(error))
    }
    defer { ledger.close() }
    var summary = RunSummary(runID: runID, startedAt: startedAt)
    summary.dryRun = options.dryRun
    var keeper: LeaseKeeper?
    defer { keeper?.stop() }
    do {
      let died = try ledger.startRun(RunStart(id: runID, startedAt: startedAt))
      if case .fileClaims(let timeout) = ledger.coordination, !options.dryRun,
        let renew = ledger.leaseRenewal(runID: runID)
      {
        keeper = LeaseKeeper(every: timeout / 3, renew: renew, logger: log)
      }
      for run in died {
        summary.recoveredRuns.append(run.id)
        RunReportWriter.removePartial(reportsDir: config.reportsDir, runID: run.id)
        log.notice(
          "recovered: run \(run.id) (started \(run.startedAt)) was interrupted; its committed files stand and the rest are taken now"
        )
        // What the died run committed but never reported goes into this
        // run's reports, marked as recovered from it.
        let recovered = try RunReportRebuild.writeRows(of: run.id, from: ledger, into: report).files
        for file in recovered where file.outcome == .processed {
          summary.filesDetail.append(
            RunSummary.FileDetail(
              name: file.name, sha256: file.sha256, format: file.format, outcome: .recovered, lines: file.lines,
              rejected: file.rejected, reason: "committed by run \(run.id), which died before reporting it",
              sender: file.sender, deposited: file.deposited, recoveredFrom: run.id))
          log.notice("recovered: \(file.name), committed by run \(run.id), is in this run's reports")
        }
      }
      try syncRegistry(ledger: ledger, summary: &summary)
      try processInbox(ledger: ledger, report: report, runID: runID, summary: &summary)
    } catch {
      summary.errors.append("\(error)")
      summary.exitCode = ExitStatus.ioError.code
      summary.finishedAt = Timestamp.now()
      try? ledger.finishRun(
        id: runID, finishedAt: summary.finishedAt, exitCode: summary.exitCode, status: .failed,
        summary: counts(summary))
      try? report.finish(summary: summary)
      writeMetrics(summary, started: started, ledger: ledger)
      throw (error as? RunError) ?? RunError.io(OSCause.describe(error))
    }
    let clean =
      summary.lines.rejected + summary.files.quarantined + summary.transfers.rejected + summary.files.stale == 0
    summary.exitCode = (clean ? ExitStatus.success : .dataError).code
    if config.requireFiles && summary.files.seen == 0 && summary.files.duplicate == 0 {
      log.notice("no file at all in the inbox, and [alerts] require_files is set")
      summary.exitCode = ExitStatus.noInput.code
    }
    summary.finishedAt = Timestamp.now()
    do {
      try report.finish(summary: summary)
      try ledger.finishRun(
        id: runID, finishedAt: summary.finishedAt, exitCode: summary.exitCode, status: .completed,
        summary: counts(summary))
    } catch {
      throw RunError.io(OSCause.describe(error))
    }
    writeMetrics(summary, started: started, ledger: ledger)
    if !options.dryRun {
      let (removed, failed) = Retention(config: config, currentRunID: runID).prune()
      for path in removed { log.info("removed, past its keep time: \(path)") }
      for problem in failed { log.warning("cannot remove, past its keep time: \(problem)") }
    }
    return RunResult(summary: summary, reportFolder: report.finalFolder)
  }

  /// Leaves the run's metrics in `[metrics] textfile`, if one is configured
  /// (never for a dry run). A ledger that cannot be read leaves its
  /// ledger-wide metrics out; a textfile that cannot be written is a warning.
  private func writeMetrics(_ summary: RunSummary, started: Date, ledger: Ledger) {
    guard let path = config.metricsTextfile, !options.dryRun else { return }
    let finished = Date()
    let cutoff = LedgerQueries.overAgeCutoff(maxAgeDays: config.holdingMaxAgeDays, now: finished)
    let totals = try? ledger.totals(heldOverAgeBefore: cutoff)
    let text = MetricsFile.render(
      summary, finishedAt: finished, durationSeconds: finished.timeIntervalSince(started), totals: totals)
    do {
      try MetricsFile.write(text, to: path)
    } catch {
      log.warning("cannot write the metrics to \(path): \(OSCause.describe(error))")
    }
  }

  /// An age in hours as messages show it: `30 h`, `26.5 h`.
  public static func hours(_ value: Double) -> String {
    value == value.rounded() ? "\(Int(value)) h" : String(format: "%.1f h", value)
  }

  private func counts(_ summary: RunSummary) -> RunCounts {
    var counts = RunCounts()
    counts.filesProcessed = summary.files.processed
    counts.filesDuplicate = summary.files.duplicate
    counts.filesQuarantined = summary.files.quarantined
    counts.filesNotReady = summary.files.notReady
    counts.filesStale = summary.files.stale
    counts.linesRead = summary.lines.read
    counts.linesDeposited = summary.lines.deposited
    counts.linesHeld = summary.lines.held
    counts.linesDuplicate = summary.lines.duplicate
    counts.linesRejected = summary.lines.rejected
    counts.cause = summary.errors.joined(separator: "; ")
    return counts
  }

  private func syncRegistry(ledger: Ledger, summary: inout RunSummary) throws {
    let outcome = try RegistrySync.run(config: config, ledger: ledger)
    for problem in outcome.problems {
      summary.accountProblems.append(problem.description)
      log.notice("accounts: \(problem)")
    }
    if outcome.unchanged {
      log.debug("accounts: \(config.accountsFile) unchanged since the last sync; not read again")
    } else {
      let result = outcome.result
      log.info(
        "accounts: \(outcome.accounts) valid; \(result.accountsAdded) added, \(result.accountsUpdated) updated, \(result.virtualAccountsAdded) virtual accounts added"
      )
    }
  }

  private func processInbox(
    ledger: Ledger, report: RunReportWriter, runID: String, summary: inout RunSummary
  ) throws {
    let found = try Discovery(config: config).discover()
    summary.notTaken = found.notTaken
    for item in found.notTaken { log.info("not taken: \(item.name): \(item.reason)") }
    summary.files.notReady = found.notReady.count
    summary.files.stale = found.stale.count
    summary.staleFiles = found.stale
    for file in found.stale {
      log.notice("stale: \(file.name): \(Self.hours(file.ageHours)) old: \(file.reason)")
    }
    summary.files.seen = found.ready.count + found.notReady.count + found.stale.count
    // What the run saw and did not take is kept, so that its reports can be rebuilt.
    try ledger.recordRunFiles(
      runID: runID,
      found.notReady.map(RunFileEntry.init)
        + found.stale.map { RunFileEntry(name: $0.name, outcome: .stale, reason: $0.reason, ageHours: $0.ageHours) })
    guard !found.ready.isEmpty else {
      summary.filesDetail.append(contentsOf: found.notReady)
      return
    }
    let registry = try ledger.registry()
    var processor = OrderFileProcessor(
      validator: LineValidator(registry: registry, maxQuantity: config.maxQuantity), atomicity: config.atomicity,
      limits: config.limits)
    processor.batchSize = ledger.batchSize
    let transfers = TransferProcessor(limits: config.limits, maxQuantity: config.maxQuantity)
    // The next order file is read and prepared while the current one is
    // written, committed and moved: its stages wait, holding at most their
    // queues, for its turn at the ledger, which takes every decision in file
    // order as before. Not while a progress line is shown, which follows
    // one file at a time.
    var ahead: PreparedFile?
    defer { ahead?.stop() }
    // With claims, a file is taken only once this run holds its claim; the
    // next file is claimed before it is read ahead.
    var claimed: Set<String> = []
    func claim(_ file: InboxFile) throws -> Bool {
      if claimed.contains(file.path) { return true }
      guard case .fileClaims = ledger.coordination else { return true }
      guard try ledger.claimFile(file.claim, runID: runID) else { return false }
      // Another runner may have filed it away between discovery and the claim.
      var info = stat()
      guard stat(file.path, &info) == 0, Int64(info.st_size) == file.size,
        Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9 == file.modified
      else {
        try ledger.releaseClaim(file.claim, runID: runID)
        return false
      }
      claimed.insert(file.path)
      return true
    }
    // Small order files commit in groups where the ledger allows it; a
    // group that fails leaves the run's summary and reports as they were
    // before it, and its files in the inbox.
    var group = FileGroup()
    let grouping = ledger.groupsFiles && !options.dryRun
    func commitGroup() throws {
      guard group.isOpen else { return }
      do {
        try ledger.commitFileGroup()
      } catch {
        abandonGroup()
        throw RunError.io(OSCause.describe(error))
      }
      report.commitGroup()
      try fileAway(group.close(), ledger: ledger, runID: runID, summary: &summary)
    }
    func abandonGroup() {
      guard group.isOpen else { return }
      ledger.rollbackFileGroup()
      try? report.discardGroup()
      group.restore(&summary)
    }
    defer { abandonGroup() }
    // The small files of a group are read ahead by one thread of their own,
    // in order; every other order file by stages started for it.
    func prefetched(_ file: InboxFile) -> Bool { grouping && options.progress == nil && FileGroup.admits(file) }
    let prefetcher =
      found.ready.contains(where: prefetched)
      ? Prefetcher(files: found.ready.filter(prefetched), processor: processor, runID: runID) : nil
    defer { prefetcher?.stop() }
    for (index, file) in found.ready.enumerated() {
      var prepared = ahead
      ahead = nil
      if let prefetcher, prefetched(file) { prepared = prefetcher.take(file) }
      guard try claim(file) else {
        prepared?.stop()
        summary.files.seen -= 1
        log.info("taken by another runner: \(file.name)")
        continue
      }
      if options.progress == nil, index + 1 < found.ready.count, found.ready[index + 1].format != .transfer,
        !prefetched(found.ready[index + 1]), try claim(found.ready[index + 1])
      {
        var reader = processor
        reader.progress = nil
        ahead = reader.readAhead(found.ready[index + 1], runID: runID, reporting: true)
      }
      if let progress = options.progress, file.size > 8 << 20 {
        let started = Date()
        let name = file.name
        let total = file.size
        processor.progress = { bytes, lines in
          progress(ProgressLine.render(name: name, bytes: bytes, total: total, lines: lines, started: started))
        }
      } else {
        processor.progress = nil
      }
      defer {
        if claimed.remove(file.path) != nil { try? ledger.releaseClaim(file.claim, runID: runID) }
      }
      let grouped = grouping && FileGroup.admits(file)
      if !grouped {
        try commitGroup()
      } else if !group.isOpen {
        try ledger.beginFileGroup()
        report.beginGroup()
        group.open(summary: summary)
      }
      var (detail, move) = try take(
        file, prepared: prepared, processor: processor, transfers: transfers, ledger: ledger, report: report,
        runID: runID, summary: &summary)
      if let move {
        if grouped {
          group.wait(move, for: file, detail: summary.filesDetail.count)
        } else {
          detail.movedTo = try fileAway(file, move, ledger: ledger, runID: runID, summary: &summary)
        }
      }
      summary.filesDetail.append(detail)
      if detail.outcome != .processed && detail.outcome != .quarantined {
        try ledger.recordRunFiles(runID: runID, [RunFileEntry(detail)])
      }
      if grouped {
        group.add(file)
        if group.isFull { try commitGroup() }
      }
    }
    try commitGroup()
    summary.filesDetail.append(contentsOf: found.notReady)
  }

  /// Files away one file that committed on its own. Returns where it went
  /// ("" when it stays, or could not be moved).
  private func fileAway(
    _ file: InboxFile, _ move: FileMove, ledger: Ledger, runID: String, summary: inout RunSummary
  ) throws -> String {
    switch move {
    case .archive(let fileID):
      return archive(file, fileID: fileID, ledger: ledger, runID: runID, summary: &summary)
    case .keep(let fileID):
      try ledger.setDisposition(fileID: fileID, disposition: .kept)
      return ""
    case .quarantine(let error):
      return quarantine(file, error: error, runID: runID, summary: &summary)
    }
  }

  /// Files away a committed group's files: each is moved, each folder they
  /// left or entered is synced once, then where they went is recorded in one
  /// transaction.
  private func fileAway(
    _ pending: [FileGroup.Pending], ledger: Ledger, runID: String, summary: inout RunSummary
  ) throws {
    var folders: [String] = []
    var seen: Set<String> = []
    var dispositions: [(fileID: Int64, disposition: FileDisposition)] = []
    for item in pending {
      switch item.move {
      case .archive(let fileID):
        do {
          let destination = try FileMover.move(
            item.file.path, name: item.file.name, into: config.archive, runID: runID, syncingFolders: false)
          summary.filesDetail[item.detail].movedTo = destination
          for folder in [
            (destination as NSString).deletingLastPathComponent, (item.file.path as NSString).deletingLastPathComponent,
          ] where seen.insert(folder).inserted {
            folders.append(folder)
          }
          dispositions.append((fileID, .archived))
        } catch {
          notArchived(item.file, error, summary: &summary)
        }
      case .keep(let fileID):
        dispositions.append((fileID, .kept))
      case .quarantine(let error):
        summary.filesDetail[item.detail].movedTo = quarantine(item.file, error: error, runID: runID, summary: &summary)
      }
    }
    for folder in folders { FileMover.syncFolder(folder) }
    guard !dispositions.isEmpty else { return }
    do {
      try ledger.beginFileGroup()
      for item in dispositions { try ledger.setDisposition(fileID: item.fileID, disposition: item.disposition) }
      try ledger.commitFileGroup()
    } catch {
      ledger.rollbackFileGroup()
      throw RunError.io(OSCause.describe(error))
    }
  }

  /// Takes one file: skip it as a duplicate, deposit it, or quarantine it.
  /// Returns what became of it, and where it must go once that is committed
  /// (nil: it stays where it is).
  private func take(
    _ file: InboxFile, prepared: PreparedFile?, processor: OrderFileProcessor, transfers: TransferProcessor,
    ledger: Ledger, report: RunReportWriter, runID: String, summary: inout RunSummary
  ) throws -> (detail: RunSummary.FileDetail, move: FileMove?) {
    // Whatever becomes of the file, stages read ahead for it stop with it,
    // and their threads end before it is moved.
    defer { prepared?.stop() }
    var detail = RunSummary.FileDetail(
      name: file.name, format: file.format.rawValue, outcome: .processed, sender: file.sender.name)
    // A file is hashed before it is parsed only when it could be a duplicate:
    // when some processed file had the same size. Otherwise its hash is
    // computed while it is parsed, and the file is read once.
    var sha256: String?
    do {
      if try file.format == .transfer || ledger.hasProcessedFile(size: file.size) {
        sha256 = try sha256OfFile(atPath: file.path)
      }
    } catch {
      summary.files.seen -= 1
      summary.notTaken.append(.init(name: file.name, reason: "cannot read: \(OSCause.describe(error))"))
      log.warning("not taken: \(file.name): cannot read: \(OSCause.describe(error))")
      return (
        RunSummary.FileDetail(
          name: file.name, format: file.format.rawValue, outcome: .unreadable, reason: OSCause.describe(error)), nil
      )
    }
    func duplicate(of earlier: ProcessedFile, sha256: String) -> (RunSummary.FileDetail, FileMove?) {
      detail.sha256 = sha256
      summary.files.duplicate += 1
      detail.outcome = .duplicate
      detail.reason = "same content as \(earlier.name), processed by run \(earlier.runID)"
      return (detail, config.onSuccess == .move && !options.dryRun ? .archive(fileID: earlier.id) : nil)
    }
    if let sha256, let earlier = try ledger.processedFile(sha256: sha256) {
      return duplicate(of: earlier, sha256: sha256)
    }
    // With `on_success = "keep"` a refused file stays in the inbox: it is
    // remembered by its content, not refused again every night, until it is
    // fixed (new content) or released.
    if config.onSuccess == .keep, let sha256, let earlier = try ledger.quarantinedFile(sha256: sha256) {
      detail.sha256 = sha256
      summary.files.duplicate += 1
      detail.outcome = .duplicate
      detail.reason =
        "same content as \(earlier.name), quarantined by run \(earlier.runID) (\(earlier.reason)); "
        + "fix it, or put the fixed copy back with `smartdeposit quarantine release \(earlier.name)`"
      return (detail, nil)
    }
    // The id of the file's record, once it is committed.
    var fileID: Int64?
    do {
      if file.format == .transfer {
        let counts = try transfers.process(
          file, sha256: sha256 ?? sha256OfFile(atPath: file.path), runID: runID, ledger: ledger, report: report)
        summary.transfers.applied += counts.applied
        summary.transfers.rejected += counts.rejected
        summary.transfers.duplicate += counts.duplicate
        summary.transfers.quantity += counts.quantity
        for (code, count) in counts.rejectsByCode { summary.rejectsByCode[code.rawValue, default: 0] += count }
        detail.lines = counts.read
        detail.rejected = counts.rejected
        detail.deposited = counts.applied
        detail.duplicate = counts.duplicate
      } else {
        let (counts, digest, id) = try processor.process(
          file, sha256: sha256, runID: runID, ledger: ledger, report: report, prepared: prepared)
        sha256 = digest
        fileID = id
        if processor.progress != nil { options.progress?("") }
        add(counts, to: &summary)
        detail.lines = counts.read
        detail.rejected = counts.rejected
        detail.deposited = counts.deposited
        detail.duplicate = counts.duplicate
      }
    } catch is DuplicateFileError {
      // Another runner committed the same content while this one read it.
      let hash = try sha256 ?? sha256OfFile(atPath: file.path)
      if let earlier = try ledger.processedFile(sha256: hash) { return duplicate(of: earlier, sha256: hash) }
      throw RunError.io("\(file.name): reported as a duplicate, but no processed file has its content")
    } catch let error as IngestError {
      if processor.progress != nil { options.progress?("") }
      if error.cause == .changedWhileReading {
        summary.files.notReady += 1
        detail.outcome = .notReady
        detail.reason = error.description
        log.info("not ready: \(error)")
        return (detail, nil)
      }
      summary.files.quarantined += 1
      detail.outcome = .quarantined
      detail.reason = error.description
      log.notice("quarantined: \(error)")
      if !options.dryRun {
        let hash = try sha256 ?? sha256OfFile(atPath: file.path)
        try ledger.recordQuarantine(
          FileRecord(
            sha256: hash, name: file.name, format: file.format, sender: file.sender.name, runID: runID,
            outcome: .quarantined, lines: 0, rejected: 0, reason: error.description, disposition: .quarantined,
            size: file.size))
        return (detail, .quarantine(error))
      }
      return (detail, nil)
    }
    summary.files.processed += 1
    detail.sha256 = sha256 ?? ""
    if fileID == nil, let sha256 { fileID = try ledger.processedFile(sha256: sha256)?.id }
    if let fileID, !options.dryRun {
      return (detail, config.onSuccess == .move ? .archive(fileID: fileID) : .keep(fileID: fileID))
    }
    return (detail, nil)
  }

  private func add(_ counts: LineCounts, to summary: inout RunSummary) {
    summary.lines.read += counts.read
    summary.lines.deposited += counts.deposited
    summary.lines.held += counts.held
    summary.lines.duplicate += counts.duplicate
    summary.lines.rejected += counts.rejected
    summary.quantity.deposited += counts.quantityDeposited
    summary.quantity.held += counts.quantityHeld
    for (code, count) in counts.rejectsByCode { summary.rejectsByCode[code.rawValue, default: 0] += count }
  }

  /// Moves a processed file to the archive. A failure is reported and left
  /// for the next run, which sees the file as already processed and moves it.
  private func archive(
    _ file: InboxFile, fileID: Int64, ledger: Ledger, runID: String, summary: inout RunSummary
  ) -> String {
    do {
      let destination = try FileMover.move(file.path, name: file.name, into: config.archive, runID: runID)
      try ledger.setDisposition(fileID: fileID, disposition: .archived)
      return destination
    } catch {
      notArchived(file, error, summary: &summary)
      return ""
    }
  }

  private func notArchived(_ file: InboxFile, _ error: Error, summary: inout RunSummary) {
    let message = "\(file.name): deposited, but not archived: \(OSCause.describe(error)); the next run archives it"
    summary.errors.append(message)
    log.warning("\(message)")
  }

  /// Moves a refused file to the quarantine folder with a reason file beside
  /// it. With `on_success = "keep"` the inbox is left untouched: a copy goes to quarantine.
  private func quarantine(_ file: InboxFile, error: IngestError, runID: String, summary: inout RunSummary) -> String {
    do {
      let destination: String
      if config.onSuccess == .keep {
        destination = try FileMover.uniqueDestination(
          name: file.name, folder: (config.quarantine as NSString).appendingPathComponent(runID))
        try FileMover.createFolder((destination as NSString).deletingLastPathComponent)
        try FileManager.default.copyItem(atPath: file.path, toPath: destination)
      } else {
        destination = try FileMover.move(file.path, name: file.name, into: config.quarantine, runID: runID)
      }
      let reason = """
        file: \(file.name)
        quarantined by run: \(runID)
        cause: \(error.cause.rawValue)
        line: \(error.line)
        column: \(error.column)
        reason: \(error.description)

        """
      try FileMover.writeDurably(reason, to: destination + ".reason.txt")
      return destination
    } catch let moveError {
      summary.errors.append("\(file.name): quarantined, but not moved: \(moveError)")
      log.warning("\(file.name): quarantined, but not moved: \(moveError)")
      return ""
    }
  }
}

/// The one-line progress display for a long file.
enum ProgressLine {
  static func render(name: String, bytes: Int64, total: Int64, lines: Int, started: Date) -> String {
    let elapsed = max(Date().timeIntervalSince(started), 0.001)
    let rate = Double(lines) / elapsed
    let fraction = total > 0 ? min(Double(bytes) / Double(total), 1) : 0
    let remaining = fraction > 0 ? elapsed * (1 - fraction) / fraction : 0
    return String(
      format: "%@: %.0f%% %lld/%lld MB, %d lines, %.0f lines/s, %.0fs left", name, fraction * 100,
      bytes >> 20, total >> 20, lines, rate, remaining)
  }
}

extension RunPipeline {
  /// What `smartdeposit transfer FILE` did.
  public struct TransferResult: Sendable {
    public var counts: TransferCounts
    public var rejects: [Reject]
    /// Set when the same file content was applied before (nothing done now).
    public var duplicateOf: String?
  }

  /// Applies one transfer file outside a run, under the run lock. The file
  /// is recorded by content, so applying it again is a no-op.
  public func applyTransferFile(path: String, sender: Sender) throws -> TransferResult {
    guard FileManager.default.fileExists(atPath: path) else { throw RunError.inputMissing(path) }
    var lock: RunLock?
    if case .sqlite(let ledgerPath) = config.ledger {
      lock = try RunLock(ledgerPath: ledgerPath, waitSeconds: options.waitSeconds)
    }
    defer { withExtendedLifetime(lock) {} }
    do {
      let ledger = try LedgerOpener.open(config, access: .write)
      defer { ledger.close() }
      _ = try RegistrySync.run(config: config, ledger: ledger)
      let sha256 = try sha256OfFile(atPath: path)
      if let earlier = try ledger.processedFile(sha256: sha256) {
        return TransferResult(
          counts: TransferCounts(), rejects: [], duplicateOf: "\(earlier.name) (run \(earlier.runID))")
      }
      let runID = "transfer-" + Self.makeRunID()
      let processor = TransferProcessor(limits: config.limits, maxQuantity: config.maxQuantity)
      let sink = CollectingSink()
      let file = InboxFile(path: PathUtilities.absolute(path), name: path, sender: sender, format: .transfer, size: 0)
      let counts = try processor.process(file, sha256: sha256, runID: runID, ledger: ledger, report: sink)
      if let fileID = try ledger.processedFile(sha256: sha256)?.id {
        try ledger.setDisposition(fileID: fileID, disposition: .kept)
      }
      return TransferResult(counts: counts, rejects: sink.rejects, duplicateOf: nil)
    } catch let error as RunError {
      throw error
    } catch {
      throw RunError.io(OSCause.describe(error))
    }
  }
}
