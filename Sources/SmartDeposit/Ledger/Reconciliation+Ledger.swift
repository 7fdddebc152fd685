import GRDB

/// One order line as reconciliation sees it: what was ordered, deposited,
/// transferred on and is still held.
public struct ReconciliationLine: Sendable, Equatable, Codable {
  public var webOrderID: String
  public var lineNumber: String
  public var sku: String
  public var smartAccount: String
  public var virtualAccount: String
  public var ordered: Int
  public var deposited: Int
  public var transferred: Int
  public var held: Int
  /// `deposited`, `held`, `partially-transferred`, `transferred` or `rejected`.
  public var status: String
  /// The reject code, for a rejected line.
  public var reason: String
  /// UTC date (YYYY-MM-DD) of the deposit, or of the run that rejected the line.
  public var date: String
  public var source: String

  enum CodingKeys: String, CodingKey {
    case webOrderID = "web_order_id"
    case lineNumber = "line_number"
    case sku
    case smartAccount = "smart_account"
    case virtualAccount = "virtual_account"
    case ordered, deposited, transferred, held, status, reason, date, source
  }
}

/// Held licenses of one deposit, with their age.
public struct HeldLicenses: Sendable, Equatable, Codable {
  public var smartAccount: String
  public var virtualAccount: String
  public var sku: String
  public var webOrderID: String
  public var lineNumber: String
  public var held: Int
  public var depositedOn: String
  public var ageDays: Int

  enum CodingKeys: String, CodingKey {
    case smartAccount = "smart_account"
    case virtualAccount = "virtual_account"
    case sku
    case webOrderID = "web_order_id"
    case lineNumber = "line_number"
    case held
    case depositedOn = "deposited_on"
    case ageDays = "age_days"
  }
}

extension SQLiteLedger {
  public func reconciliationLines(since: String?, until: String?) throws -> [ReconciliationLine] {
    try readOnly("reading order lines") { db in
      var lines: [ReconciliationLine] = []
      let deposits = try Row.fetchCursor(
        db, sql: LedgerQueries.reconciliationDepositsSQL(placeholder: { "?\($0)" }), arguments: [since, until])
      while let row = try deposits.next() {
        lines.append(
          LedgerQueries.depositLine(
            webOrderID: row[0], lineNumber: row[1], sku: row[2], smartAccount: row[3], virtualAccount: row[4],
            quantity: row[5], status: row[6], day: row[7], source: row[8], moved: row[9]))
      }
      let rejects = try Row.fetchCursor(
        db, sql: LedgerQueries.reconciliationRejectsSQL(placeholder: { "?\($0)" }), arguments: [since, until])
      while let row = try rejects.next() {
        lines.append(
          LedgerQueries.rejectedLine(
            webOrderID: row[0], lineNumber: row[1], sku: row[2], smartAccount: row[3], quantity: row[4], code: row[5],
            day: row[6], source: row[7], virtualAccount: row[8]))
      }
      return LedgerQueries.sorted(lines)
    }
  }

  public func heldLicenses(asOf: String) throws -> [HeldLicenses] {
    try readOnly("reading held licenses") { db in
      var held: [(recordedAt: String, licenses: HeldLicenses)] = []
      let rows = try Row.fetchCursor(db, sql: LedgerQueries.heldLicensesSQL)
      while let row = try rows.next() {
        if let licenses = LedgerQueries.heldLicenses(
          smartAccount: row[0], virtualAccount: row[1], sku: row[2], webOrderID: row[3], lineNumber: row[4],
          held: row[5], day: row[6], asOf: asOf)
        {
          held.append((row[7], licenses))
        }
      }
      return LedgerQueries.sorted(held)
    }
  }
}
