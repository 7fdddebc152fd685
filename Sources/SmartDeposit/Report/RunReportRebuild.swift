import Foundation

/// A run's reports made again from what the ledger keeps of it: the run's
/// history row, the files it recorded and saw, and every deposit and reject
/// of its files. `smartdeposit report RUN-ID` writes all four files; a run
/// that finds a died run writes that run's rows into its own reports.
public enum RunReportRebuild {
  /// What the rows of a run add up to.
  public struct Rows: Sendable {
    /// Every file of the run: those it recorded, then those it only saw.
    public var files: [RunFileEntry] = []
    public var linesDeposited = 0
    public var linesHeld = 0
    public var quantityDeposited = 0
    public var quantityHeld = 0
    public var rejected = 0
    public var rejectsByCode: [String: Int] = [:]
  }

  /// Writes the run's deposit rows (`deposits.csv`, with the run's own id)
  /// and its rejects into `sink`; with `addingTotals`, also its quantities
  /// per account (for the HTML page).
  public static func writeRows(
    of runID: String, from ledger: Ledger, into sink: ReportSink, addingTotals: Bool = false
  ) throws -> Rows {
    var rows = Rows()
    rows.files = try ledger.filesOfRun(id: runID)
    var formatter: DepositRowFormatter?
    var totals = AccountTotals()
    var bytes: [UInt8] = []
    bytes.reserveCapacity(64 << 10)
    try ledger.depositsOfRun(id: runID) { file, deposit in
      if formatter?.file != file { formatter = DepositRowFormatter(runID: runID, file: file) }
      formatter?.append(deposit, to: &bytes)
      if bytes.count >= 60 << 10 {
        try bytes.withUnsafeBytes { try sink.depositRows($0) }
        bytes.removeAll(keepingCapacity: true)
      }
      let held = deposit.status == .held
      rows.linesDeposited += 1
      rows.quantityDeposited += deposit.quantity
      if held {
        rows.linesHeld += 1
        rows.quantityHeld += deposit.quantity
      }
      if addingTotals {
        totals.add(
          smartAccount: deposit.smartAccount, virtualAccount: deposit.virtualAccount, quantity: deposit.quantity,
          held: held)
      }
    }
    if !bytes.isEmpty { try bytes.withUnsafeBytes { try sink.depositRows($0) } }
    if addingTotals { try sink.addTotals(totals.finish(minus: AccountTotals())) }
    try ledger.rejectsOfRun(id: runID) { reject in
      try sink.reject(reject)
      rows.rejected += 1
      rows.rejectsByCode[reject.code.rawValue, default: 0] += 1
    }
    return rows
  }

  /// Rebuilds `reports/<run-id>/` (all four files) from the ledger,
  /// replacing what is there; returns the folder. Throws
  /// `RunError.unknownRun` when the ledger has no such run.
  public static func rebuild(runID: String, ledger: Ledger, reportsDir: String) throws -> String {
    guard let run = try ledger.run(id: runID) else { throw RunError.unknownRun(runID) }
    let writer = try RunReportWriter(reportsDir: reportsDir, runID: runID, replacing: true)
    let rows = try writeRows(of: runID, from: ledger, into: writer, addingTotals: true)
    var summary = RunSummary(runID: runID, startedAt: run.startedAt)
    summary.finishedAt = run.finishedAt ?? ""
    // A died run has no exit code of its own: it stopped before it ended,
    // which is what 74 says.
    summary.exitCode = run.exitCode ?? ExitStatus.ioError.code
    summary.status = run.status.rawValue
    summary.rebuiltAt = Timestamp.now()
    let counts = run.counts
    summary.files.processed = counts.filesProcessed
    summary.files.duplicate = counts.filesDuplicate
    summary.files.quarantined = counts.filesQuarantined
    summary.files.notReady = counts.filesNotReady
    summary.files.stale = counts.filesStale
    summary.lines.read = counts.linesRead
    summary.lines.duplicate = counts.linesDuplicate
    // What the ledger holds of the run's files: the same as the run counted
    // when it completed, and the only count there is of a run that died.
    summary.lines.deposited = rows.linesDeposited
    summary.lines.held = rows.linesHeld
    summary.quantity.deposited = rows.quantityDeposited
    summary.quantity.held = rows.quantityHeld
    summary.rejectsByCode = rows.rejectsByCode
    let transfers = try ledger.transfersOfRun(id: runID)
    summary.transfers.applied = transfers.applied
    summary.transfers.quantity = transfers.quantity
    for file in rows.files {
      if file.outcome == .stale {
        summary.staleFiles.append(
          RunSummary.StaleFile(name: file.name, ageHours: file.ageHours ?? 0, reason: file.reason))
        continue
      }
      if file.format == InputFormat.transfer.rawValue && file.outcome == .processed {
        summary.transfers.rejected += file.rejected
      }
      summary.filesDetail.append(
        RunSummary.FileDetail(
          name: file.name, sha256: file.sha256, format: file.format, outcome: file.outcome, lines: file.lines,
          rejected: file.rejected, reason: file.reason, sender: file.sender, deposited: file.deposited))
    }
    summary.lines.rejected = rows.rejected - summary.transfers.rejected
    summary.files.seen = summary.filesDetail.count + summary.staleFiles.count
    if !counts.cause.isEmpty { summary.errors.append(counts.cause) }
    try writer.finish(summary: summary)
    return writer.finalFolder
  }
}
