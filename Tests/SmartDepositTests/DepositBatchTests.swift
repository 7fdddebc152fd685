import Testing

@testable import SmartDeposit

@Suite("Packed deposits")
struct DepositBatchTests {
  let validator = LineValidator(
    registry: Registry([
      SmartAccount(identifier: "acme.com", name: "Acme", type: .customer, virtualAccounts: ["Campus"]),
      SmartAccount(
        identifier: "holding.gn.example", name: "GN", type: .holding, partner: "globalnet", virtualAccounts: []),
      SmartAccount(identifier: "joe@gmail.com", name: "Joe", type: .limitedUse, virtualAccounts: []),
    ]))

  static let cases: [(OrderLine, Sender)] = [
    // TERM into a customer account, VA in another case, from CCW.
    (
      OrderLine(
        webOrderID: "1", salesOrder: "S", purchaseOrder: "P,1", orderDate: "2026-11-27", lineNumber: "1.0",
        sku: "SKU", quantity: "5", licenseType: "term", termMonths: "12", startDate: "2026-12-01",
        smartAccount: "ACME.com", virtualAccount: "campus", endCustomer: "=Acme", record: 9), .ccw
    ),
    // PERPETUAL with a start date, no VA, into a limited-use account.
    (
      OrderLine(
        webOrderID: "2", lineNumber: "1.1", sku: "X", quantity: "1", licenseType: "PERPETUAL",
        startDate: "2026-12-02", smartAccount: "joe@gmail.com", record: 12), .ccw
    ),
    // A partner's bulk load into its own holding account: held.
    (
      OrderLine(
        webOrderID: "3", lineNumber: "2.0", sku: "Y", quantity: "700", licenseType: "PERPETUAL",
        smartAccount: "holding.gn.example", record: 20), .partner("globalnet")
    ),
  ]

  /// The pipeline packs a line straight from what validation found; the
  /// deposit it unpacks, and its report row, must be what validate and
  /// route give.
  @Test(arguments: cases)
  func packingGivesWhatValidationAndRoutingGive(line: OrderLine, sender: Sender) throws {
    let routed = try validator.validate(line).flatMap { Router().route($0, from: sender) }.get()
    let checked = try validator.check(line).get()
    let formatter = DepositRowFormatter(runID: "run", file: "f.csv")
    var batch = DepositBatch(capacity: 1)
    batch.deposit(line, checked, from: sender, formatter: formatter)
    guard case .deposit(let index) = batch.events.first else {
      Issue.record("no deposit packed")
      return
    }
    var row: [UInt8] = []
    formatter.append(routed, to: &row)
    #expect(batch.rows.deposit(at: index) == routed)
    #expect(batch.rows.identity(at: index) == routed.identity)
    batch.withReportRow(index) { #expect(Array($0) == row) }
  }
}
