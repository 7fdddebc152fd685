import Foundation

/// Removes run folders older than their keep time (SPEC §8): a run's
/// report, archive and quarantine folders are named by its run id, whose
/// first part is the UTC time the run started; that time decides. Only
/// folders named like a run id are touched, never the current run's; what
/// the ledger still needs is never in them (a file not yet filed away stays
/// in the inbox, and the ledger keeps no path into these folders).
public struct Retention: Sendable {
  public var folders: [(path: String, keepDays: Int)]
  public var currentRunID: String

  public init(config: PipelineConfig, currentRunID: String) {
    folders = [
      (config.reportsDir, config.reportsKeepDays), (config.archive, config.archiveKeepDays),
      (config.quarantine, config.quarantineKeepDays),
    ]
    self.currentRunID = currentRunID
  }

  /// Removes what is due; returns the folders removed and the failures, each with its path.
  public func prune(now: Date = Date()) -> (removed: [String], failed: [String]) {
    var removed: [String] = []
    var failed: [String] = []
    for (folder, keepDays) in folders where keepDays > 0 {
      guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { continue }
      let cutoff = now.addingTimeInterval(-Double(keepDays) * 86_400)
      for name in names.sorted() where name != currentRunID {
        guard let started = Self.startTime(ofRunID: name), started < cutoff else { continue }
        let path = (folder as NSString).appendingPathComponent(name)
        var info = stat()
        guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else { continue }
        do {
          try FileManager.default.removeItem(atPath: path)
          removed.append(path)
        } catch {
          failed.append("\(path): \(OSCause.describe(error))")
        }
      }
    }
    return (removed, failed)
  }

  /// The time a run id (`20261130T021500Z-3f2a`) names, or nil for any other name.
  public static func startTime(ofRunID name: String) -> Date? {
    let bytes = Array(name.utf8)
    guard bytes.count >= 18, bytes[8] == 0x54, bytes[15] == 0x5A, bytes[16] == 0x2D,
      bytes[17...].allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) })
    else { return nil }
    let text = String(decoding: bytes, as: UTF8.self)
    func part(_ from: Int, _ count: Int) -> String {
      String(text.dropFirst(from).prefix(count))
    }
    let stamp = "\(part(0, 4))-\(part(4, 2))-\(part(6, 2))T\(part(9, 2)):\(part(11, 2)):\(part(13, 2))Z"
    return Timestamp.parse(stamp)
  }
}
