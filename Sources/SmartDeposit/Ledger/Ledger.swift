import Foundation

/// What happened to one deposit sent to the ledger.
public enum DepositOutcome: Sendable, Equatable {
  /// Recorded now.
  case deposited
  /// The same identity was already deposited with the same content.
  case duplicate
  /// The same identity was already deposited with different content.
  indirect case conflicting(existing: Deposit)
}

/// A run's state in the history.
public enum RunStatus: String, Sendable, Equatable, Codable {
  /// Started and, with PostgreSQL, still renewing its lease.
  case running
  case completed
  /// Stopped by an error (exit 74).
  case failed
  /// Found running by a later run whose lock (SQLite) or the run's expired
  /// lease (PostgreSQL) proved it was no longer alive.
  case died
}

/// Where a file the ledger knows about is meant to end up.
public enum FileDisposition: String, Sendable, Equatable, Codable {
  /// Committed, not yet moved.
  case pending
  case archived
  /// Left in the inbox (`on_success = "keep"`).
  case kept
  case quarantined
  /// Quarantined, then released by `quarantine release`: no longer remembered.
  case released
}

/// A file whose content was quarantined, remembered until it is released.
public struct QuarantinedFile: Sendable, Equatable, Codable {
  public var sha256: String
  public var name: String
  public var runID: String
  public var reason: String
  public var recordedAt: String
}

/// What became of a file the ledger recorded.
public enum FileOutcome: String, Sendable, Equatable, Codable {
  case processed
  case quarantined
}

/// How runs on one ledger keep out of each other's way.
public enum RunCoordination: Sendable, Equatable {
  /// One run at a time: a lock file beside the SQLite ledger.
  case hostLock(path: String)
  /// Runs side by side, each file claimed in the ledger by one of them.
  case fileClaims(timeoutSeconds: Double)
}

/// A file in an inbox, as a runner claims it before reading it: by path,
/// size and modification time, so that no runner hashes a file another is
/// already working on.
public struct FileClaim: Sendable, Equatable, Hashable {
  public var path: String
  public var size: Int64
  public var modified: Double

  public init(path: String, size: Int64, modified: Double) {
    self.path = path
    self.size = size
    self.modified = modified
  }
}

/// Who a run is: the run id and the process that runs it.
public struct RunStart: Sendable, Equatable {
  public var id: String
  public var startedAt: String
  public var host: String
  public var pid: Int

  public init(id: String, startedAt: String, host: String = RunStart.hostName, pid: Int = Int(getpid())) {
    self.id = id
    self.startedAt = startedAt
    self.host = host
    self.pid = pid
  }

  /// This machine's name.
  public static var hostName: String { ProcessInfo.processInfo.hostName }
}

/// A run as the ledger's history records it.
///
/// Its JSON (`runs --json`) is nested like `summary.json`: `run_id`,
/// `started_at`, `finished_at`, `status`, `exit_code`, `files`, `lines`,
/// `host`, `pid`, `cause`.
public struct RunRecord: Sendable, Equatable, Codable {
  public var id: String
  public var startedAt: String
  public var finishedAt: String?
  public var status: RunStatus
  public var exitCode: Int?
  public var counts: RunCounts
  public var host: String
  public var pid: Int?

  public var filesProcessed: Int { counts.filesProcessed }
  public var linesDeposited: Int { counts.linesDeposited }
  public var linesRejected: Int { counts.linesRejected }

  public init(
    id: String, startedAt: String, finishedAt: String?, status: RunStatus, exitCode: Int?, counts: RunCounts,
    host: String, pid: Int?
  ) {
    self.id = id
    self.startedAt = startedAt
    self.finishedAt = finishedAt
    self.status = status
    self.exitCode = exitCode
    self.counts = counts
    self.host = host
    self.pid = pid
  }

