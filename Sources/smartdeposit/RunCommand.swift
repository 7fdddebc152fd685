import ArgumentParser
import Foundation
import Logging
import SmartDeposit

struct RunCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run", abstract: "Take every ready file in the inbox through one deposit pass.")

  @OptionGroup var options: ConfigOption

  @Option(help: "Take files from this folder instead of the configured inbox.")
  var inbox: String?

  @Flag(help: "Validate and report, but commit nothing and move nothing.")
  var dryRun = false

  @Flag(help: "Print summary.json to standard output.")
  var json = false

  @Option(help: "Wait up to this many seconds for another run to finish instead of exiting 75.")
  var wait: Double = 0

  @Flag(
    help: """
      For cron: print nothing when the run exits 0; otherwise only one line per reject code and per \
      quarantined or stale file, and the report's path, on standard error. --json still prints the summary.
      """)
  var quiet = false

  @Option(help: "Log lines as text or json (default: [log] format, else text).")
  var logFormat: String?

  @Option(
    help: """
      The least severe log lines written: trace, debug, info, notice, warning, error or critical \
      (default: [log] level, else info; warning with --quiet).
      """)
  var logLevel: String?

  func validate() throws {
    if let logFormat, LogFormat(rawValue: logFormat) == nil {
      throw ValidationError("--log-format must be text or json, not '\(logFormat)'")
    }
    if let logLevel, LogLevels.level(logLevel) == nil {
      throw ValidationError(
        "--log-level must be one of \(LogLevels.all.joined(separator: ", ")), not '\(logLevel)'")
    }
    if wait < 0 { throw ValidationError("--wait must not be negative") }
  }

  func run() throws {
    var config = try options.load()
    if let inbox { config.inbox = PathUtilities.absolute(inbox) }
    var runOptions = RunOptions()
    runOptions.dryRun = dryRun
    runOptions.waitSeconds = wait
    let quiet = quiet
    let format = logFormat.flatMap(LogFormat.init(rawValue:)) ?? config.logFormat
    let level =
      logLevel.flatMap(LogLevels.level) ?? (quiet ? .warning : LogLevels.level(config.logLevel) ?? .info)
    runOptions.logger = Logger(label: "smartdeposit") { _ in LogLines(format: format, level: level) }
    if !quiet && CommandSupport.standardErrorIsTerminal {
      runOptions.progress = { line in
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
      }
    }
    let result: RunResult
    do {
      result = try RunPipeline(config: config, options: runOptions).run()
    } catch {
      throw fail(error)
    }
    let summary = result.summary
    if json {
      print(CommandSupport.json(summary))
    } else if !quiet {
      print(RunCommand.describe(summary, reportFolder: result.reportFolder))
    }
    if quiet && summary.exitCode != 0 {
      for line in RunCommand.alerts(summary, reportFolder: result.reportFolder) {
        CommandSupport.printError("smartdeposit: \(line)")
      }
    }
    if summary.exitCode != 0 { throw ExitCode(Int32(summary.exitCode)) }
  }

  /// What a quiet run says when it did not exit 0: one line per reject code,
  /// per quarantined and per stale file, and where the report is.
  static func alerts(_ summary: RunSummary, reportFolder: String) -> [String] {
    var lines: [String] = []
    for (code, count) in summary.rejectsByCode.sorted(by: { $0.key < $1.key }) {
      lines.append("rejected \(code): \(count) line\(count == 1 ? "" : "s")")
    }
    if summary.transfers.rejected > 0 {
      lines.append("rejected transfers: \(summary.transfers.rejected)")
    }
    for file in summary.filesDetail where file.outcome == .quarantined {
      lines.append("quarantined \(file.name): \(file.reason)")
    }
    for file in summary.staleFiles {
      lines.append("stale \(file.name): \(RunPipeline.hours(file.ageHours)) old: \(file.reason)")
    }
    if summary.exitCode == 66 && summary.files.seen == 0 {
      lines.append("no file at all in the inbox ([alerts] require_files is set)")
    }
    lines.append("report: \(reportFolder)/")
    return lines
  }

  static func describe(_ summary: RunSummary, reportFolder: String) -> String {
    var text = "run \(summary.runID)\(summary.dryRun ? " (dry run: nothing committed)" : "")\n"
    if !summary.recoveredRuns.isEmpty {
      text += "  recovered after interrupted run(s): \(summary.recoveredRuns.joined(separator: ", "))\n"
    }
    text +=
      "  files:  \(summary.files.seen) seen, \(summary.files.processed) processed, \(summary.files.duplicate) duplicate, \(summary.files.quarantined) quarantined, \(summary.files.notReady) not ready"
      + (summary.files.stale > 0 ? ", \(summary.files.stale) stale" : "") + "\n"
    text +=
      "  lines:  \(summary.lines.read) read, \(summary.lines.deposited) deposited (\(summary.lines.held) held), \(summary.lines.duplicate) duplicate, \(summary.lines.rejected) rejected\n"
    text += "  licenses: \(summary.quantity.deposited) deposited, \(summary.quantity.held) of them held\n"
    if summary.transfers.applied + summary.transfers.rejected + summary.transfers.duplicate > 0 {
      text +=
        "  transfers: \(summary.transfers.applied) applied (\(summary.transfers.quantity) licenses), \(summary.transfers.duplicate) duplicate, \(summary.transfers.rejected) rejected\n"
    }
    if !summary.rejectsByCode.isEmpty {
      text +=
        "  rejects: "
        + summary.rejectsByCode.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        + "\n"
    }
    for file in summary.filesDetail where file.outcome == .quarantined {
      text += "  quarantined: \(file.reason)\n"
    }
    for file in summary.staleFiles {
      text += "  stale: \(file.name), \(RunPipeline.hours(file.ageHours)) old: \(file.reason)\n"
    }
    text += "  reports: \(reportFolder)/\n"
    text += "  exit \(summary.exitCode)"
    return text
  }
}
