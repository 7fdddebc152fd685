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
    if bySource {
      try printBySource(config)
      return
    }
    do {
      let ledger = try LedgerOpener.open(config, access: .read)
      defer { ledger.close() }
      let header = ["smart_account", "virtual_account", "sku", "available", "held"]
      func cells(_ balance: Balance) -> [String] {
        [balance.smartAccount, balance.virtualAccount, balance.sku, "\(balance.available)", "\(balance.held)"]
      }
      switch format {
      case .json, .csv:
        // Written as the ledger is read: a ledger of any size in bounded memory.
        let output = try BufferedFileWriter(standardOutput: ())
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var count = 0
        if format == .csv { try output.write(CSVFormatter.row(header)) }
        try ledger.forEachBalance { balance in
          if format == .csv {
            try output.write(CSVFormatter.row(cells(balance)))
          } else {
            try output.write(count == 0 ? "[\n  " : ",\n  ")
            try output.write(String(decoding: try encoder.encode(balance), as: UTF8.self))
          }
          count += 1
        }
        if format == .json { try output.write(count == 0 ? "[]\n" : "\n]\n") }
        try output.close()
      case .table:
        let rows = try ledger.balances().map(cells)
        print(CommandSupport.table(header, rows, numeric: [3, 4]), terminator: "")
      }
    } catch {
      throw fail(error)
    }
  }

  private func printBySource(_ config: PipelineConfig) throws {
    let balances: [SourcedBalance]
    do {
      balances = try LedgerOpener.open(config, access: .read).balancesBySource()
    } catch {
      throw fail(error)
    }
    let header = [
      "smart_account", "virtual_account", "sku", "via", "from_smart_account", "source", "available", "held",
    ]
    let rows = balances.map {
      [
        $0.smartAccount, $0.virtualAccount, $0.sku, $0.via, $0.fromSmartAccount, $0.source, "\($0.available)",
        "\($0.held)",
      ]
    }
    switch format {
    case .json:
      print(CommandSupport.json(balances))
    case .csv:
      print(CSVFormatter.row(header), terminator: "")
      for row in rows { print(CSVFormatter.row(row), terminator: "") }
    case .table:
      print(CommandSupport.table(header, rows, numeric: [6, 7]), terminator: "")
    }
  }
}