  enum CodingKeys: String, CodingKey {
    case id = "run_id"
    case startedAt = "started_at"
    case finishedAt = "finished_at"
    case status
    case exitCode = "exit_code"
    case files, lines, host, pid, cause
  }

  struct Files: Codable {
    var processed, duplicate, quarantined, stale: Int
    var notReady: Int
    enum CodingKeys: String, CodingKey {
      case processed, duplicate, quarantined, stale
      case notReady = "not_ready"
    }
  }

  struct Lines: Codable {
    var read, deposited, held, duplicate, rejected: Int
  }

  public func encode(to encoder: Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(id, forKey: .id)
    try container.encode(startedAt, forKey: .startedAt)
    try container.encode(finishedAt, forKey: .finishedAt)
    try container.encode(status, forKey: .status)
    try container.encode(exitCode, forKey: .exitCode)
    try container.encode(
      Files(
        processed: counts.filesProcessed, duplicate: counts.filesDuplicate, quarantined: counts.filesQuarantined,
        stale: counts.filesStale, notReady: counts.filesNotReady), forKey: .files)
    try container.encode(
      Lines(
        read: counts.linesRead, deposited: counts.linesDeposited, held: counts.linesHeld,
        duplicate: counts.linesDuplicate, rejected: counts.linesRejected), forKey: .lines)
    try container.encode(host, forKey: .host)
    try container.encode(pid, forKey: .pid)
    try container.encode(counts.cause, forKey: .cause)
  }

  public init(from decoder: Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    id = try container.decode(String.self, forKey: .id)
    startedAt = try container.decode(String.self, forKey: .startedAt)
    finishedAt = try container.decodeIfPresent(String.self, forKey: .finishedAt)
    status = try container.decode(RunStatus.self, forKey: .status)
    exitCode = try container.decodeIfPresent(Int.self, forKey: .exitCode)
    let files = try container.decode(Files.self, forKey: .files)
    let lines = try container.decode(Lines.self, forKey: .lines)
    counts = RunCounts()
    counts.filesProcessed = files.processed
    counts.filesDuplicate = files.duplicate
    counts.filesQuarantined = files.quarantined
    counts.filesNotReady = files.notReady
    counts.filesStale = files.stale
    counts.linesRead = lines.read
    counts.linesDeposited = lines.deposited
    counts.linesHeld = lines.held
    counts.linesDuplicate = lines.duplicate
    counts.linesRejected = lines.rejected
    counts.cause = try container.decodeIfPresent(String.self, forKey: .cause) ?? ""
    host = try container.decode(String.self, forKey: .host)
    pid = try container.decodeIfPresent(Int.self, forKey: .pid)
  }
}

/// A file the ledger knows was processed (its deposits committed).
public struct ProcessedFile: Sendable, Equatable {
  public var id: Int64
  public var sha256: String
  public var name: String
  public var runID: String
  public var disposition: FileDisposition
}

/// One file's record, written in the same transaction as its deposits.
public struct FileRecord: Sendable, Equatable {
  public var sha256: String
  public var name: String
  public var format: InputFormat
  public var sender: String
  public var runID: String
  public var outcome: FileOutcome
  public var lines: Int
  public var rejected: Int
  public var reason: String
  /// Where the file is meant to end up.
  public var disposition: FileDisposition
  /// Bytes in the file as found in the inbox.
  public var size: Int64

  public init(
    sha256: String, name: String, format: InputFormat, sender: String, runID: String, outcome: FileOutcome,
    lines: Int, rejected: Int, reason: String, disposition: FileDisposition, size: Int64 = 0
  ) {
    self.size = size
    self.sha256 = sha256
    self.name = name
    self.format = format
    self.sender = sender
    self.runID = runID
    self.outcome = outcome
    self.lines = lines
    self.rejected = rejected
    self.reason = reason
    self.disposition = disposition
  }
}

