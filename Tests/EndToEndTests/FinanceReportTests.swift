import Foundation
import SmartDeposit
import SmartDepositTestSupport
import Testing

/// What finance works from: the reconciliation traced both ways through
/// transfers, numbers a spreadsheet can add, and SSM's own exports.
@Suite("Finance reports")
struct FinanceReportTests {
  /// A partner's holding load, CCW deposits, and transfers that split one
  /// held line across two customer accounts.
  static func dropWithTransfers(backend: Backend) throws -> TestDrop {
    let drop = try TestDrop(backend: backend)
    try drop.drop(
      "globalnet/bulk.csv",
      """
      \(csvHeader)
      700,SO-70,PO-70,2026-11-20,1.0,C9300-DNA-E-24-3Y,100,PERPETUAL,,,holding.globalnet.example,Stock,,globalnet
      700,SO-70,PO-70,2026-11-20,2.0,C9300-NW-E-24,40,PERPETUAL,,,holding.globalnet.example,,,globalnet
      """)
    try drop.drop(
      "ccw.csv",
      """
      \(csvHeader)
      701,SO-71,PO-71,2026-11-21,1.0,C9300-DNA-E-24-3Y,5,PERPETUAL,,,acme.com,Campus,Acme Corp,
      702,SO-72,PO-72,2026-11-21,1.0,=HYPERLINK("x"),5,PERPETUAL,,,nosuch.example,,Evil,
      """)
    _ = try drop.run()
    try drop.drop(
      "globalnet/handover.transfer.csv",
      """
      transfer_id,from_smart_account,web_order_id,line_number,quantity,to_smart_account,to_virtual_account
      T-1,holding.globalnet.example,700,1.0,30,acme.com,Campus
      T-2,holding.globalnet.example,700,1,20,emea.acme.com,Paris
      T-3,holding.globalnet.example,700,2.0,40,acme.com,
      """)
    _ = try drop.run()
    return drop
  }

