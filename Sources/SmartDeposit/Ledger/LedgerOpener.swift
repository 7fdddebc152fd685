import Foundation

/// The one way a command or a stage gets a ledger: from the configuration,
/// whichever backend it names.
public enum LedgerOpener {
  /// What the caller is going to do with the ledger.
  public enum Access: Sendable {
    /// Read only: a ledger that does not exist yet is an error (66), never created.
    case read
    /// Write: the ledger and its schema are created when missing.
    case write
  }

  /// Opens the configured ledger and brings its schema up to date.
  ///
  /// With `dryRun`, every change is made inside one transaction that
  /// `close()` rolls back.
  public static func open(_ config: PipelineConfig, access: Access, dryRun: Bool = false) throws -> Ledger {
    switch config.ledger {
    case .sqlite(let path):
      if access == .read && !FileManager.default.fileExists(atPath: path) {
        throw RunError.ledgerMissing(path: path, key: "[ledger] path", config: config.configFile)
      }
      return try SQLiteLedger(path: path, dryRun: dryRun)
    case .postgres(let location):
      return try PostgresLedger(location: location, createSchema: access == .write, dryRun: dryRun) {
        throw RunError.ledgerMissing(path: location.description, key: "[ledger] url", config: config.configFile)
      }
    }
  }
}
