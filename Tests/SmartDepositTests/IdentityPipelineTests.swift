import Foundation
import SmartDeposit
import SmartDepositTestSupport
import Testing

/// A line is deposited once however a spreadsheet or another export spells it.
@Suite("Exactly once by meaning")
struct IdentityPipelineTests {
  static func fixtureText(_ name: String) throws -> String {
    try String(contentsOfFile: fixture("identity/\(name)"), encoding: .utf8)
  }

  /// A drop with the accounts the identity fixtures were generated with.
  static func identityDrop(_ backend: Backend) throws -> TestDrop {
    try TestDrop(backend: backend, accounts: try fixtureText("accounts.csv"))
  }

  @Test(arguments: Backend.tested)
  func aCSVExportReSavedByLibreOfficeIsEveryLineADuplicate(backend: Backend) throws {
    let drop = try Self.identityDrop(backend)
    try drop.dropFixture("identity/ccw-export.csv")
    let first = try drop.run()
    #expect(first.summary.lines.read == 120)
    #expect(first.summary.lines.deposited == 120)
    let balances = try drop.ledger().balances()
    // LibreOffice rewrote every `1.0` as `1` and quoted the text cells.
    let resaved = try Self.fixtureText("ccw-export.resaved-by-libreoffice.csv")
    #expect(resaved.contains(",1,\"") && !resaved.contains(",1.0,"))
    try drop.dropFixture("identity/ccw-export.resaved-by-libreoffice.csv")
    let second = try drop.run()
    #expect(second.summary.files.processed == 1)
    #expect(second.summary.lines.read == 120)
    #expect(second.summary.lines.duplicate == 120)
    #expect(second.summary.lines.deposited == 0)
    #expect(second.summary.lines.rejected == 0)
    #expect(second.summary.exitCode == 0)
    #expect(try drop.ledger().balances() == balances)
    #expect(try drop.ledger().depositCount() == 120)
  }

  @Test(arguments: Backend.tested)
  func aChangedQuantityInTheReSavedFileConflictsAndNothingIsDepositedTwice(backend: Backend) throws {
    let drop = try Self.identityDrop(backend)
    try drop.dropFixture("identity/ccw-export.csv")
    _ = try drop.run()
    let balances = try drop.ledger().balances()
    var lines = try Self.fixtureText("ccw-export.resaved-by-libreoffice.csv").components(separatedBy: "\n")
    // Row 2 is order 10000000 line 1 (was `1.0`), 497 licences: make it 496.
    #expect(lines[1].hasPrefix("10000000,110000000,") && lines[1].contains(",1,\"C9500-DNA-A-3Y\",497,"))
    lines[1] = lines[1].replacingOccurrences(of: ",497,", with: ",496,")
    try drop.drop("ccw-export-fixed.csv", lines.joined(separator: "\n"))
    let second = try drop.run()
    #expect(second.summary.lines.deposited == 0)
    #expect(second.summary.lines.duplicate == 119)
    #expect(second.summary.rejectsByCode == ["conflicting-line": 1])
    let rejects = try drop.report(second, "rejects.csv").dropFirst()
    #expect(rejects.map { [$0[1], $0[2], $0[3], $0[4]] } == [["2", "10000000", "1", "conflicting-line"]])
    #expect(try drop.ledger().balances() == balances)
  }

  /// The same generated orders as CCW XML, then as CSV the way other
  /// exports spell them: nothing is deposited a second time.
  @Test(arguments: Backend.tested)
  func theSameOrdersFromXMLThenRespelledInCSVAreDuplicates(backend: Backend) throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("smartdeposit-identity-\(UUID())")
    defer { try? FileManager.default.removeItem(at: folder) }
    try generate(format: "xml", into: folder.appendingPathComponent("xml"))
    try generate(format: "csv", into: folder.appendingPathComponent("csv"))
    let accounts = try String(
      contentsOf: folder.appendingPathComponent("xml/accounts.csv"), encoding: .utf8)
    let drop = try TestDrop(backend: backend, accounts: accounts)
    try FileManager.default.copyItem(
      at: folder.appendingPathComponent("xml/inbox/ccw-000.xml"), to: drop.inbox.appendingPathComponent("ccw.xml"))
    let first = try drop.run()
    #expect(first.summary.lines.read == 600)
    #expect(first.summary.lines.rejected == 0)
    let balances = try drop.ledger().balances()

    let csv = try String(contentsOf: folder.appendingPathComponent("csv/inbox/ccw-000.csv"), encoding: .utf8)
    var rows = csv.split(separator: "\n", omittingEmptySubsequences: true).map { $0.components(separatedBy: ",") }
    let header = rows[0]
    func column(_ name: String) throws -> Int { try #require(header.firstIndex(of: name)) }
    let order = try column("web_order_id")
    let line = try column("line_number")
    let sku = try column("sku")
    let quantity = try column("quantity")
    let term = try column("term_months")
    let account = try column("smart_account")
    let license = try column("license_type")
    for index in rows.indices.dropFirst() {
      rows[index][order] = "00" + rows[index][order] + (index % 2 == 0 ? ".0" : "")
      if rows[index][line].hasSuffix(".0") { rows[index][line].removeLast(2) }
      rows[index][sku] = rows[index][sku].lowercased()
      rows[index][quantity] = " \(rows[index][quantity]).0 "
      if !rows[index][term].isEmpty { rows[index][term] += ".0" }
      rows[index][account] = rows[index][account].uppercased()
      rows[index][license] = rows[index][license].lowercased()
    }
    try drop.drop("respelled.csv", rows.map { $0.joined(separator: ",") }.joined(separator: "\r\n") + "\r\n")
    let second = try drop.run()
    #expect(second.summary.lines.read == 600)
    #expect(second.summary.lines.duplicate == 600)
    #expect(second.summary.lines.deposited == 0)
    #expect(second.summary.lines.rejected == 0)
    #expect(try drop.ledger().balances() == balances)
  }

