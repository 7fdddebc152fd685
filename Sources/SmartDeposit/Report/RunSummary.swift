/// The run's `summary.json`.
public struct RunSummary: Sendable, Equatable, Codable {
  public struct Files: Sendable, Equatable, Codable {
    public var seen = 0
    public var processed = 0
    public var duplicate = 0
    public var quarantined = 0
    public var notReady = 0
    /// Files the runs keep not taking for longer than `[alerts] stale_after_hours`.
    public var stale = 0

    enum CodingKeys: String, CodingKey {
      case seen, processed, duplicate, quarantined, stale
      case notReady = "not_ready"
    }
  }

  public struct Lines: Sendable, Equatable, Codable {
    public var read = 0
    public var deposited = 0
    public var held = 0
    public var duplicate = 0
    public var rejected = 0
  }

  public struct Quantity: Sendable, Equatable, Codable {
    public var deposited = 0
    public var held = 0
  }

  public struct Transfers: Sendable, Equatable, Codable {
    public var applied = 0
    public var rejected = 0
    public var duplicate = 0
    public var quantity = 0
  }

  /// What became of one file in a run.
  public enum FileRunOutcome: String, Sendable, Equatable, Codable {
    case processed
    /// Its content was processed before (or by another runner meanwhile).
    case duplicate
    case quarantined
    /// Not complete yet (marker missing, still settling, changed while read).
    case notReady = "not-ready"
    /// Could not be read; left where it is.
    case unreadable
    /// Waiting, not taken, for longer than `[alerts] stale_after_hours`.
    case stale
    /// Committed by a run that died before it reported it: reported by
    /// the run that found the died run (`recovered_from` names it).
    case recovered
  }

  /// One file's outcome.
  public struct FileDetail: Sendable, Equatable, Codable {
    public var name: String
    public var sha256: String
    public var format: String
    public var outcome: FileRunOutcome
    public var lines: Int
    public var rejected: Int
    public var reason: String
    public var sender: String
    public var deposited: Int
    public var duplicate: Int
    public var movedTo: String
    /// The died run that committed a recovered file.
    public var recoveredFrom: String?

    public init(
      name: String, sha256: String = "", format: String = "", outcome: FileRunOutcome, lines: Int = 0,
      rejected: Int = 0,
      reason: String = "", sender: String = "", deposited: Int = 0, duplicate: Int = 0, movedTo: String = "",
      recoveredFrom: String? = nil
    ) {
      self.recoveredFrom = recoveredFrom
      self.name = name
      self.sha256 = sha256
      self.format = format
      self.outcome = outcome
      self.lines = lines
      self.rejected = rejected
      self.reason = reason
      self.sender = sender
      self.deposited = deposited
      self.duplicate = duplicate
      self.movedTo = movedTo
    }

    enum CodingKeys: String, CodingKey {
      case name, sha256, format, outcome, lines, rejected, reason, sender, deposited, duplicate
      case movedTo = "moved_to"
      case recoveredFrom = "recovered_from"
    }
  }

  /// A file in an inbox that runs keep not taking, for longer than
  /// `[alerts] stale_after_hours`: its age is the time since it last changed.
  public struct StaleFile: Sendable, Equatable, Codable {
    public var name: String
    public var ageHours: Double
    public var reason: String

    public init(name: String, ageHours: Double, reason: String) {
      self.name = name
      self.ageHours = ageHours
      self.reason = reason
    }

    enum CodingKeys: String, CodingKey {
      case name, reason
      case ageHours = "age_hours"
    }
  }

  /// Something in the inbox that was not read, and why.
  public struct NotTaken: Sendable, Equatable, Codable {
    public var name: String
    public var reason: String

    public init(name: String, reason: String) {
      self.name = name
      self.reason = reason
    }
  }

  public var runID: String
  public var startedAt: String
  public var finishedAt: String = ""
  public var exitCode: Int = 0
  public var dryRun: Bool = false
  public var files = Files()
  public var lines = Lines()
  public var quantity = Quantity()
  public var transfers = Transfers()
  public var rejectsByCode: [String: Int] = [:]
  public var filesDetail: [FileDetail] = []
  public var notTaken: [NotTaken] = []
  public var staleFiles: [StaleFile] = []
  public var accountProblems: [String] = []
  /// Runs found still marked running (killed) and closed by this run.
  public var recoveredRuns: [String] = []
  public var errors: [String] = []
  /// In a summary rebuilt from the ledger (`smartdeposit report`): the
  /// run's status in the history, and when the report was rebuilt.
  public var status: String?
  public var rebuiltAt: String?

  public init(runID: String, startedAt: String) {
    self.runID = runID
    self.startedAt = startedAt
  }

  enum CodingKeys: String, CodingKey {
    case runID = "run_id"
    case startedAt = "started_at"
    case finishedAt = "finished_at"
    case exitCode = "exit_code"
    case dryRun = "dry_run"
    case files, lines, quantity, transfers
    case rejectsByCode = "rejects_by_code"
    case filesDetail = "files_detail"
    case notTaken = "not_taken"
    case staleFiles = "stale_files"
    case accountProblems = "account_problems"
    case recoveredRuns = "recovered_runs"
    case errors, status
    case rebuiltAt = "rebuilt_at"
  }
}
