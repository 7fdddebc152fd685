import Foundation

/// An input file found in the inbox and ready to be taken.
public struct InboxFile: Sendable, Equatable {
  /// Absolute path.
  public var path: String
  /// Path relative to the inbox (`orders.xml`, `globalnet/bulk.csv`): the name reports use.
  public var name: String
  public var sender: Sender
  public var format: InputFormat
  public var size: Int64
  /// Modification time as found, in seconds since 1970 (part of a file's claim).
  public var modified: Double = 0

  public init(path: String, name: String, sender: Sender, format: InputFormat, size: Int64, modified: Double = 0) {
    self.path = path
    self.name = name
    self.sender = sender
    self.format = format
    self.size = size
    self.modified = modified
  }

  /// The claim a runner takes on this file before reading it.
  public var claim: FileClaim { FileClaim(path: path, size: size, modified: modified) }
}

/// What discovery found: files ready to take, in name order, and the rest with reasons.
public struct DiscoveryResult: Sendable {
  public var ready: [InboxFile] = []
  public var notReady: [RunSummary.FileDetail] = []
  public var notTaken: [RunSummary.NotTaken] = []
  /// Files the runs keep not taking, for longer than `[alerts] stale_after_hours`.
  public var stale: [RunSummary.StaleFile] = []
}

/// Finds the files of a drop: directly in the inbox (CCW) and in each
/// configured partner's sub-folder. Only regular files are read; links,
/// FIFOs, devices and unowned folders are reported and left alone.
public struct Discovery: Sendable {
  public var config: PipelineConfig
  /// Files to skip because they are not orders (the accounts file, for one).
  public var excluded: Set<String>

  public init(config: PipelineConfig) {
    self.config = config
    var excluded: Set<String> = [config.accountsFile]
    for name in config.ignore { excluded.insert(PathUtilities.resolve(name, against: config.inbox)) }
    self.excluded = excluded
  }

  /// Whether a name is never taken: temporary, partial, hidden or a marker.
  public static func isIgnoredName(_ name: String) -> Bool {
    name.hasPrefix(".") || name.hasSuffix(".tmp") || name.hasSuffix(".part") || name.hasSuffix(".done")
  }

  public func discover(now: Date = Date()) throws -> DiscoveryResult {
    var result = DiscoveryResult()
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: config.inbox, isDirectory: &isDirectory), isDirectory.boolValue else {
      throw RunError.inboxMissing(config.inbox)
    }
    try scan(folder: config.inbox, prefix: "", sender: .ccw, topLevel: true, now: now, into: &result)
    // Name order, with transfer files after the order files of the same
    // drop, so that a transfer can move what the drop deposits.
    result.ready.sort {
      let (first, second) = ($0.format == .transfer, $1.format == .transfer)
      if first != second { return second }
      return $0.name.utf8.lexicographicallyPrecedes($1.name.utf8)
    }
    return result
  }

  private func scan(
    folder: String, prefix: String, sender: Sender, topLevel: Bool, now: Date, into result: inout DiscoveryResult
  ) throws {
    let names: [String]
    do {
      names = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
    } catch {
      result.notTaken.append(
        .init(name: prefix.isEmpty ? "." : prefix, reason: "cannot list the folder: \(OSCause.describe(error))"))
      return
    }
    for name in names {
      let path = (folder as NSString).appendingPathComponent(name)
      let shown = prefix + name
      if excluded.contains(path) { continue }
      var info = stat()
      if Self.isIgnoredName(name) {
        // A partial upload left behind is worth an alert; hidden files and markers are not.
        if name.hasSuffix(".part") || name.hasSuffix(".tmp"), !name.hasPrefix("."), lstat(path, &info) == 0,
          info.st_mode & S_IFMT == S_IFREG
        {
          let kind = name.hasSuffix(".part") ? ".part" : ".tmp"
          noteIfStale(
            shown, modified: Self.modified(info), now: now,
            reason: "an upload that never completed (\(kind) is never taken)", into: &result)
        }
        continue
      }
      guard lstat(path, &info) == 0 else { continue }
      switch info.st_mode & S_IFMT {
      case S_IFDIR:
        if topLevel, let partner = config.partner(forSubfolder: name) {
          try scan(
            folder: path, prefix: shown + "/", sender: .partner(partner.name), topLevel: false, now: now, into: &result)
        } else if topLevel && isManagedFolder(path) {
          continue
        } else {
          result.notTaken.append(
            .init(
              name: shown + "/",
              reason: topLevel ? "a sub-folder that no configured partner owns" : "a folder inside a partner inbox"))
        }
      case S_IFREG:
        guard let format = InputFormat.of(fileName: name) else {
          result.notTaken.append(
            .init(
              name: shown, reason: "not an order or transfer file (.xml, .csv, .xlsx, .transfer.csv, optionally .gz)"))
          continue
        }
        let modified = Self.modified(info)
        let age = now.timeIntervalSince(modified)
        if config.ready == .marker && !FileManager.default.fileExists(atPath: path + ".done") {
          let reason = "waiting for \(name).done"
          if !noteIfStale(
            shown, modified: modified, now: now, reason: "its marker \(name).done never came", into: &result)
          {
            result.notReady.append(.init(name: shown, format: format.rawValue, outcome: .notReady, reason: reason))
          }
          continue
        }
        if age < config.settleSeconds {
          let reason = "changed \(String(format: "%.1f", max(age, 0)))s ago; settle_seconds is \(config.settleSeconds)"
          if !noteIfStale(shown, modified: modified, now: now, reason: reason, into: &result) {
            result.notReady.append(.init(name: shown, format: format.rawValue, outcome: .notReady, reason: reason))
          }
          continue
        }
        result.ready.append(
          InboxFile(
            path: path, name: shown, sender: sender, format: format, size: Int64(info.st_size),
            modified: modified.timeIntervalSince1970))
      case S_IFLNK:
        result.notTaken.append(.init(name: shown, reason: "a symbolic link; only regular files are read"))
      default:
        result.notTaken.append(.init(name: shown, reason: "not a regular file (FIFO, socket or device)"))
      }
    }
  }

  private static func modified(_ info: stat) -> Date {
    Date(timeIntervalSince1970: Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9)
  }

  /// Records a file not taken as stale when it last changed longer ago than
  /// `[alerts] stale_after_hours` (0: never); returns whether it did.
  @discardableResult
  private func noteIfStale(
    _ name: String, modified: Date, now: Date, reason: String, into result: inout DiscoveryResult
  ) -> Bool {
    guard config.staleAfterHours > 0 else { return false }
    let hours = now.timeIntervalSince(modified) / 3600
    guard hours > config.staleAfterHours else { return false }
    result.stale.append(.init(name: name, ageHours: (hours * 10).rounded() / 10, reason: reason))
    return true
  }

  /// The archive, quarantine, reports or ledger folder may sit inside the inbox; they are not input.
  private func isManagedFolder(_ path: String) -> Bool {
    let managed = [
      config.archive, config.quarantine, config.reportsDir, (config.ledgerPath as NSString).deletingLastPathComponent,
    ]
    return managed.contains { $0 == path || $0.hasPrefix(path + "/") }
  }
}
