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
  /// Every order line the ledger knows, deposited or rejected, optionally
  /// bounded by date (inclusive, YYYY-MM-DD).
  public func reconciliationLines(since: String?, until: String?) throws -> [ReconciliationLine] {
    try readOnly("reading order lines") { db in
      var lines: [ReconciliationLine] = []
      let deposits = try Row.fetchCursor(
        db,
        sql: """
          SELECT d.web_order_id, d.line_number, d.sku, d.smart_account, d.virtual_account, d.quantity, d.status,
                 substr(f.recorded_at, 1, 10) AS day, d.source,
                 COALESCE((SELECT SUM(t.quantity) FROM transfers t
                            WHERE t.order_key = d.order_key AND t.line_key = d.line_key AND d.twin = 0), 0) AS moved
            FROM deposits d JOIN files f ON f.id = d.file_id
           WHERE (?1 IS NULL OR substr(f.recorded_at, 1, 10) >= ?1)
             AND (?2 IS NULL OR substr(f.recorded_at, 1, 10) <= ?2)
           ORDER BY d.order_key, d.line_key, d.twin
          """, arguments: [since, until])
      while let row = try deposits.next() {
        let quantity: Int = row["quantity"]
        let moved: Int = row["moved"]
        let isHeld = (row["status"] as String) == "held"
        let status: String
        if !isHeld {
          status = "deposited"
        } else if moved == 0 {
          status = "held"
        } else if moved < quantity {
          status = "partially-transferred"
        } else {
          status = "transferred"
        }
        lines.append(
          ReconciliationLine(
            webOrderID: row["web_order_id"], lineNumber: row["line_number"], sku: row["sku"],
            smartAccount: row["smart_account"], virtualAccount: row["virtual_account"], ordered: quantity,
            deposited: quantity, transferred: moved, held: isHeld ? quantity - moved : 0, status: status, reason: "",
            date: row["day"], source: row["source"]))
      }
      // Lines rejected and never deposited since: the latest reject of each identity.
      let rejects = try Row.fetchCursor(
        db,
        sql: """
          SELECT r.web_order_id, r.line_number, r.sku, r.smart_account, r.quantity, r.code,
                 substr(COALESCE(runs.started_at, ''), 1, 10) AS day, f.sender
            FROM rejects r
            JOIN files f ON f.id = r.file_id AND f.format <> 'transfer'
            LEFT JOIN runs ON runs.id = r.run_id
           WHERE r.id IN (SELECT MAX(id) FROM rejects WHERE order_key <> '' GROUP BY order_key, line_key)
             AND NOT EXISTS (SELECT 1 FROM deposits d WHERE d.order_key = r.order_key AND d.line_key = r.line_key)
             AND (?1 IS NULL OR substr(COALESCE(runs.started_at, ''), 1, 10) >= ?1)
             AND (?2 IS NULL OR substr(COALESCE(runs.started_at, ''), 1, 10) <= ?2)
           ORDER BY r.order_key, r.line_key
          """, arguments: [since, until])
      while let row = try rejects.next() {
        lines.append(
          ReconciliationLine(
            webOrderID: row["web_order_id"], lineNumber: row["line_number"], sku: row["sku"],
            smartAccount: row["smart_account"], virtualAccount: "", ordered: row["quantity"] ?? 0, deposited: 0,
            transferred: 0, held: 0, status: "rejected", reason: row["code"], date: row["day"], source: row["sender"]))
      }
      return lines.sorted { ($0.webOrderID, $0.lineNumber) < ($1.webOrderID, $1.lineNumber) }
    }
  }

  /// Every deposit with licenses still held, oldest first, with its age on `asOf` (YYYY-MM-DD).
  public func heldLicenses(asOf: String) throws -> [HeldLicenses] {
    let today = CalendarDate.dayNumber(asOf) ?? 0
    return try readOnly("reading held licenses") { db in
      try Row.fetchAll(
        db,
        sql: """
          SELECT d.smart_account, d.virtual_account, d.sku, d.web_order_id, d.line_number,
                 d.quantity - COALESCE((SELECT SUM(t.quantity) FROM transfers t
                    WHERE t.order_key = d.order_key AND t.line_key = d.line_key AND d.twin = 0), 0) AS held,
                 substr(f.recorded_at, 1, 10) AS day
            FROM deposits d JOIN files f ON f.id = d.file_id
           WHERE d.status = 'held'
           ORDER BY f.recorded_at, d.order_key, d.line_key, d.twin
          """
      ).compactMap { row -> HeldLicenses? in
        let held: Int = row["held"]
        guard held > 0 else { return nil }
        let day: String = row["day"]
        return HeldLicenses(
          smartAccount: row["smart_account"], virtualAccount: row["virtual_account"], sku: row["sku"],
          webOrderID: row["web_order_id"], lineNumber: row["line_number"], held: held, depositedOn: day,
          ageDays: today - (CalendarDate.dayNumber(day) ?? today))
      }
    }
  }
}
