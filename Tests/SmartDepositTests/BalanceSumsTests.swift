import Foundation
import SmartDepositTestSupport
import Testing

@testable import SmartDeposit

/// The balances summed in memory from one pass over the ledger are the
/// database's GROUP BY, row for row; and the JSON written by hand is
/// `JSONEncoder`'s, byte for byte.
@Suite("Balances summed in one pass")
struct BalanceSumsTests {
  /// Holding loads, direct deposits under several spellings of one virtual
  /// account, a VA the registry does not know, and transfers (one of a
  /// line moved in full, one split across two accounts).
  static func drop(backend: Backend) throws -> TestDrop {
    let drop = try TestDrop(backend: backend)
    try drop.drop(
      "globalnet/bulk.csv",
      """
      \(csvHeader)
      800,SO-80,PO-80,2026-11-20,1.0,C9300-DNA-E-24-3Y,100,PERPETUAL,,,holding.globalnet.example,Stock,,globalnet
      800,SO-80,PO-80,2026-11-20,2.0,C9300-NW-E-24,40,PERPETUAL,,,holding.globalnet.example,stock,,globalnet
      801,SO-81,PO-81,2026-11-20,1.0,C9300-NW-E-24,7,PERPETUAL,,,holding.globalnet.example,,,globalnet
      """)
    try drop.drop(
      "ccw.csv",
      """
      \(csvHeader)
      810,SO-81,PO-81,2026-11-21,1.0,C9300-DNA-E-24-3Y,5,PERPETUAL,,,acme.com,Campus,Acme Corp,
      811,SO-81,PO-81,2026-11-21,1.0,C9300-DNA-E-24-3Y,6,PERPETUAL,,,acme.com,CAMPUS,Acme Corp,
      812,SO-81,PO-81,2026-11-21,1.0,C9300-DNA-E-24-3Y,7,PERPETUAL,,,acme.com,campus-east,Acme Corp,
      813,SO-81,PO-81,2026-11-21,1.0,C9300-NW-E-24,8,PERPETUAL,,,globex.example,,Globex,
      814,SO-81,PO-81,2026-11-21,1.0,C9300-NW-E-24,9,PERPETUAL,,,emea.acme.com,Paris,Acme,
      """)
    _ = try drop.run()
    try drop.drop(
      "globalnet/handover.transfer.csv",
      """
      transfer_id,from_smart_account,web_order_id,line_number,quantity,to_smart_account,to_virtual_account
      T-1,holding.globalnet.example,800,1.0,30,acme.com,Campus
      T-2,holding.globalnet.example,800,1,20,emea.acme.com,Paris
      T-3,holding.globalnet.example,800,2.0,40,acme.com,
      T-4,holding.globalnet.example,801,1.0,3,globex.example,
      """)
    _ = try drop.run()
    return drop
  }

  static func grouped(_ ledger: Ledger) throws -> ([Balance], [SourcedBalance]) {
    var balances: [Balance] = []
    var sourced: [SourcedBalance] = []
    try ledger.forEachGroupedBalance { balances.append($0) }
    try ledger.forEachGroupedSourcedBalance { sourced.append($0) }
    return (balances, sourced)
  }

  @Test(arguments: Backend.tested)
  func theSumsAreTheDatabasesGroupingRowForRow(backend: Backend) throws {
    let drop = try Self.drop(backend: backend)
    let ledger = try drop.ledger()
    defer { ledger.close() }
    let (balances, sourced) = try Self.grouped(ledger)
    #expect(balances.count >= 6)
    #expect(sourced.contains { $0.via == "transfer" && $0.smartAccount == "emea.acme.com" && $0.available == 20 })
    // The three spellings of Campus are one balance, under the registry's spelling.
    #expect(
      balances.filter { $0.smartAccount == "acme.com" && $0.virtualAccount == "Campus" }.map(\.available) == [41])

    let summed = try ledger.readBalances()
    var mine: [Balance] = []
    var mineSourced: [SourcedBalance] = []
    try summed.forEachBalance { mine.append($0) }
    try summed.forEachSourcedBalance { mineSourced.append($0) }
    #expect(mine == balances)
    #expect(mineSourced == sourced)

