import ArgumentParser
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

  func run() throws {
    let config = try options.load()
    let balances: [Balance]
    do {
      balances = try LedgerOpener.open(config, access: .read).balances()
    } catch {
      throw fail(error)
    }
    switch format {
    case .json:
      print(CommandSupport.json(balances))
    case .csv:
      print(CSVFormatter.row(["smart_account", "virtual_account", "sku", "available", "held"]), terminator: "")
      for balance in balances {
        print(
          CSVFormatter.row([
            balance.smartAccount, balance.virtualAccount, balance.sku, "\(balance.available)", "\(balance.held)",
          ]),
          terminator: "")
      }
    case .table:
      let rows = balances.map { [$0.smartAccount, $0.virtualAccount, $0.sku, "\($0.available)", "\($0.held)"] }
      print(
        CommandSupport.table(["smart_account", "virtual_account", "sku", "available", "held"], rows, numeric: [3, 4]),
        terminator: "")
    }
  }
}
