import ArgumentParser
import SmartDeposit

struct RunsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "runs", abstract: "The run history: each run's id, start, end, outcome and counts.",
    aliases: ["status"])

  @OptionGroup var options: ConfigOption

  @Option(help: "How many runs to show, newest first.")
  var limit = 20

  @Flag(help: "Print JSON: an array of runs, each nested like summary.json.")
  var json = false

  func validate() throws {
    if limit < 1 { throw ValidationError("--limit must be at least 1, not \(limit)") }
  }

  func run() throws {
    let config = try options.load()
    let runs: [RunRecord]
    do {
      runs = try LedgerOpener.open(config, access: .read).runs(limit: limit)
    } catch {
      throw fail(error)
    }
    if json {
      print(CommandSupport.json(runs))
      return
    }
    let rows = runs.map { run -> [String] in
      let counts = run.counts
      return [
        run.id, run.startedAt, run.finishedAt ?? "", run.status.rawValue, run.exitCode.map(String.init) ?? "",
        "\(counts.filesProcessed)", "\(counts.filesDuplicate)", "\(counts.filesQuarantined)",
        "\(counts.filesNotReady + counts.filesStale)", "\(counts.linesDeposited)", "\(counts.linesRejected)",
        run.host + (run.pid.map { " (\($0))" } ?? ""), counts.cause,
      ]
    }
    print(
      CommandSupport.table(
        [
          "run", "started", "finished", "status", "exit", "processed", "duplicate", "quarantined", "waiting",
          "deposited", "rejected", "host (pid)", "cause",
        ], rows, numeric: [4, 5, 6, 7, 8, 9, 10]),
      terminator: "")
  }
}