    // Sums that outgrow their room give way to the database's grouping.
    var small: BalanceGroups? = BalanceGroups(limit: 0)
    try ledger.scanOrderLines(since: nil, until: nil, groups: &small, readsLines: false)
    #expect(small?.isComplete == false)
    let fallback = try LedgerBalances(ledger: ledger, groups: small)
    var again: [Balance] = []
    try fallback.forEachBalance { again.append($0) }
    #expect(again == balances)
  }

  /// The lines a scan reads with the balances are the lines it reads alone,
  /// and a date range lists fewer lines without changing the sums.
  @Test(arguments: Backend.tested)
  func aDateRangeListsFewerLinesAndSumsThemAll(backend: Backend) throws {
    let drop = try Self.drop(backend: backend)
    let ledger = try drop.ledger()
    defer { ledger.close() }
    let all = try ledger.reconciliationLines(since: nil, until: nil)
    #expect(all.count == 8)
    #expect(all.filter { $0.status == "transferred" }.map(\.webOrderID) == ["800"])
    #expect(
      all.first { $0.webOrderID == "800" && $0.lineNumber == "1.0" }?.transfers.map(\.transferID) == ["T-1", "T-2"])
    var groups: BalanceGroups? = BalanceGroups()
    var none: [ReconciliationLine] = []
    try ledger.scanOrderLines(since: "2999-01-01", until: nil, groups: &groups) { none.append(ReconciliationLine($0)) }
    #expect(none.isEmpty)
    var balances: [Balance] = []
    try LedgerBalances(ledger: ledger, groups: groups).forEachBalance { balances.append($0) }
    #expect(balances == (try Self.grouped(ledger).0))
  }

  static let awkward = "q\"uo\\te/slash\u{1}\u{1F}\t\n\r\u{8}\u{C} é 😀 \u{2028}"

  static func encoded<T: Encodable>(_ value: T) throws -> String {
    String(decoding: try ReconciliationRenderer.jsonEncoder.encode(value), as: UTF8.self)
  }

  static func written(_ write: (inout [UInt8]) -> Void) -> String {
    var bytes: [UInt8] = []
    write(&bytes)
    return String(decoding: bytes, as: UTF8.self)
  }

  @Test func theJSONWrittenByHandIsTheEncodersByteForByte() throws {
    let text = Self.awkward
    let balance = Balance(smartAccount: text, virtualAccount: "VA", sku: "S", available: -3, held: Int.min)
    #expect(Self.written { JSONText.balance(balance, &$0) } == (try Self.encoded(balance)))
    let sourced = SourcedBalance(
      smartAccount: "a", virtualAccount: text, sku: "s", via: "transfer", fromSmartAccount: "h", source: "p",
      available: 12_345_678_901, held: 0)
    #expect(Self.written { JSONText.sourced(sourced, &$0) } == (try Self.encoded(sourced)))
    let held = HeldLicenses(
      smartAccount: "h", virtualAccount: "", sku: text, webOrderID: "1", lineNumber: "1.0", held: 4,
      depositedOn: "2026-01-01", ageDays: -2)
    #expect(Self.written { JSONText.held(held, &$0) } == (try Self.encoded(held)))
    let transfer = TransferTrace(
      transferID: text, source: "p", fromSmartAccount: "h", fromVirtualAccount: "", webOrderID: "1",
      lineNumber: "1.0", sku: "s", quantity: 3, toSmartAccount: "c", toVirtualAccount: "v", date: "2026-01-02",
      file: "x/y.csv")
    #expect(Self.written { JSONText.transfer(transfer, &$0) } == (try Self.encoded(transfer)))
    let line = ReconciliationLine(
      webOrderID: text, lineNumber: "1.0", sku: "s", smartAccount: "a", virtualAccount: "v", ordered: 5,
      deposited: 5, transferred: 3, held: 2, status: "partially-transferred", reason: "", date: "2026-01-01",
      source: "p", transfers: [transfer, transfer])
    // The line as the scan hands it over: its cells in place.
    let cells: [[UInt8]] = [
      line.webOrderID, line.lineNumber, line.sku, line.smartAccount, line.virtualAccount,
      line.reason, line.date, line.source,
    ].map { Array($0.utf8) }
    let fromCells = cells[0].withUnsafeBytes { order in
      cells[1].withUnsafeBytes { number in
        cells[2].withUnsafeBytes { sku in
          cells[3].withUnsafeBytes { account in
            cells[4].withUnsafeBytes { virtual in
              cells[5].withUnsafeBytes { reason in
                cells[6].withUnsafeBytes { date in
                  cells[7].withUnsafeBytes { source in
                    let view = OrderLineCells(
                      webOrderID: order, lineNumber: number, sku: sku, smartAccount: account, virtualAccount: virtual,
                      ordered: 5, deposited: 5, transferred: 3, held: 2, status: .partiallyTransferred, reason: reason,
                      date: date, source: source, transfers: [transfer, transfer])
                    return (Self.written { JSONText.line(view, &$0) }, ReconciliationLine(view))
                  }
                }
              }
            }
          }
        }
      }
    }
    #expect(fromCells.0 == (try Self.encoded(line)))
    #expect(fromCells.1 == line)
  }
}
