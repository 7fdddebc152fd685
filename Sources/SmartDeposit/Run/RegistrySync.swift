import Crypto
import Foundation

/// Brings the ledger's registry up to date with the accounts file at the
/// start of a run. Most nights the file has not changed: when its
/// fingerprint is the one the ledger recorded at its last sync, the file is
/// not read or synced again, and its problems are the ones recorded then.
///
/// The fingerprint covers the file's bytes and everything else that decides
/// what reading them gives: the program's version, the file's path (it names
/// the file in problems), the public mail domains and the input limits. A
/// sync never removes an account, so skipping one that would change nothing
/// leaves the registry exactly as syncing would.
public enum RegistrySync {
  public struct Outcome: Sendable {
    public var problems: [AccountProblem]
    /// The valid accounts the file lists (0 when it was not read).
    public var accounts: Int
    /// True when the file was found unchanged and not read.
    public var unchanged: Bool
    public var result: RegistrySyncResult
  }

  /// Syncs, or finds the file unchanged; `always` reads and syncs it whatever
  /// the ledger recorded (`accounts sync`).
  public static func run(config: PipelineConfig, ledger: Ledger, always: Bool = false) throws -> Outcome {
    // The file is fingerprinted before it is read: if it changes in between,
    // the recorded fingerprint is not the next night's and that run syncs.
    // A file that cannot be hashed is left to the reader, which says why.
    let fingerprint = try? fingerprint(config: config)
    if !always, let fingerprint, let recorded = try ledger.registrySource(), recorded.fingerprint == fingerprint {
      return Outcome(problems: recorded.problems, accounts: 0, unchanged: true, result: RegistrySyncResult())
    }
    let (accounts, problems) = try AccountsFile.read(config: config)
    let source = fingerprint.map { RegistrySource(fingerprint: $0, problems: problems) }
    let result = try ledger.syncRegistry(accounts, source: source)
    return Outcome(problems: problems, accounts: accounts.count, unchanged: false, result: result)
  }

  /// SHA-256 over the settings that read the accounts file, then the file's own SHA-256.
  public static func fingerprint(config: PipelineConfig) throws -> String {
    var info = stat()
    guard stat(config.accountsFile, &info) == 0, Int64(info.st_size) <= config.limits.maxFileBytes else {
      throw POSIXError(.EFBIG)
    }
    let fileHash = try sha256OfFile(atPath: config.accountsFile)
    let limits = config.limits
    let settings = [
      "smartdeposit \(SmartDepositVersion.current)",
      config.accountsFile,
      config.publicMailDomains.sorted().joined(separator: ","),
      "\(limits.maxFileBytes) \(limits.maxFieldBytes) \(limits.maxDepth)",
      fileHash,
    ].joined(separator: "\n")
    return lowercaseHex(SHA256.hash(data: Data(settings.utf8)))
  }
}