/// What became of one file in one run, as the ledger keeps it: the files a
/// run recorded (processed, quarantined) and those it only saw (duplicate,
/// not ready, stale, unreadable), so that its reports can be rebuilt.
public struct RunFileEntry: Sendable, Equatable {
  public var name: String
  public var sha256: String
  public var format: String
  public var sender: String
  public var outcome: RunSummary.FileRunOutcome
  public var reason: String
  public var lines: Int
  public var rejected: Int
  public var deposited: Int
  /// How long a stale file had been waiting, in hours.
  public var ageHours: Double?

  public init(
    name: String, sha256: String = "", format: String = "", sender: String = "",
    outcome: RunSummary.FileRunOutcome, reason: String = "", lines: Int = 0, rejected: Int = 0, deposited: Int = 0,
    ageHours: Double? = nil
  ) {
    self.name = name
    self.sha256 = sha256
    self.format = format
    self.sender = sender
    self.outcome = outcome
    self.reason = reason
    self.lines = lines
    self.rejected = rejected
    self.deposited = deposited
    self.ageHours = ageHours
  }

  /// A file's outcome in a run's summary.
  public init(_ detail: RunSummary.FileDetail) {
    self.init(
      name: detail.name, sha256: detail.sha256, format: detail.format, sender: detail.sender,
      outcome: detail.outcome, reason: detail.reason, lines: detail.lines, rejected: detail.rejected,
      deposited: detail.deposited)
  }
}

/// Available and held quantity of one SKU in one Virtual Account.
public struct Balance: Sendable, Equatable, Codable {
  public var smartAccount: String
  public var virtualAccount: String
  public var sku: String
  public var available: Int
  public var held: Int

  public init(smartAccount: String, virtualAccount: String, sku: String, available: Int, held: Int) {
    self.smartAccount = smartAccount
    self.virtualAccount = virtualAccount
    self.sku = sku
    self.available = available
    self.held = held
  }

  enum CodingKeys: String, CodingKey {
    case smartAccount = "smart_account"
    case virtualAccount = "virtual_account"
    case sku, available, held
  }
}

/// What the ledger's registry was last synced from: the fingerprint of the
/// accounts file's content and of the settings that read it, and the
/// problems that reading found (they are reported again by every run that
/// finds the file unchanged and so does not read it).
public struct RegistrySource: Sendable, Equatable {
  public var fingerprint: String
  public var problems: [AccountProblem]

  public init(fingerprint: String, problems: [AccountProblem]) {
    self.fingerprint = fingerprint
    self.problems = problems
  }
}

/// What syncing the accounts file changed.
public struct RegistrySyncResult: Sendable, Equatable {
  public var accountsAdded = 0
  public var accountsUpdated = 0
  public var virtualAccountsAdded = 0
  public init() {}
}

/// The work a file does inside its one ledger transaction.
///
/// Shaped for a ledger across a network: deposits and rejects go in by the
/// batch, and a batch's outcomes come back together, so that a file of a
/// million lines costs a few thousand round trips, not millions.
public protocol DepositSession: AnyObject {
  /// The id of the file's record, which the session inserted first.
  var fileID: Int64 { get }
  /// Records a batch of deposits in order and says, for each, whether it
  /// was deposited now, is a duplicate, or conflicts with what the ledger
  /// (or an earlier row of this file) holds under its identity.
  func deposit(_ rows: DepositRows) throws -> [DepositOutcome]
  /// Takes back every deposit this file made for these web orders, given
  /// by their keys (`LineIdentity.orderKey`), for order atomicity; returns
  /// them in file order.
  func withdrawOrders(_ orderKeys: [String]) throws -> [Deposit]
  /// Records rejected lines of this file.
  func recordRejects(_ rejects: [Reject]) throws
  /// Which of these web orders (by key) had a line rejected earlier in this file.
  func rejectedOrders(among orderKeys: Set<String>) throws -> Set<String>
  /// Completes the file's record with its final counts and content hash.
  func finish(_ totals: FileTotals, sha256: String) throws
  /// A deposit with what is still held of it (deposited held minus transferred), or nil.
  func heldDeposit(_ identity: LineIdentity) throws -> (deposit: Deposit, remaining: Int)?
  /// A transfer recorded earlier under this sender's transfer id, or nil.
  func transfer(source: String, transferID: String) throws -> Transfer?
  /// Journals a transfer.
  func applyTransfer(_ transfer: Transfer) throws
  /// Every deposit this file made, in file order (for the run's report).
  func depositsOfThisFile(_ body: (Deposit) throws -> Void) throws
  /// Every reject recorded for this file, ordered by record.
  func rejectsOfThisFile(_ body: (Reject) throws -> Void) throws
}