  @Test(arguments: Backend.tested)
  func everyTransferIsTraceableBothWaysAndTheSumsMatchBalances(backend: Backend) throws {
    let drop = try Self.dropWithTransfers(backend: backend)
    let ledger = try drop.ledger()
    let report = try ReconciliationReport.build(
      ledger: ledger, against: nil, since: nil, until: nil, asOf: "2026-12-01", holdingMaxAgeDays: 90)
    #expect(report.transfers.map(\.transferID) == ["T-1", "T-2", "T-3"])
    // From the held line: where each of its licenses went.
    let held = try #require(report.lines.first { $0.webOrderID == "700" && $0.lineNumber == "1.0" })
    #expect(held.transferred == 50)
    #expect(held.held == 50)
    #expect(held.transfers.map(\.quantity).reduce(0, +) == held.transferred)
    #expect(
      Set(held.transfers.map { "\($0.toSmartAccount)/\($0.toVirtualAccount)" }) == [
        "acme.com/Campus", "emea.acme.com/Paris",
      ])
    #expect(held.transfers.allSatisfy { $0.file == "globalnet/handover.transfer.csv" && $0.source == "globalnet" })
    let whole = try #require(report.lines.first { $0.webOrderID == "700" && $0.lineNumber == "2.0" })
    #expect(whole.status == "transferred")
    #expect(whole.transfers.map(\.toSmartAccount) == ["acme.com"])
    // From the customer's account: which holding account and partner its licenses came from.
    let campus = report.balancesBySource.filter { $0.smartAccount == "acme.com" && $0.virtualAccount == "Campus" }
    #expect(
      Set(campus.map { "\($0.via) \($0.fromSmartAccount) \($0.source) \($0.available)" }) == [
        "deposit  ccw 5", "transfer holding.globalnet.example globalnet 30",
      ])
    // The split adds up to the balances, account by account.
    var sums: [String: (Int, Int)] = [:]
    for row in report.balancesBySource {
      let key = "\(row.smartAccount)|\(row.virtualAccount.lowercased())|\(row.sku)"
      sums[key] = ((sums[key]?.0 ?? 0) + row.available, (sums[key]?.1 ?? 0) + row.held)
    }
    // (A holding line transferred in full shows in balances as 0 available, 0 held; the split leaves it out.)
    let balances = try ledger.balances().filter { $0.available != 0 || $0.held != 0 }
    #expect(sums.count == balances.count)
    for balance in balances {
      let key = "\(balance.smartAccount)|\(balance.virtualAccount.lowercased())|\(balance.sku)"
      #expect(sums[key]?.0 == balance.available && sums[key]?.1 == balance.held, "\(key)")
    }
    // The command prints the same split.
    let command = try runCommand(["balances", "--by-source", "--format", "json"], in: drop.root)
    #expect(command.status == 0)
    let printed = try JSONDecoder().decode([SourcedBalance].self, from: Data(command.standardOutput.utf8))
    #expect(printed == report.balancesBySource)
  }

  @Test(arguments: Backend.tested)
  func theReconcileCSVHasNumbersAsNumbersAndNoFormula(backend: Backend) throws {
    let drop = try Self.dropWithTransfers(backend: backend)
    try "smart_account,virtual_account,sku,quantity\nacme.com,Campus,C9300-DNA-E-24-3Y,33\n".write(
      to: drop.root.appendingPathComponent("ssm.csv"), atomically: true, encoding: .utf8)
    let output = try runCommand(
      ["reconcile", "--format", "csv", "--against", "ssm.csv", "--as-of", "2026-12-01"], in: drop.root)
    #expect(output.status == 65)
    let rows = parseCSV(output.standardOutput)
    let header = try #require(rows.first)
    #expect(header == ReconciliationRenderer.csvHeader)
    let numeric = [
      "ordered", "deposited", "transferred", "held", "ledger", "ssm", "difference", "age_days", "available",
    ]
    let sections = Set(rows.dropFirst().map { $0[0] })
    #expect(sections.isSuperset(of: ["line", "transfer", "balance", "source", "difference"]))
    for row in rows.dropFirst() {
      #expect(row.count == header.count)
      for (name, cell) in zip(header, row) where !cell.isEmpty {
        if numeric.contains(name) { #expect(Int(cell) != nil, "\(name) '\(cell)' is not a number") }
        #expect(
          !["=", "+", "@"].contains(cell.first.map(String.init) ?? ""), "\(name) '\(cell)' could run as a formula")
      }
    }
    // The difference is written -2 for SSM's 33 against the ledger's 35, summable as it is.
    let difference = try #require(rows.first { $0[0] == "difference" })
    #expect(difference[header.firstIndex(of: "difference") ?? 0] == "-2")
    // Balance rows carry available and held apart, and their total.
    let balance = try #require(
      rows.first { $0[0] == "balance" && $0[3] == "holding.globalnet.example" && $0[5] == "C9300-DNA-E-24-3Y" })
    #expect(balance[header.firstIndex(of: "held") ?? 0] == "50")
    #expect(balance[header.firstIndex(of: "available") ?? 0] == "0")
    #expect(balance[header.firstIndex(of: "ledger") ?? 0] == "50")
  }

  @Test(arguments: Backend.tested)
  func anSSMExportIsReadByItsColumnNamesOrAsTheAPIsListing(backend: Backend) throws {
    let drop = try Self.dropWithTransfers(backend: backend)
    let ledger = try drop.ledger()
    func differences(_ name: String, _ content: String, smartAccount: String? = nil) throws -> [BalanceDifference] {
      let path = drop.root.appendingPathComponent(name).path
      try content.write(toFile: path, atomically: true, encoding: .utf8)
      return try ReconciliationReport.build(
        ledger: ledger, against: path, since: nil, until: nil, asOf: "2026-12-01", holdingMaxAgeDays: 90,
        smartAccount: smartAccount
      ).differences.filter { $0.smartAccount == "acme.com" }
    }
    // A spreadsheet's header, columns in another order, a lower-case SKU.
    let csv = try differences(
      "ssm-view.csv",
      "License,Purchased,Virtual Account,Smart Account\nc9300-dna-e-24-3y,35,Campus,ACME.COM\nC9300-NW-E-24,40,DEFAULT,acme.com\n"
    )
    #expect(csv.isEmpty, "\(csv)")

    let listing = """
      {"status": "SUCCESS", "smartAccount": "acme.com", "licenses": [
        {"license": "C9300 DNA Essentials", "quantity": 36, "virtualAccount": "Campus",
         "licenseDetails": [
           {"licenseSku": "C9300-DNA-E-24-3Y", "quantity": 6, "orderNumber": "SO-71", "orderLineIdentifier": "1.0"},
           {"licenseSku": "C9300-DNA-E-24-3Y", "quantity": 30, "orderNumber": "SO-70", "orderLineIdentifier": "1.0"}]},
        {"license": "C9300-NW-E-24", "quantity": 40, "virtualAccount": "DEFAULT"}]}
      """
    let json = try differences("ssm.json", listing)
    #expect(json.count == 1)
    #expect(json.first?.difference == 1)
    #expect(json.first?.ssmOrderLines == ["SO-71/1.0", "SO-70/1.0"])
    // The API answers per account: without the account, the listing cannot be read.
    let anonymous = listing.replacingOccurrences(of: "\"smartAccount\": \"acme.com\", ", with: "")
    #expect(throws: IngestError.self) { try differences("anonymous.json", anonymous) }
    #expect(try differences("anonymous.json", anonymous, smartAccount: "acme.com").count == 1)
    let command = try runCommand(["reconcile", "--against", "anonymous.json", "--format", "json"], in: drop.root)
    #expect(command.status == 65)
    #expect(command.standardError.contains("--smart-account"))
  }
}