  private func generate(format: String, into folder: URL) throws {
    try generateDrop(into: folder, ["--lines", "600", "--accounts", "40", "--format", format, "--seed", "15"])
  }

  @Test(arguments: Backend.tested)
  func twoSpellingsOfOneLineInOneFileDepositOnce(backend: Backend) throws {
    let drop = try TestDrop(backend: backend)
    try drop.drop(
      "orders.csv",
      """
      \(csvHeader)
      0098770010,S,P,2026-11-27,1.0,c9300-nw-e-24,10,PERPETUAL,,,acme.com,campus,,
      98770010,S,P,2026-11-27,1,C9300-NW-E-24,10.0,perpetual,,,ACME.COM,Campus,,
      98770010.0,S,P,2026-11-27,1.0.0,C9300-NW-E-24,11,PERPETUAL,,,acme.com,Campus,,
      98770010,S,P,2026-11-27,1.10,C9300-NW-E-24,1,PERPETUAL,,,acme.com,Campus,,
      98770010,S,P,2026-11-27,1.1,C9300-NW-E-24,2,PERPETUAL,,,acme.com,Campus,,

      """)
    let result = try drop.run()
    #expect(result.summary.lines.read == 5)
    #expect(result.summary.lines.duplicate == 1)
    // The third spelling of line 1 carries 11 licences: a conflict, which
    // (by order atomicity) rejects the whole order, the same order however
    // its web order id was spelled.
    #expect(result.summary.rejectsByCode == ["conflicting-line": 1, "order-rejected": 3])
    #expect(result.summary.lines.deposited == 0)
    #expect(try drop.ledger().depositCount() == 0)
  }

  @Test(arguments: Backend.tested)
  func lineAtomicityKeepsLinesThatDifferOnlyAfterATrailingZero(backend: Backend) throws {
    let drop = try TestDrop(backend: backend, atomicity: "line")
    try drop.drop(
      "orders.csv",
      """
      \(csvHeader)
      98770010,S,P,2026-11-27,1.0,c9300-nw-e-24,10,PERPETUAL,,,acme.com,campus,,
      98770010,S,P,2026-11-27,1.10,C9300-NW-E-24,1,PERPETUAL,,,acme.com,Campus,,
      98770010,S,P,2026-11-27,1.1,C9300-NW-E-24,2,PERPETUAL,,,acme.com,Campus,,
      98770010,S,P,2026-11-27,1.1.0,C9300-NW-E-24,2,PERPETUAL,,,acme.com,Campus,,

      """)
    let result = try drop.run()
    #expect(result.summary.lines.deposited == 3)
    #expect(result.summary.lines.duplicate == 1)
    let balances = try drop.ledger().balances()
    // One SKU however it was spelled, stored upper-case.
    #expect(balances.map(\.sku) == ["C9300-NW-E-24"])
    #expect(balances.map(\.available) == [13])
    // deposits.csv keeps the file's spelling of the identity.
    let deposits = try drop.report(result, "deposits.csv").dropFirst()
    #expect(deposits.map { $0[3] } == ["1.0", "1.10", "1.1"])
  }

  @Test(arguments: Backend.tested)
  func aTransferFindsTheHeldLineUnderAnotherSpelling(backend: Backend) throws {
    let drop = try TestDrop(backend: backend)
    try drop.drop(
      "globalnet/bulk.csv",
      "\(csvHeader)\n0000300,S,P,2026-11-27,1.0,sku-h,10,PERPETUAL,,,holding.globalnet.example,Stock,,\n")
    try drop.drop(
      "globalnet/moves.transfer.csv",
      """
      transfer_id,from_smart_account,web_order_id,line_number,quantity,to_smart_account,to_virtual_account
      T1,holding.globalnet.example,300,1,3,acme.com,Campus
      T2,holding.globalnet.example,300.0,1.0.0,2.0,acme.com,Campus

      """)
    let result = try drop.run()
    #expect(result.summary.transfers.applied == 2)
    #expect(result.summary.transfers.rejected == 0)
    let balances = try drop.ledger().balances()
    #expect(balances.first { $0.smartAccount == "acme.com" }?.available == 5)
    #expect(balances.first { $0.smartAccount == "holding.globalnet.example" }?.held == 5)
    #expect(Set(balances.map(\.sku)) == ["SKU-H"])
    // The same transfer id again, spelling the line another way: the same movement, a no-op.
    try drop.drop(
      "globalnet/again.transfer.csv",
      """
      transfer_id,from_smart_account,web_order_id,line_number,quantity,to_smart_account,to_virtual_account
      T1,holding.globalnet.example,0300,1.0,3,acme.com,campus

      """)
    let again = try drop.run()
    #expect(again.summary.transfers.applied == 0)
    #expect(again.summary.transfers.rejected == 0)
    #expect(try drop.ledger().balances() == balances)
  }
}