/// How a file's batches of deposits go to the ledger.
public enum DepositPacing: Sendable {
  /// Each batch's outcomes come back before the next batch is sent.
  case batchByBatch
  /// A ledger behind a network may send a batch and go on without waiting
  /// for it, taking every row as newly deposited (as almost every row of a
  /// night's drop is). Should the ledger hold one of them already (or the
  /// file hold one twice), nothing of the file is kept: the transaction
  /// throws `DepositsSentAheadRefused`, and the file is done again
  /// `.batchByBatch`, where each such row gets its outcome. An embedded
  /// ledger, with no round trip to save, always goes batch by batch.
  case ahead
}

/// Deposits sent ahead (`DepositPacing.ahead`) met a deposit the ledger
/// already holds: the file's transaction was rolled back, and the file is
/// to be done again batch by batch.
public struct DepositsSentAheadRefused: Error, Sendable, CustomStringConvertible {
  public var file: String
  public var description: String { "\(file): a line sent ahead is already in the ledger; done again batch by batch" }
}

extension Ledger {
  /// A file's transaction whose deposits go batch by batch.
  public func inFileTransaction<T>(_ file: FileRecord, _ body: (DepositSession) throws -> T) throws -> T {
    try inFileTransaction(file, pacing: .batchByBatch, body)
  }
}

