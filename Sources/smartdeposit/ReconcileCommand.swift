import ArgumentParser
import Foundation
import SmartDeposit

/// What `reconcile --format` takes: exactly these.
enum ReconcileFormat: String, ExpressibleByArgument, CaseIterable {
  case csv, json, html
}

struct ReconcileCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "reconcile",
    abstract: "The deposit reconciliation report: ordered vs deposited vs transferred vs held, SSM differences, aging.",
    discussion: "Exits 0 when everything reconciles, 65 when there are differences with SSM or over-age held licenses.")

  @OptionGroup var options: ConfigOption

  @Option(
    help:
      "What SSM holds, to compare balances with: its license view as CSV (columns smart_account, virtual_account, sku, quantity, found by name: 'Smart Account', 'License', 'Purchased' … are understood), or the licensing API's JSON listing (licenses[])."
  )
  var against: String?

  @Option(
    help:
      "The Smart Account a JSON listing from the licensing API is for, when the listing does not say (the API answers per account)."
  )
  var smartAccount: String?

  @Option(help: "How to write the report.")
  var format: ReconcileFormat = .csv

  @Option(help: "Write the report to this file instead of standard output.")
  var out: String?

  @Option(help: "Only order lines deposited on or after this date (YYYY-MM-DD).")
  var since: String?

  @Option(help: "Only order lines deposited on or before this date (YYYY-MM-DD).")
  var until: String?

  @Option(help: "The date ages are counted to (YYYY-MM-DD); today (UTC) by default.")
  var asOf: String?

  func validate() throws {
    for (name, value) in [("--since", since), ("--until", until), ("--as-of", asOf)] {
      if let value, !CalendarDate.isValid(value) {
        throw ValidationError("\(name) '\(value)' is not a date (YYYY-MM-DD)")
      }
    }
    if let since, let until, since > until {
      throw ValidationError("--since \(since) is after --until \(until): no line could be in both")
    }
  }

  func run() throws {
    let config = try options.load()
    let today = String(Timestamp.now().prefix(10))
    let settings = ReconciliationStream.Options(
      against: against, since: since, until: until, asOf: asOf ?? today, holdingMaxAgeDays: config.holdingMaxAgeDays,
      limits: config.limits, smartAccount: smartAccount)
    let reconciles: Bool
    let problems: [String]
    do {
      let ledger = try LedgerOpener.open(config, access: .read)
      defer { ledger.close() }
      // CSV and JSON are written as the ledger is read; the page shows the
      // first rows of each list (and says so), with totals over everything.
      let destination = out.map(PathUtilities.absolute)
      let partial = destination.map {
        ($0 as NSString).deletingLastPathComponent + "/." + ($0 as NSString).lastPathComponent + ".partial"
      }
      let output =
        try partial.map { try BufferedFileWriter(path: $0, writesBehind: true) }
        ?? BufferedFileWriter(standardOutput: ())
      switch format {
      case .csv, .json:
        let stream = try ReconciliationStream(ledger: ledger, options: settings)
        reconciles =
          try format == .csv
          ? ReconciliationRenderer.writeCSV(stream, to: output) : ReconciliationRenderer.writeJSON(stream, to: output)
        problems = stream.ssmProblems
      case .html:
        let report = try ReconciliationReport.build(
          ledger: ledger, against: against, since: since, until: until, asOf: settings.asOf,
          holdingMaxAgeDays: config.holdingMaxAgeDays, limits: config.limits, smartAccount: smartAccount,
          limit: ReconciliationRenderer.htmlRowLimit)
        try output.write(ReconciliationRenderer.html(report))
        reconciles = report.reconciles
        problems = report.ssmProblems
      }
      try output.close()
      if let partial, let destination {
        guard rename(partial, destination) == 0 else {
          throw ReportError(path: destination, cause: "cannot write: \(String(cString: strerror(errno)))")
        }
      }
    } catch let error as IngestError {
      CommandSupport.printError("smartdeposit: \(error)")
      throw ExitCode(.dataError)
    } catch {
      throw fail(error)
    }
    for problem in problems { CommandSupport.printError("smartdeposit: \(problem)") }
    if !reconciles { throw ExitCode(.dataError) }
  }
}
