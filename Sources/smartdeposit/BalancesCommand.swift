import ArgumentParser
import Foundation
import SmartDeposit

/// What `balances --format` takes: exactly these.
enum BalancesFormat: String, ExpressibleByArgument, CaseIterable {
  case table, csv, json
}

struct BalancesCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "balances", abstract: "Available and held quantities per Smart Account, Virtual Account and SKU.")

  @OptionGroup var options: ConfigOption

  @Option(help: "How to print the balances.")
  var format: BalancesFormat = .table

  @Flag(
    help:
      "Split each balance by where its licenses came from: deposited by a sender (CCW or a partner), or transferred in from a holding account."
  )
  var bySource = false

  func run() throws {
    let config = try options.load()
    do {
      let ledger = try LedgerOpener.open(config, access: .read)
      defer { ledger.close() }
      switch format {
      case .json, .csv:
        let output = try BufferedFileWriter(standardOutput: ())
        try BalancesReport.write(ledger, bySource: bySource, json: format == .json, to: output)
        try output.close()
      case .table where bySource:
        let rows = try ledger.balancesBySource().map {
          [
            $0.smartAccount, $0.virtualAccount, $0.sku, $0.via, $0.fromSmartAccount, $0.source, "\($0.available)",
            "\($0.held)",
          ]
        }
        print(CommandSupport.table(BalancesReport.bySourceHeader, rows, numeric: [6, 7]), terminator: "")
      case .table:
        let rows = try ledger.balances().map {
          [$0.smartAccount, $0.virtualAccount, $0.sku, "\($0.available)", "\($0.held)"]
        }
        print(CommandSupport.table(BalancesReport.header, rows, numeric: [3, 4]), terminator: "")
      }
    } catch {
      throw fail(error)
    }
  }
}
