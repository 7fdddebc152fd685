import Foundation

/// Licences held for so many days: a bar of the aging chart.
public struct AgeBucket: Sendable, Equatable, Codable {
  public var fromDays: Int
  /// The last day of the bucket; nil for the open-ended last one.
  public var toDays: Int?
  public var licenses: Int

  enum CodingKeys: String, CodingKey {
    case fromDays = "from_days"
    case toDays = "to_days"
    case licenses
  }

  /// The chart's buckets, empty.
  static var empty: [AgeBucket] {
    [(0, 30), (31, 60), (61, 90), (91, 180), (181, nil)].map { AgeBucket(fromDays: $0, toDays: $1, licenses: 0) }
  }
}

/// The reconciliation read from the ledger section by section, a row at a
/// time: `reconcile` writes CSV and JSON from it as it reads, in bounded
/// memory whatever the ledger's size, and `ReconciliationReport.build`
/// collects the same rows (up to a limit) for the HTML page and the tests.
///
/// The balances are summed in the same pass over the deposits as the
/// order lines, when the lines are read first; otherwise in a pass of
/// their own, once, for both lists of balances.
public final class ReconciliationStream {
  public struct Options: Sendable {
    public var against: String?
    public var since: String?
    public var until: String?
    public var asOf: String
    public var holdingMaxAgeDays: Int
    public var limits: InputLimits
    public var smartAccount: String?

    public init(
      against: String?, since: String?, until: String?, asOf: String, holdingMaxAgeDays: Int,
      limits: InputLimits = InputLimits(), smartAccount: String? = nil
    ) {
      self.against = against
      self.since = since
      self.until = until
      self.asOf = asOf
      self.holdingMaxAgeDays = holdingMaxAgeDays
      self.limits = limits
      self.smartAccount = smartAccount
    }
  }

  /// What the order lines add up to.
  public struct LineTotals: Sendable, Equatable {
    public var ordered = 0
    public var deposited = 0
    public var transferred = 0
    public var held = 0
    public var rejectedLines = 0
    public var lines = 0
  }

  private struct Key: Hashable {
    var smartAccount: String
    var virtualAccount: String
    var sku: String
  }

  public let ledger: Ledger
  public let options: Options
  public let generatedAt: String
  /// SSM's quantities by account and SKU (small: one export), with the order lines it names.
  private let ssm: [Key: (entry: SSMExport.Entry, quantity: Int, orderLines: [String])]
  public let ssmProblems: [String]
  /// Lines the ledger holds twice (few: from before identities compared by meaning).
  public let doubleDeposits: [IdentityCollision]
  /// The balances, once summed.
  private var sums: LedgerBalances?
  /// The held deposits by age, once counted in a pass over the deposits:
  /// the held licenses' query is run only if there is something to list.
  private var ages: HeldAges?

  public init(ledger: Ledger, options: Options) throws {
    self.ledger = ledger
    self.options = options
    generatedAt = Timestamp.now()
    var ssm: [Key: (entry: SSMExport.Entry, quantity: Int, orderLines: [String])] = [:]
    var problems: [String] = []
    if let against = options.against {
      let (export, exportProblems) = try SSMExport.read(
        path: against, limits: options.limits, smartAccount: options.smartAccount)
      problems = exportProblems
      for entry in export {
        let key = Key(
          smartAccount: entry.smartAccount.lowercased(), virtualAccount: entry.virtualAccount.lowercased(),
          sku: LineIdentity.skuKey(entry.sku))
        var value = ssm[key] ?? (entry, 0, [])
        value.quantity += entry.quantity
        if let orderLine = entry.orderLine { value.orderLines.append(orderLine) }
        ssm[key] = value
      }
    }
    self.ssm = ssm
    ssmProblems = problems
    doubleDeposits = try ledger.identityCollisions()
  }