/// The deposit ledger. Every backend keeps the same guarantees: one
/// transaction per file, deposit identity unique, file identity by content.
public protocol Ledger: AnyObject {
  /// Where the ledger is, for messages (never with a password).
  var location: String { get }
  /// How runs on this ledger keep out of each other's way.
  var coordination: RunCoordination { get }
  /// Deposits per `DepositSession.deposit(_:)` call that suit this backend:
  /// enough to make a round trip's cost small against the rows it carries.
  var batchSize: Int { get }
  /// Adds new accounts and VAs from the accounts file; removes nothing. In
  /// the same transaction, records `source` as what the registry was synced
  /// from, or forgets the source recorded before when it is nil.
  func syncRegistry(_ accounts: [SmartAccount], source: RegistrySource?) throws -> RegistrySyncResult
  /// What the last sync recorded as its source, if it recorded one.
  func registrySource() throws -> RegistrySource?
  /// The registry as the ledger holds it.
  func registry() throws -> Registry
  /// Records the start of a run and marks as died every run shown as
  /// running that is provably not alive (under the host lock: all of them;
  /// with claims: those whose lease expired); returns those.
  func startRun(_ run: RunStart) throws -> [RunRecord]
  /// Renews a running run's lease (a no-op where the host lock proves it alive).
  func renewRun(id: String) throws
  /// What a thread of its own calls while the run goes on to renew the
  /// run's lease and its claims; nil where nothing needs renewing.
  func leaseRenewal(runID: String) -> (@Sendable () throws -> Void)?
  /// Records the end of a run with its summary.
  func finishRun(id: String, finishedAt: String, exitCode: Int, status: RunStatus, summary: RunCounts) throws
  /// The runs, newest first.
  func runs(limit: Int) throws -> [RunRecord]
  /// Claims an inbox file for this run, or says another live run holds it.
  /// A claim whose holder stopped renewing for the claim timeout is taken over.
  func claimFile(_ claim: FileClaim, runID: String) throws -> Bool
  /// Renews every claim this run holds.
  func renewClaims(runID: String) throws
  /// Gives up a claim (the file was filed away, or left for a later run).
  func releaseClaim(_ claim: FileClaim, runID: String) throws
  /// Whether a processed file, or a remembered quarantined one, had this size
  /// (then a file of that size is hashed before it is read).
  func hasProcessedFile(size: Int64) throws -> Bool
  /// The quarantine remembered for this content, if any (not released).
  func quarantinedFile(sha256: String) throws -> QuarantinedFile?
  /// Every remembered quarantine, newest first.
  func quarantinedFiles() throws -> [QuarantinedFile]
  /// Forgets the quarantine of this content (the file is put back, fixed).
  func releaseQuarantine(sha256: String) throws
  /// The processed file with this content hash, if any.
  func processedFile(sha256: String) throws -> ProcessedFile?
  /// Notes where a processed file now is (after moving it).
  func setDisposition(fileID: Int64, disposition: FileDisposition) throws
  /// Records `file` and runs `body` in the same transaction: the file's
  /// deposits and its record commit together when `body` returns, and
  /// neither does when it throws. Throws `DuplicateFileError` when a file
  /// of the same content was committed meanwhile (by another runner), and,
  /// with `.ahead`, `DepositsSentAheadRefused` when the file must be done
  /// again `.batchByBatch`.
  func inFileTransaction<T>(
    _ file: FileRecord, pacing: DepositPacing, _ body: (DepositSession) throws -> T
  ) throws -> T
  /// Whether several files may commit in one transaction (a group commit):
  /// one sync to disk for many small files instead of one each. Not where
  /// runners side by side must see each file committed on its own.
  var groupsFiles: Bool { get }
  /// Opens a group: every write until `commitFileGroup` commits with it (a
  /// file's transaction is then a savepoint inside it, still whole or not
  /// at all). Only called where `groupsFiles`.
  func beginFileGroup() throws
  /// Commits the open group, everything of it or, when it throws, nothing.
  func commitFileGroup() throws
  /// Rolls back the open group, if one is open.
  func rollbackFileGroup()
  /// Records a quarantined file (no deposits).
  func recordQuarantine(_ file: FileRecord) throws
  /// Notes the files a run saw and did not deposit (duplicate, not ready,
  /// stale, unreadable), for its reports to be rebuilt later.
  func recordRunFiles(runID: String, _ entries: [RunFileEntry]) throws
  /// The run with this id, or nil.
  func run(id: String) throws -> RunRecord?
  /// Every file of a run: those it recorded, then those it only saw.
  func filesOfRun(id: String) throws -> [RunFileEntry]
  /// Transfers the run applied, and their licences.
  func transfersOfRun(id: String) throws -> (applied: Int, quantity: Int)
  /// Number of deposits in the ledger.
  /// Ledger-wide figures from the totals kept per file and transfer; licences
  /// deposited before `day` (`YYYY-MM-DD`) count as held over age.
  func totals(heldOverAgeBefore day: String) throws -> LedgerTotals
  func depositCount() throws -> Int
  /// Lines the ledger holds twice under one identity: deposits made before
  /// identities compared by meaning, kept apart by the migration (`twin`).
  func identityCollisions() throws -> [IdentityCollision]
  /// Runs `body` with cursors over a consistent view of the ledger (one
  /// read transaction); cursors opened in it are valid only inside it.
  func withCursors<T>(_ operation: String, _ body: (LedgerCursors) throws -> T) throws -> T
  /// Ends the ledger's use: a dry run's changes are rolled back here.
  func close()
}

