import ArgumentParser
import SmartDeposit

struct RunsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "runs", abstract: "The run history: each run's id, start, end, outcome and counts.",
    aliases: ["status"])

  @OptionGroup var options: ConfigOption

  @Option(help: "How many runs to show, newest first.")
  var limit = 20

  @Flag(help: "Print JSON.")
  var json = false

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
    let rows = runs.map {
      [
        $0.id, $0.startedAt, $0.finishedAt ?? "", $0.status.rawValue, $0.exitCode.map(String.init) ?? "",
        "\($0.filesProcessed)", "\($0.linesDeposited)", "\($0.linesRejected)",
        $0.host + ($0.pid.map { " (\($0))" } ?? ""),
      ]
    }
    print(
      CommandSupport.table(
        ["run", "started", "finished", "status", "exit", "files", "deposited", "rejected", "host (pid)"], rows,
        numeric: [4, 5, 6, 7]),
      terminator: "")
  }
}
