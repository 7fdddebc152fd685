import ArgumentParser
import SmartDeposit

struct ReportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "report",
    abstract: "Rebuild a run's reports (summary.json, deposits.csv, rejects.csv, report.html) from the ledger.",
    discussion: """
      Writes reports/RUN-ID/ from what the ledger keeps of the run, replacing what is there: for a run that died \
      before it published its reports, or a report folder that was removed. An unknown run id exits 66.
      """)

  @OptionGroup var options: ConfigOption

  @Argument(help: "The run's id, as `smartdeposit runs` lists it (for example 20261129T020000Z-3f9a).")
  var runID: String

  func run() throws {
    let config = try options.load()
    let folder: String
    do {
      let ledger = try LedgerOpener.open(config, access: .read)
      defer { ledger.close() }
      folder = try RunReportRebuild.rebuild(runID: runID, ledger: ledger, reportsDir: config.reportsDir)
    } catch {
      throw fail(error)
    }
    print("rebuilt the reports of run \(runID): \(folder)/")
  }
}
