import Foundation

/// What happened to one deposit sent to the ledger.
public enum DepositOutcome: Sendable, Equatable {
  /// Recorded now.
  case deposited
  /// The same (web order id, line number) was already deposited with the same content.
  case duplicate
  /// The same identity was already deposited with different content.
  case conflicting(existing: Deposit)
}

/// A run as the ledger's history records it.
public struct RunRecord: Sendable, Equatable, Codable {
  public var id: String
  public var startedAt: String
  public var finishedAt: String?
  /// `running`, `completed`, `failed`, or `died` (found still running by a later run).
  public var status: String
  public var exitCode: Int?
  public var filesProcessed: Int
  public var linesDeposited: Int
  public var linesRejected: Int
}

/// A file the ledger knows was processed (its deposits committed).
public struct ProcessedFile: Sendable, Equatable {
  public var id: Int64
  public var sha256: String
  public var name: String
  public var runID: String
  /// `archived`, `kept` or `pending` (committed, not yet moved).
  public var disposition: String
}

/// One file's record, written in the same transaction as its deposits.
public struct FileRecord: Sendable, Equatable {
  public var sha256: String
  public var name: String
  public var format: InputFormat
  public var sender: String
  public var runID: String
  /// `processed` or `quarantined`.
  public var outcome: String
  public var lines: Int
  public var rejected: Int
  public var reason: String
  /// Where the file is meant to end up: `archived`, `kept`, `pending` or `quarantined`.
  public var disposition: String
  /// Bytes in the file as found in the inbox.
  public var size: Int64

  public init(
    sha256: String, name: String, format: InputFormat, sender: String, runID: String, outcome: String,
    lines: Int, rejected: Int, reason: String, disposition: String, size: Int64 = 0
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

/// What syncing the accounts file changed.
public struct RegistrySyncResult: Sendable, Equatable {
  public var accountsAdded = 0
  public var accountsUpdated = 0
  public var virtualAccountsAdded = 0
  public init() {}
}

/// The work a file does inside its one ledger transaction.
public protocol DepositSession: AnyObject {
  /// Records one deposit, packed in `bytes`, or says why it is a no-op or a conflict.
  func deposit(_ deposit: PackedDeposit, in bytes: UnsafeRawBufferPointer) throws -> DepositOutcome
  /// Takes back every deposit this file made for a web order, given by its
  /// key (`LineIdentity.orderKey`), for order atomicity; returns them in file order.
  func withdrawOrder(_ orderKey: String) throws -> [Deposit]
  /// Records a rejected line of this file.
  func recordReject(_ reject: Reject) throws
  /// Whether a line of this web order (by its key) was rejected earlier in this file.
  func isOrderRejected(_ orderKey: String) throws -> Bool
  /// Completes the file's record with its final counts and content hash.
  func finish(lines: Int, rejected: Int, sha256: String) throws
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

/// The deposit ledger. Every backend keeps the same guarantees: one
/// transaction per file, deposit identity unique, file identity by content.
public protocol Ledger: AnyObject {
  /// Adds new accounts and VAs from the accounts file; removes nothing.
  func syncRegistry(_ accounts: [SmartAccount]) throws -> RegistrySyncResult
  /// The registry as the ledger holds it.
  func registry() throws -> Registry
  /// Records the start of a run and marks every run still shown as running as
  /// died (the caller holds the run lock, so none of them is alive); returns those.
  func startRun(id: String, startedAt: String) throws -> [RunRecord]
  /// Records the end of a run with its summary.
  func finishRun(id: String, finishedAt: String, exitCode: Int, status: String, summary: RunCounts) throws
  /// The runs, newest first.
  func runs(limit: Int) throws -> [RunRecord]
  /// Whether any processed file had exactly this many bytes (if none did, a
  /// file of this size cannot be a duplicate and need not be hashed first).
  func hasProcessedFile(size: Int64) throws -> Bool
  /// The processed file with this content hash, if any.
  func processedFile(sha256: String) throws -> ProcessedFile?
  /// Notes where a processed file now is (after moving it).
  func setDisposition(fileID: Int64, disposition: String) throws
  /// Records `file` and runs `body` in the same transaction: the file's
  /// deposits and its record commit together when `body` returns, and
  /// neither does when it throws.
  func inFileTransaction<T>(_ file: FileRecord, _ body: (DepositSession) throws -> T) throws -> T
  /// Records a quarantined file (no deposits).
  func recordQuarantine(_ file: FileRecord) throws
  /// Balances per SA, VA and SKU, derived from the journal of movements.
  func balances() throws -> [Balance]
  /// Number of deposits in the ledger.
  func depositCount() throws -> Int
  /// Lines the ledger holds twice under one identity: deposits made before
  /// identities compared by meaning, kept apart by the migration (`twin`).
  func identityCollisions() throws -> [IdentityCollision]
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
public struct RunCounts: Sendable, Equatable, Codable {
  public var filesProcessed = 0
  public var linesDeposited = 0
  public var linesRejected = 0
  public init() {}
}
