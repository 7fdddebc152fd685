import Foundation

/// Writes a run's reports into `reports/.<run-id>.partial/` and, once all
/// are complete and synced, renames the folder to `reports/<run-id>/`: a
/// reader never sees a half-written report.
public final class RunReportWriter: ReportSink {
  public let runID: String
  public let finalFolder: String
  public let partialFolder: String
  private let reportsDir: String
  private let deposits: BufferedFileWriter
  private let rejects: BufferedFileWriter
  /// Quantities per SA/VA for the HTML page's chart: bounded by the registry's size.
  private(set) var totalsByAccount: [AccountKey: AccountQuantities] = [:]
  /// The first rejects, for the HTML page (the CSV has them all).
  private(set) var firstRejects: [Reject] = []
  static let htmlRejectLimit = 2000

  /// Whether `finish` replaces a report folder already there (a rebuild).
  private let replacing: Bool

  /// Creates the partial folder and opens the CSV reports; fails early when
  /// the reports folder cannot be written.
  public init(reportsDir: String, runID: String, replacing: Bool = false) throws {
    self.runID = runID
    self.replacing = replacing
    self.reportsDir = reportsDir
    finalFolder = (reportsDir as NSString).appendingPathComponent(runID)
    partialFolder = (reportsDir as NSString).appendingPathComponent(".\(runID).partial")
    do {
      try FileManager.default.createDirectory(atPath: partialFolder, withIntermediateDirectories: true)
    } catch {
      throw ReportError(path: partialFolder, cause: "cannot create the report folder: \(OSCause.describe(error))")
    }
    deposits = try BufferedFileWriter(path: (partialFolder as NSString).appendingPathComponent("deposits.csv"))
    rejects = try BufferedFileWriter(path: (partialFolder as NSString).appendingPathComponent("rejects.csv"))
    try deposits.write(CSVFormatter.row(DepositRowFormatter.header))
    try rejects.write(CSVFormatter.row(RejectRowFormatter.header))
  }

  /// Where the current file's rows start, to take them back if the file is not committed.
  private var fileMark: (deposits: UInt64, rejects: UInt64, firstRejects: Int)?
  /// The current file's totals: added to the run's when the next file
  /// begins or the run finishes, dropped if the file is discarded. (Keeping
  /// them apart spares a copy of the run's totals per file.)
  private var fileTotals: [AccountKey: AccountQuantities] = [:]

  public func beginFile() throws {
    mergeFileTotals()
    fileMark = (deposits.offset, rejects.offset, firstRejects.count)
  }

  public func discardFile() throws {
    guard let mark = fileMark else { return }
    try deposits.truncate(to: mark.deposits)
    try discardRejectsOfFile()
    fileTotals = [:]
  }

  /// Where an open group's rows start: its files commit together, and are
  /// taken back together if the group does not commit.
  private var groupMark: (deposits: UInt64, rejects: UInt64, firstRejects: Int)?
  /// The totals of the group's files, added to the run's when it commits.
  private var groupTotals: [AccountKey: AccountQuantities] = [:]

  /// Marks where a group of files starts (see `Ledger.beginFileGroup`).
  public func beginGroup() {
    mergeFileTotals()
    groupMark = (deposits.offset, rejects.offset, firstRejects.count)
  }

  /// The group committed: its rows stand.
  public func commitGroup() {
    mergeFileTotals()
    groupMark = nil
    Self.add(groupTotals, into: &totalsByAccount)
    // Kept at its size: each group's dictionary grew again from empty, a
    // rehash of every account at each doubling (2% of the run's thread on
    // 2,000 small files).
    groupTotals.removeAll(keepingCapacity: true)
  }

  /// The group did not commit: takes back every row since `beginGroup`.
  public func discardGroup() throws {
    guard let mark = groupMark else { return }
    groupMark = nil
    fileMark = nil
    try deposits.truncate(to: mark.deposits)
    try rejects.truncate(to: mark.rejects)
    fileTotals = [:]
    groupTotals.removeAll(keepingCapacity: true)
    firstRejects.removeLast(firstRejects.count - mark.firstRejects)
  }

  private func mergeFileTotals() {
    if groupMark != nil {
      Self.add(fileTotals, into: &groupTotals)
    } else {
      Self.add(fileTotals, into: &totalsByAccount)
    }
    fileTotals = [:]
  }

  private static func add(
    _ totals: [AccountKey: AccountQuantities], into sum: inout [AccountKey: AccountQuantities]
  ) {
    if sum.isEmpty && sum.capacity < totals.count {
      sum = totals
      return
    }
    // One lookup per account: every small file's totals come through here.
    for (key, value) in totals { sum[key, default: AccountQuantities()].add(value) }
  }

  public func depositRows(_ rows: UnsafeRawBufferPointer) throws {
    try deposits.write(bytes: rows)
  }

  public func addTotals(_ totals: [AccountKey: AccountQuantities]) throws {
    Self.add(totals, into: &fileTotals)
  }

  public func reject(_ reject: Reject) throws {
    try rejects.append { RejectRowFormatter.append(reject, to: &$0) }
    if firstRejects.count < Self.htmlRejectLimit { firstRejects.append(reject) }
  }

  public func discardRejectsOfFile() throws {
    guard let mark = fileMark else { return }
    try rejects.truncate(to: mark.rejects)
    firstRejects.removeLast(firstRejects.count - mark.firstRejects)
  }

  /// Writes summary.json and report.html, syncs everything and publishes the folder.
  public func finish(summary: RunSummary) throws {
    try deposits.close()
    try rejects.close()
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.keyEncodingStrategy = .convertToSnakeCase
    let json = String(decoding: try encoder.encode(summary), as: UTF8.self) + "\n"
    try FileMover.writeDurably(json, to: (partialFolder as NSString).appendingPathComponent("summary.json"))
    mergeFileTotals()
    Self.add(groupTotals, into: &totalsByAccount)
    groupTotals = [:]
    var totals: [String: (available: Int, held: Int)] = [:]
    for (key, value) in totalsByAccount {
      totals[key.smartAccount + " / " + key.virtualAccount] = (value.available, value.held)
    }
    let html = RunReportPage(summary: summary, totalsByAccount: totals, rejects: firstRejects).render()
    try FileMover.writeDurably(html, to: (partialFolder as NSString).appendingPathComponent("report.html"))
    // A rebuild moves the old folder aside first, then removes it: the
    // folder is complete at every instant but the one between two renames.
    let replaced = (reportsDir as NSString).appendingPathComponent(".\(runID).replaced")
    let isReplacing = replacing && FileManager.default.fileExists(atPath: finalFolder)
    if isReplacing {
      try? FileManager.default.removeItem(atPath: replaced)
      guard rename(finalFolder, replaced) == 0 else {
        throw ReportError(
          path: finalFolder, cause: "cannot replace the report folder: \(String(cString: strerror(errno)))")
      }
    }
    defer { if isReplacing { try? FileManager.default.removeItem(atPath: replaced) } }
    guard rename(partialFolder, finalFolder) == 0 else {
      throw ReportError(
        path: finalFolder, cause: "cannot publish the report folder: \(String(cString: strerror(errno)))")
    }
    FileMover.syncFolder((finalFolder as NSString).deletingLastPathComponent)
  }

  /// Removes what a killed run left of its reports.
  public static func removePartial(reportsDir: String, runID: String) {
    let partial = (reportsDir as NSString).appendingPathComponent(".\(runID).partial")
    try? FileManager.default.removeItem(atPath: partial)
  }
}
