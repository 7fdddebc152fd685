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

  @Option(help: "An SSM license export (smart_account,virtual_account,sku,quantity) to compare balances with.")
  var against: String?

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
    let report: ReconciliationReport
    do {
      let ledger = try LedgerOpener.open(config, access: .read)
      report = try ReconciliationReport.build(
        ledger: ledger, against: against, since: since, until: until, asOf: asOf ?? today,
        holdingMaxAgeDays: config.holdingMaxAgeDays, limits: config.limits)
    } catch let error as IngestError {
      CommandSupport.printError("smartdeposit: \(error)")
      throw ExitCode(.dataError)
    } catch {
      throw fail(error)
    }
    let text: String
    switch format {
    case .csv: text = ReconciliationRenderer.csv(report)
    case .json: text = ReconciliationRenderer.json(report)
    case .html: text = ReconciliationRenderer.html(report)
    }
    if let out {
      do {
        try FileMover.writeDurably(text, to: PathUtilities.absolute(out))
      } catch {
        throw fail(error)
      }
    } else {
      print(text, terminator: "")
    }
    for problem in report.ssmProblems { CommandSupport.printError("smartdeposit: \(problem)") }
    if !report.reconciles { throw ExitCode(.dataError) }
  }
}
