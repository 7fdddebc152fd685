import Foundation

/// A SA/VA/SKU whose ledger balance differs from Smart Software Manager's export.
public struct BalanceDifference: Sendable, Equatable, Codable {
  public var smartAccount: String
  public var virtualAccount: String
  public var sku: String
  /// Available plus held in the ledger.
  public var ledger: Int
  /// The quantity in the SSM export.
  public var ssm: Int
  /// `ssm - ledger`: positive when SSM shows more licenses than the ledger deposited.
  public var difference: Int
  /// `differs`, `only-in-ledger` or `only-in-ssm`.
  public var kind: String
  /// The order lines SSM names for these licenses (`order number/line`),
  /// where its export carries them: where to look for the difference.
  public var ssmOrderLines: [String] = []

  enum CodingKeys: String, CodingKey {
    case smartAccount = "smart_account"
    case virtualAccount = "virtual_account"
    case sku, ledger, ssm, difference, kind
    case ssmOrderLines = "ssm_order_lines"
  }
}

/// The deposit reconciliation report: did every ordered license land where it should?
public struct ReconciliationReport: Sendable, Equatable, Codable {
  public var generatedAt: String
  public var asOf: String
  public var since: String?
  public var until: String?
  public var holdingMaxAgeDays: Int
  public var against: String?
  public var lines: [ReconciliationLine]
  public var balances: [Balance]
  /// The balances split by where their licenses came from.
  public var balancesBySource: [SourcedBalance]
  /// Every transfer out of a holding account, by the line it moved.
  public var transfers: [TransferTrace]
  public var differences: [BalanceDifference]
  public var overAge: [HeldLicenses]
  public var held: [HeldLicenses]
  /// Lines the ledger holds twice under one identity (see `ledger doctor`).
  public var doubleDeposits: [IdentityCollision]
  public var totals: Totals
  public var ssmProblems: [String]

  public struct Totals: Sendable, Equatable, Codable {
    public var ordered = 0
    public var deposited = 0
    public var transferred = 0
    public var held = 0
    public var rejectedLines = 0
    public var differences = 0
    public var overAgeLicenses = 0
    /// Licences deposited a second time by the lines in `doubleDeposits`.
    public var doubleDepositedLicenses = 0
    /// Held licences by how long they have been held (the aging chart).
    public var heldByAge: [AgeBucket] = []
    /// How many rows each list has in full (a page shows the first ones).
    public var orderLines = 0
    public var transferRows = 0
    public var balanceRows = 0

    // The row counts are the page's: the lists in JSON are whole.
    enum CodingKeys: String, CodingKey {
      case ordered, deposited, transferred, held, rejectedLines, differences, overAgeLicenses
      case doubleDepositedLicenses, heldByAge
    }
  }

  enum CodingKeys: String, CodingKey {
    case generatedAt = "generated_at"
    case asOf = "as_of"
    case since, until
    case holdingMaxAgeDays = "holding_max_age_days"
    case against, lines, balances
    case balancesBySource = "balances_by_source"
    case transfers, differences
    case overAge = "over_age"
    case held
    case doubleDeposits = "double_deposits"
    case totals
    case ssmProblems = "ssm_problems"
  }

  /// Whether everything reconciles: no difference against SSM, no over-age
  /// holding and no line deposited twice.
  public var reconciles: Bool {
    differences.isEmpty && overAge.isEmpty && ssmProblems.isEmpty && doubleDeposits.isEmpty
  }

  /// Builds the report from the ledger and, optionally, an SSM license
  /// export, through the same stream `reconcile` writes from. `limit`
  /// bounds the lists a page shows (order lines, transfers, held
  /// deposits, balances); the totals always count everything.
  public static func build(
    ledger: Ledger, against: String?, since: String?, until: String?, asOf: String, holdingMaxAgeDays: Int,
    limits: InputLimits = InputLimits(), smartAccount: String? = nil, limit: Int = .max
  ) throws -> ReconciliationReport {
    let stream = try ReconciliationStream(
      ledger: ledger,
      options: ReconciliationStream.Options(
        against: against, since: since, until: until, asOf: asOf, holdingMaxAgeDays: holdingMaxAgeDays,
        limits: limits, smartAccount: smartAccount))
    // The lines first: the balances are summed in the same pass.
    var lines: [ReconciliationLine] = []
    let lineTotals = try stream.lineCells { if lines.count < limit { lines.append(ReconciliationLine($0)) } }
    var balances: [Balance] = []
    var balanceRows = 0
    let differences = try stream.balances {
      balanceRows += 1
      if balances.count < limit { balances.append($0) }
    }
    var sourced: [SourcedBalance] = []
    try stream.sourcedBalances { if sourced.count < limit { sourced.append($0) } }
    var transfers: [TransferTrace] = []
    var transferRows = 0
    try ledger.forEachTransfer {
      transferRows += 1
      if transfers.count < limit { transfers.append($0) }
    }
    var held: [HeldLicenses] = []
    var overAge: [HeldLicenses] = []
    var totals = try stream.held { licenses, isOverAge in
      if held.count < limit { held.append(licenses) }
      if isOverAge && overAge.count < limit { overAge.append(licenses) }
    }
    totals = stream.totals(held: totals, lines: lineTotals, differences: differences.count)
    totals.transferRows = transferRows
    totals.balanceRows = balanceRows
    return ReconciliationReport(
      generatedAt: stream.generatedAt, asOf: asOf, since: since, until: until, holdingMaxAgeDays: holdingMaxAgeDays,
      against: against, lines: lines, balances: balances, balancesBySource: sourced, transfers: transfers,
      differences: differences, overAge: overAge, held: held, doubleDeposits: stream.doubleDeposits, totals: totals,
      ssmProblems: stream.ssmProblems)
  }
}