/// One line deposited twice under spellings that now mean the same identity
/// (`1.0` and `1`): a double deposit made before identities compared by
/// meaning. Nothing corrects it automatically; a person decides.
public struct IdentityCollision: Sendable, Equatable, Codable {
  /// One deposit of the pair, as its file spelled it and where it came from.
  public struct Side: Sendable, Equatable, Codable {
    public var webOrderID: String
    public var lineNumber: String
    public var sku: String
    public var quantity: Int
    public var smartAccount: String
    public var virtualAccount: String
    public var status: DepositStatus
    public var file: String
    public var runID: String

    enum CodingKeys: String, CodingKey {
      case webOrderID = "web_order_id"
      case lineNumber = "line_number"
      case sku, quantity
      case smartAccount = "smart_account"
      case virtualAccount = "virtual_account"
      case status, file
      case runID = "run_id"
    }
  }

  public var identity: LineIdentity
  /// The deposit every lookup of the identity finds (the earlier one).
  public var kept: Side
  /// The later deposit of the same line, kept apart as twin `twin`.
  public var twin: Side
  public var twinNumber: Int

  enum CodingKeys: String, CodingKey {
    case identity, kept, twin
    case twinNumber = "twin_number"
  }
}

/// The counts a run ends with, as stored in the run history.
/// What the run history keeps of a run: its counts, as `summary.json` has
/// them, and why it failed if it did.
public struct RunCounts: Sendable, Equatable, Codable {
  public var filesProcessed = 0
  public var filesDuplicate = 0
  public var filesQuarantined = 0
  public var filesNotReady = 0
  public var filesStale = 0
  public var linesRead = 0
  public var linesDeposited = 0
  public var linesHeld = 0
  public var linesDuplicate = 0
  public var linesRejected = 0
  /// Why the run failed (exit 74), or "".
  public var cause = ""
  public init() {}

  /// The counts of the `runs` table's columns, in this order, after `files_processed`.
  static let columns = [
    "files_processed", "files_duplicate", "files_quarantined", "files_not_ready", "files_stale", "lines_read",
    "lines_deposited", "lines_held", "lines_duplicate", "lines_rejected",
  ]

  var values: [Int] {
    [
      filesProcessed, filesDuplicate, filesQuarantined, filesNotReady, filesStale, linesRead, linesDeposited,
      linesHeld, linesDuplicate, linesRejected,
    ]
  }

  init(values: [Int], cause: String) {
    filesProcessed = values[0]
    filesDuplicate = values[1]
    filesQuarantined = values[2]
    filesNotReady = values[3]
    filesStale = values[4]
    linesRead = values[5]
    linesDeposited = values[6]
    linesHeld = values[7]
    linesDuplicate = values[8]
    linesRejected = values[9]
    self.cause = cause
  }
}

/// What one file added to the ledger, recorded with it when it commits.
public struct FileTotals: Sendable, Equatable {
  /// Lines read and lines rejected.
  public var lines: Int
  public var rejected: Int
  /// Deposit rows it added, and the licences of those that are held.
  public var deposited: Int
  public var heldQuantity: Int

  public init(lines: Int, rejected: Int, deposited: Int = 0, heldQuantity: Int = 0) {
    self.lines = lines
    self.rejected = rejected
    self.deposited = deposited
    self.heldQuantity = heldQuantity
  }
}

/// Ledger-wide figures for the metrics, from the totals kept per file and
/// per transfer (never a scan of every deposit).
public struct LedgerTotals: Sendable, Equatable {
  /// Deposit rows in the ledger.
  public var deposits = 0
  /// Licences held in holding accounts now.
  public var held = 0
  /// Of those, the ones deposited longer ago than the holding age limit.
  public var heldOverAge = 0
  /// When the last run that completed (exit 0 or 65) ended, from the run history.
  public var lastSuccess: String?

  public init() {}
}

extension Ledger {
  /// A sync that records no source: the next run reads the accounts file again.
  public func syncRegistry(_ accounts: [SmartAccount]) throws -> RegistrySyncResult {
    try syncRegistry(accounts, source: nil)
  }
}
