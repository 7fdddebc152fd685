import Foundation

/// `balances` as CSV or JSON, written as the ledger's sums are read: a
/// ledger of any size in bounded memory. JSON is a list, one element per
/// line; CSV has a header row.
public enum BalancesReport {
  public static let header = ["smart_account", "virtual_account", "sku", "available", "held"]
  public static let bySourceHeader = [
    "smart_account", "virtual_account", "sku", "via", "from_smart_account", "source", "available", "held",
  ]

  public static func write(_ ledger: Ledger, bySource: Bool, json: Bool, to output: BufferedFileWriter) throws {
    let sums = try ledger.readBalances()
    var count = 0
    func element(_ write: (inout [UInt8]) -> Void) throws {
      try output.append { bytes in
        if json { bytes.append(contentsOf: count == 0 ? Array("[\n  ".utf8) : Array(",\n  ".utf8)) }
        write(&bytes)
        if !json { bytes.append(contentsOf: [0x0D, 0x0A]) }
      }
      count += 1
    }
    if !json { try output.write(CSVFormatter.row(bySource ? bySourceHeader : header)) }
    if bySource {
      try sums.forEachSourcedBalance { sourced in
        try element { bytes in
          if json { return JSONText.sourced(sourced, &bytes) }
          cells(
            [
              sourced.smartAccount, sourced.virtualAccount, sourced.sku, sourced.via, sourced.fromSmartAccount,
              sourced.source,
            ], numbers: [sourced.available, sourced.held], &bytes)
        }
      }
    } else {
      try sums.forEachBalance { balance in
        try element { bytes in
          if json { return JSONText.balance(balance, &bytes) }
          cells(
            [balance.smartAccount, balance.virtualAccount, balance.sku], numbers: [balance.available, balance.held],
            &bytes)
        }
      }
    }
    if json { try output.write(count == 0 ? "[]\n" : "\n]\n") }
  }

  private static func cells(_ texts: [String], numbers: [Int], _ bytes: inout [UInt8]) {
    for (index, text) in texts.enumerated() {
      if index > 0 { bytes.append(0x2C) }
      CSVFormatter.appendCell(text, to: &bytes)
    }
    for number in numbers {
      bytes.append(0x2C)
      CSVFormatter.appendNumber(number, to: &bytes)
    }
  }
}
