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

@Suite("Deposit report rows")
struct DepositRowFormatterTests {
  /// A deposit with the given end customer and purchase order.
  static func deposit(endCustomer: String, purchaseOrder: String) -> Deposit {
    Deposit(
      webOrderID: "5001", lineNumber: "1.0", salesOrder: "S-1", purchaseOrder: purchaseOrder,
      orderDate: "2026-12-01", sku: "SKU-1", quantity: 12, licenseType: .term, termMonths: 36,
      startDate: "2026-12-02", smartAccount: "acme.com", virtualAccount: "Campus", endCustomer: endCustomer,
      status: .available, source: "ccw", record: 4)
  }

  static let cases: [Deposit] = [
    deposit(endCustomer: "=HYPERLINK(\"x\")", purchaseOrder: "PO, \"7\""),
    // Longer than the fixed space a row is first written into: written cell by cell.
    deposit(
      endCustomer: String(repeating: "Acme \"Europe\", ", count: 60),
      purchaseOrder: String(repeating: "P", count: DepositRowFormatter.scratchBytes)),
    deposit(endCustomer: "End", purchaseOrder: "PO"),
  ]

  /// The row is what the general CSV writer makes of the same values in
  /// the header's order, whether it fits the fixed space or not.
  @Test(arguments: cases)
  func rowIsTheCellsOfItsValues(deposit: Deposit) {
    let formatter = DepositRowFormatter(runID: "run-1", file: "in,box.csv")
    var row: [UInt8] = Array("before".utf8)
    formatter.append(deposit, to: &row)
    let expected = CSVFormatter.row([
      "run-1", "in,box.csv", deposit.webOrderID, deposit.lineNumber, deposit.sku, String(deposit.quantity),
      deposit.licenseType.rawValue, deposit.termMonths.map(String.init) ?? "", deposit.startDate ?? "",
      deposit.smartAccount, deposit.virtualAccount, deposit.status.rawValue, deposit.purchaseOrder,
      deposit.salesOrder, deposit.endCustomer, deposit.orderDate,
    ])
    #expect(String(decoding: row, as: UTF8.self) == "before" + expected)
    #expect(DepositRowFormatter.header.count == 16)
  }

  /// A row exactly as long as the fixed space, and one byte longer.
  @Test(arguments: [0, 1])
  func aRowAtTheEdgeOfTheFixedSpace(extra: Int) {
    let formatter = DepositRowFormatter(runID: "r", file: "f")
    var probe: [UInt8] = []
    formatter.append(Self.deposit(endCustomer: "", purchaseOrder: ""), to: &probe)
    let filler = String(repeating: "x", count: DepositRowFormatter.scratchBytes - probe.count + extra)
    let deposit = Self.deposit(endCustomer: filler, purchaseOrder: "")
    var row: [UInt8] = []
    formatter.append(deposit, to: &row)
    #expect(row.count == DepositRowFormatter.scratchBytes + extra)
    #expect(String(decoding: row, as: UTF8.self).hasSuffix(",S-1,\(filler),2026-12-01\r\n"))
  }

  /// The preparing stage adds a file's deposits per account by the account
  /// and VA's slot: every slot names its account and VA (in the registry's
  /// spelling) again, and the totals by name are those of the lines: with a
  /// few slots (looked up in turn) and with more than 64 (by slot).
  @Test(arguments: [20, 400])
  func accountTotalsBySlotComeBackByName(lines: Int) {
    let registry = Registry(
      (0..<40).map { index in
        SmartAccount(
          identifier: "a\(index).example", name: "A", type: index % 5 == 0 ? .holding : .customer,
          partner: index % 5 == 0 ? "p" : "", virtualAccounts: (0..<(index % 4)).map { "VA-\($0)" })
      })
    let validator = LineValidator(registry: registry)
    var bySlot = AccountSlotTotals()
    var expected: [AccountKey: AccountQuantities] = [:]
    var lookup = LineValidator.AccountLookup()
    for line in 0..<lines {
      let account = (line * 7) % 40
      let virtualAccount = (line % 3 == 0 || account % 4 == 0) ? "" : "va-\((line / 3) % (account % 4))"
      let order = OrderLine(
        webOrderID: "\(line)", lineNumber: "1", sku: "S", quantity: "\(line + 1)", licenseType: "PERPETUAL",
        smartAccount: "A\(account).EXAMPLE", virtualAccount: virtualAccount, record: line)
      guard case .success(let checked) = validator.check(order, lookup: &lookup) else {
        Issue.record("line \(line) did not pass")
        continue
      }
      let held = checked.entry.account.type == .holding
      bySlot.add(slot: checked.slot, quantity: checked.quantity, held: held)
      let key = AccountKey(
        smartAccount: "a\(account).example",
        virtualAccount: virtualAccount.isEmpty ? "DEFAULT" : virtualAccount.uppercased())
      expected[key, default: AccountQuantities()].add(
        held ? AccountQuantities(held: line + 1) : AccountQuantities(available: line + 1))
    }
    #expect(bySlot.byName(in: registry).totals == expected)
  }
}
