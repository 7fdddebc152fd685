/// Why a run could not start or had to stop. Each maps to one exit code.
public enum RunError: Error, Sendable, CustomStringConvertible {
  /// The inbox folder does not exist (66).
  case inboxMissing(String)
  /// An input file named on the command line does not exist (66).
  case inputMissing(String)
  /// Another run holds the lock (75); `holder` is what it wrote there (pid, run id, start).
  case locked(String, holder: String)
  /// An I/O or ledger failure stopped the run (74).
  case io(String)
  /// A read-only command found no ledger where the configuration points (66).
  case ledgerMissing(path: String, key: String, config: String)
  /// No run with this id in the ledger's history (66).
  case unknownRun(String)

  public var description: String {
    switch self {
    case .inboxMissing(let path): "the inbox \(path) does not exist or is not a folder"
    case .inputMissing(let path): "\(path): no such file"
    case .locked(let path, let holder):
      holder.isEmpty
        ? "another run holds the lock \(path); nothing was done"
        : "another run (\(holder)) holds the lock \(path); nothing was done"
    case .io(let message): message
    case .ledgerMissing(let path, let key, let config):
      "no ledger at \(path) (\(key) in \(config)); a run, a transfer or `accounts sync` creates it"
    case .unknownRun(let id): "no run \(id) in the ledger's history; `smartdeposit runs` lists the runs"
    }
  }

  /// The sysexits code for this error.
  public var exitStatus: ExitStatus {
    switch self {
    case .inboxMissing, .inputMissing, .ledgerMissing, .unknownRun: .noInput
    case .locked: .locked
    case .io: .ioError
    }
  }
}
