import Foundation

/// Where a file goes once what the ledger says of it is on disk.
enum FileMove: Sendable {
  /// To the archive; then the processed file `fileID` is recorded as archived.
  case archive(fileID: Int64)
  /// Left in the inbox (`on_success = "keep"`), recorded as kept.
  case keep(fileID: Int64)
  /// To the quarantine folder, with a reason file beside it.
  case quarantine(IngestError)
}

/// Small order files taken one after another and committed together (a
/// group commit, `Ledger.beginFileGroup`): one sync to disk for the group
/// instead of one per file, then the group's files are moved and their
/// folders synced once each. Each file is still whole or absent in the
/// ledger; a group that does not commit leaves all its files in the inbox,
/// for the next run to take.
struct FileGroup {
  /// A file larger than this commits on its own: its own commit is small
  /// against its lines.
  static let largestFile: Int64 = 1 << 20
  /// A group ends at this many files or bytes, so that a failure repeats
  /// little work and the archive fills as the run goes.
  static let mostFiles = 256
  static let mostBytes: Int64 = 16 << 20

  struct Pending {
    var file: InboxFile
    var move: FileMove
    /// The file's place in the run summary's `filesDetail`.
    var detail: Int
  }

  private(set) var isOpen = false
  private(set) var pending: [Pending] = []
  private var files = 0
  private var bytes: Int64 = 0
  /// The run's summary as it was when the group opened (without its files'
  /// details, of which only the count is kept), restored if it does not commit.
  private var summaryBefore = RunSummary(runID: "", startedAt: "")
  private var detailsBefore = 0

  /// Whether `file` may join a group.
  static func admits(_ file: InboxFile) -> Bool {
    file.format != .transfer && file.size <= largestFile
  }

  var isFull: Bool { files >= Self.mostFiles || bytes >= Self.mostBytes }

  mutating func open(summary: RunSummary) {
    isOpen = true
    files = 0
    bytes = 0
    pending = []
    summaryBefore = summary
    summaryBefore.filesDetail = []
    detailsBefore = summary.filesDetail.count
  }

  mutating func add(_ file: InboxFile) {
    files += 1
    bytes += file.size
  }

  mutating func wait(_ move: FileMove, for file: InboxFile, detail: Int) {
    pending.append(Pending(file: file, move: move, detail: detail))
  }

  /// Closes the group and hands over what waited for its commit.
  mutating func close() -> [Pending] {
    isOpen = false
    defer { pending = [] }
    return pending
  }

  /// Closes the group and puts the summary back as it was when it opened.
  mutating func restore(_ summary: inout RunSummary) {
    isOpen = false
    pending = []
    let details = summary.filesDetail.prefix(detailsBefore)
    summary = summaryBefore
    summary.filesDetail = Array(details)
  }
}
