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
      }
      count += 1
    }
    if !json { try output.write(CSVFormatter.row(bySource ? bySourceHeader : header)) }
    if bySource {
      try sums.forEachSourcedBalance { sourced in
        try element { bytes in
          if json { return JSONText.sourced(sourced, &bytes) }
          CSVFormatter.appendRow(
            [
              sourced.smartAccount, sourced.virtualAccount, sourced.sku, sourced.via, sourced.fromSmartAccount,
              sourced.source, String(sourced.available), String(sourced.held),
            ], to: &bytes)
        }
      }
    } else {
      try sums.forEachBalance { balance in
        try element { bytes in
          if json { return JSONText.balance(balance, &bytes) }
          CSVFormatter.appendRow(
            [
              balance.smartAccount, balance.virtualAccount, balance.sku, String(balance.available),
              String(balance.held),
            ],
            to: &bytes)
        }
      }
    }
    if json { try output.write(count == 0 ? "[]\n" : "\n]\n") }
  }
}
