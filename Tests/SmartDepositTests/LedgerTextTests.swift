import Foundation
import SmartDepositTestSupport
import Testing

@testable import SmartDeposit

/// What a line says reaches the ledger byte for byte, whatever the backend's
/// way of sending it (SQLite binds the bytes; PostgreSQL streams them as
/// COPY text, where backslash, tab and line ends are escapes).
@Suite("Ledger text")
struct LedgerTextTests {
  /// Quoted CSV fields with the characters COPY's text format escapes, and
  /// `\N`, which unescaped would be no value at all.
  static let awkward: [(salesOrder: String, purchaseOrder: String, endCustomer: String)] = [
    (#"SO\N"#, #"\N"#, "Müller \\ Söhne\tGmbH\r\nBerlin"),
    (#"SO\"#, "PO\t1", "line one\nline two\\n"),
    ("SO\\\\", "P\rQ", "\\.\n\\."),
  ]

  @Test(arguments: Backend.tested)
  func awkwardTextIsStoredAsWritten(backend: Backend) throws {
    let drop = try TestDrop(backend: backend)
    func quoted(_ text: String) -> String { "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
    var text = csvHeader + "\n"
    for (index, line) in Self.awkward.enumerated() {
      text +=
        "\(50_000 + index),\(quoted(line.salesOrder)),\(quoted(line.purchaseOrder)),2026-11-27,1.0,SKU-A,3,PERPETUAL,,,acme.com,,\(quoted(line.endCustomer)),\n"
    }
    try drop.drop("awkward.csv", text)
    let result = try drop.run()
    #expect(result.summary.lines.deposited == Self.awkward.count)

    // The stored bytes, in hex, read behind the program's back.
    let hex =
      backend == .postgres
      ? "upper(encode(convert_to(sales_order || '|' || purchase_order || '|' || end_customer, 'UTF8'), 'hex'))"
      : "hex(CAST(sales_order || '|' || purchase_order || '|' || end_customer AS BLOB))"
    let stored = try drop.changeLedger("SELECT \(hex) FROM deposits ORDER BY record").split(separator: "\n")
    let expected = Self.awkward.map { line in
      Array("\(line.salesOrder)|\(line.purchaseOrder)|\(line.endCustomer)".utf8).map { byte in
        let digits = Array("0123456789ABCDEF".utf8)
        return String(decoding: [digits[Int(byte >> 4)], digits[Int(byte & 0x0f)]], as: UTF8.self)
      }.joined()
    }
    #expect(stored.map(String.init) == expected)
    // No start date and no term: no value, not an empty text.
    let missing = try drop.changeLedger(
      "SELECT COUNT(*) FROM deposits WHERE start_date IS NULL AND term_months IS NULL")
    #expect(missing == "\(Self.awkward.count)")
  }
}
