/// How the program ends: the sysexits codes operators script against, one
/// type for every command.
public enum ExitStatus: Int32, Sendable, Equatable, CaseIterable {
  /// Everything taken was done.
  case success = 0
  /// A bad command line.
  case usage = 64
  /// The work completed, but some lines were rejected, files quarantined or differences found.
  case dataError = 65
  /// An input (inbox, file, ledger) does not exist.
  case noInput = 66
  /// A file could not be put where it was asked to go (it would replace another).
  case cannotCreate = 73
  /// An I/O or ledger error stopped the work; nothing half-done was committed.
  case ioError = 74
  /// Another run holds the lock; nothing was done.
  case locked = 75
  /// pipeline.conf is missing or invalid.
  case configError = 78

  /// The code as a number, as `summary.json` and the run history keep it.
  public var code: Int { Int(rawValue) }
}

/// The version `smartdeposit --version` prints.
public enum SmartDepositVersion {
  public static let current = "0.4.0"
}
