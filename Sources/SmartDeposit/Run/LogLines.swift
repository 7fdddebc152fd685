import Foundation
import Logging

/// How log lines are written (`[log] format`).
public enum LogFormat: String, Sendable, CaseIterable {
  case text
  case json
}

/// The log handler of smartdeposit's commands: one line per event on
/// standard error, with its UTC time, level and run id (SPEC §8). `text` is
/// for people (`2026-11-30T02:15:00.123Z notice [20261130T021500Z-3f2a]
/// quarantined: …`); `json` is one object per line with `ts`, `level`,
/// `message`, `run_id` and the event's other metadata.
public struct LogLines: LogHandler {
  public var logLevel: Logger.Level
  public var metadata: Logger.Metadata = [:]
  public let format: LogFormat
  private let write: @Sendable (String) -> Void

  public init(
    format: LogFormat, level: Logger.Level,
    write: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
  ) {
    self.format = format
    logLevel = level
    self.write = write
  }

  public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }

  public func log(event: LogEvent) {
    var all = metadata
    if let extra = event.metadata { all.merge(extra) { $1 } }
    write(Self.line(event.level, "\(event.message)", all, format: format, at: Date()))
  }

  /// One log line as this handler writes it.
  public static func line(
    _ level: Logger.Level, _ message: String, _ metadata: Logger.Metadata, format: LogFormat, at date: Date
  ) -> String {
    let time = timestamp(date)
    let runID = metadata["run_id"].map { "\($0)" }
    switch format {
    case .text:
      var text = "\(time) \(level.rawValue) [\(runID ?? "-")] \(message)"
      for (key, value) in metadata.sorted(by: { $0.key < $1.key }) where key != "run_id" {
        text += " \(key)=\(value)"
      }
      return text
    case .json:
      var object: [String: Any] = ["ts": time, "level": level.rawValue, "message": message]
      object["run_id"] = runID ?? NSNull()
      for (key, value) in metadata where key != "run_id" { object[key] = "\(value)" }
      guard
        let data = try? JSONSerialization.data(
          withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
      else { return "{}" }
      return String(decoding: data, as: UTF8.self)
    }
  }

  /// RFC 3339 in UTC with milliseconds: `2026-11-30T02:15:00.123Z`.
  static func timestamp(_ date: Date) -> String {
    let seconds = date.timeIntervalSince1970
    let whole = seconds.rounded(.down)
    var milliseconds = Int(((seconds - whole) * 1000).rounded(.down))
    milliseconds = min(max(milliseconds, 0), 999)
    let base = Timestamp.format(Date(timeIntervalSince1970: whole))
    let fraction = String(milliseconds)
    return base.dropLast() + "." + String(repeating: "0", count: 3 - fraction.count) + fraction + "Z"
  }
}

/// The logger a run logs through: set once the run has an id, so that every
/// line carries it. A reference, so that the run's value types share it.
public final class RunLogger: @unchecked Sendable {
  // @unchecked: `logger` is set by the run's own thread before any other
  // thread (the lease keeper) is given a copy of it.
  public private(set) var logger: Logger

  public init(_ logger: Logger) { self.logger = logger }

  /// Every line from now on carries this run id.
  func setRunID(_ runID: String) {
    logger[metadataKey: "run_id"] = .string(runID)
  }
}

extension Logger {
  /// A logger that drops everything (the library's default when no command configured one).
  public static let silent = Logger(label: "smartdeposit", factory: { _ in SwiftLogNoOpLogHandler() })
}

/// The log levels, least severe first, as `[log] level` and `--log-level` spell them.
public enum LogLevels {
  public static let all = Logger.Level.allCases.map(\.rawValue)

  public static func level(_ name: String) -> Logger.Level? { Logger.Level(rawValue: name) }
}