  /// Streams the balances in account order and returns how they differ
  /// from SSM's export (none without one), in the same order.
  public func balances(_ body: (Balance) throws -> Void) throws -> [BalanceDifference] {
    var differences: [BalanceDifference] = []
    var seen: Set<Key> = []
    try balanceSums().forEachBalance { balance in
      try body(balance)
      guard options.against != nil else { return }
      let key = Key(
        smartAccount: balance.smartAccount.lowercased(), virtualAccount: balance.virtualAccount.lowercased(),
        sku: balance.sku)
      seen.insert(key)
      let ledgerQuantity = balance.available + balance.held
      let ssmQuantity = ssm[key]?.quantity ?? 0
      guard ledgerQuantity != ssmQuantity else { return }
      differences.append(
        BalanceDifference(
          smartAccount: key.smartAccount, virtualAccount: balance.virtualAccount, sku: key.sku,
          ledger: ledgerQuantity, ssm: ssmQuantity, difference: ssmQuantity - ledgerQuantity,
          kind: ssm[key] == nil ? "only-in-ledger" : "differs", ssmOrderLines: ssm[key]?.orderLines ?? []))
    }
    for (key, value) in ssm where !seen.contains(key) && value.quantity != 0 {
      differences.append(
        BalanceDifference(
          smartAccount: key.smartAccount, virtualAccount: value.entry.virtualAccount, sku: key.sku, ledger: 0,
          ssm: value.quantity, difference: value.quantity, kind: "only-in-ssm", ssmOrderLines: value.orderLines))
    }
    return differences.sorted {
      ($0.smartAccount, $0.virtualAccount.lowercased(), $0.sku) < (
        $1.smartAccount, $1.virtualAccount.lowercased(), $1.sku
      )
    }
  }

  /// Streams the balances by source in account order.
  public func sourcedBalances(_ body: (SourcedBalance) throws -> Void) throws {
    try balanceSums().forEachSourcedBalance(body)
  }

  private func balanceSums() throws -> LedgerBalances {
    if let sums { return sums }
    let ages = HeldAges(asOf: options.asOf, maxAgeDays: options.holdingMaxAgeDays)
    let sums = try ledger.readBalances(ages: ages)
    self.sums = sums
    self.ages = ages
    return sums
  }

  /// Streams every held deposit, oldest first, saying whether it is over
  /// the age limit; returns the over-age licences and the aging chart.
  public func held(_ body: (HeldLicenses, _ overAge: Bool) throws -> Void) throws -> ReconciliationReport.Totals {
    var totals = ReconciliationReport.Totals()
    var buckets = AgeBucket.empty
    if let ages, ages.rows == 0 {
      totals.heldByAge = buckets
      return totals
    }
    try ledger.forEachHeldLicense(asOf: options.asOf) { licenses in
      let isOverAge = licenses.ageDays > options.holdingMaxAgeDays
      if isOverAge { totals.overAgeLicenses += licenses.held }
      // Deposited after the as-of date: held for no time yet, not left out of the chart.
      let age = max(licenses.ageDays, 0)
      if let index = buckets.lastIndex(where: { age >= $0.fromDays }) {
        buckets[index].licenses += licenses.held
      }
      try body(licenses, isOverAge)
    }
    totals.heldByAge = buckets
    return totals
  }

  /// Streams the over-age held deposits only, oldest first.
  public func overAge(_ body: (HeldLicenses) throws -> Void) throws {
    if let ages, ages.overAgeRows == 0 { return }
    try ledger.forEachHeldLicense(asOf: options.asOf) { licenses in
      if licenses.ageDays > options.holdingMaxAgeDays { try body(licenses) }
    }
  }

  /// The report's totals: the held licenses' (from `held`), with what the
  /// order lines add up to, the differences and the double deposits.
  func totals(held: ReconciliationReport.Totals, lines: LineTotals, differences: Int) -> ReconciliationReport.Totals {
    var totals = held
    totals.ordered = lines.ordered
    totals.deposited = lines.deposited
    totals.transferred = lines.transferred
    totals.held = lines.held
    totals.rejectedLines = lines.rejectedLines
    totals.orderLines = lines.lines
    totals.differences = differences
    totals.doubleDepositedLicenses = doubleDeposits.reduce(0) { $0 + $1.twin.quantity }
    return totals
  }

  /// Streams every order line in identity order, each read in place, and
  /// returns what they add up to; the balances are summed on the way if
  /// they were not yet.
  func lineCells(_ body: (OrderLineCells) throws -> Void) throws -> LineTotals {
    var totals = LineTotals()
    var groups = sums == nil ? BalanceGroups() : nil
    let counted = ages == nil ? HeldAges(asOf: options.asOf, maxAgeDays: options.holdingMaxAgeDays) : nil
    try ledger.scanOrderLines(since: options.since, until: options.until, groups: &groups, ages: counted) { line in
      totals.ordered += line.ordered
      totals.deposited += line.deposited
      totals.transferred += line.transferred
      totals.held += line.held
      if line.status == .rejected { totals.rejectedLines += 1 }
      totals.lines += 1
      try body(line)
    }
    if groups != nil { sums = try LedgerBalances(ledger: ledger, groups: groups) }
    if let counted { ages = counted }
    return totals
  }
}
