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

  enum CodingKeys: String, CodingKey {
    case smartAccount = "smart_account"
    case virtualAccount = "virtual_account"
    case sku, ledger, ssm, difference, kind
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
  }

  enum CodingKeys: String, CodingKey {
    case generatedAt = "generated_at"
    case asOf = "as_of"
    case since, until
    case holdingMaxAgeDays = "holding_max_age_days"
    case against, lines, balances, differences
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

  /// Builds the report from the ledger and, optionally, an SSM license export.
  public static func build(
    ledger: Ledger, against: String?, since: String?, until: String?, asOf: String, holdingMaxAgeDays: Int,
    limits: InputLimits = InputLimits()
  ) throws -> ReconciliationReport {
    let lines = try ledger.reconciliationLines(since: since, until: until)
    let balances = try ledger.balances()
    let held = try ledger.heldLicenses(asOf: asOf)
    let doubleDeposits = try ledger.identityCollisions()
    var differences: [BalanceDifference] = []
    var problems: [String] = []
    if let against {
      let (export, exportProblems) = try SSMExport.read(path: against, limits: limits)
      problems = exportProblems
      differences = compare(balances: balances, export: export)
    }
    let overAge = held.filter { $0.ageDays > holdingMaxAgeDays }
    var totals = Totals()
    for line in lines {
      totals.ordered += line.ordered
      totals.deposited += line.deposited
      totals.transferred += line.transferred
      totals.held += line.held
      if line.status == "rejected" { totals.rejectedLines += 1 }
    }
    totals.differences = differences.count
    totals.overAgeLicenses = overAge.reduce(0) { $0 + $1.held }
    totals.doubleDepositedLicenses = doubleDeposits.reduce(0) { $0 + $1.twin.quantity }
    return ReconciliationReport(
      generatedAt: Timestamp.now(), asOf: asOf, since: since, until: until, holdingMaxAgeDays: holdingMaxAgeDays,
      against: against, lines: lines, balances: balances, differences: differences, overAge: overAge, held: held,
      doubleDeposits: doubleDeposits, totals: totals, ssmProblems: problems)
  }

  static func compare(balances: [Balance], export: [SSMExport.Entry]) -> [BalanceDifference] {
    struct Key: Hashable {
      var smartAccount: String
      var virtualAccount: String
      var sku: String
    }
    var ledger: [Key: (Balance, Int)] = [:]
    for balance in balances {
      let key = Key(
        smartAccount: balance.smartAccount.lowercased(), virtualAccount: balance.virtualAccount.lowercased(),
        sku: balance.sku)
      ledger[key] = (balance, (ledger[key]?.1 ?? 0) + balance.available + balance.held)
    }
    var ssm: [Key: (SSMExport.Entry, Int)] = [:]
    for entry in export {
      let key = Key(
        smartAccount: entry.smartAccount.lowercased(), virtualAccount: entry.virtualAccount.lowercased(), sku: entry.sku
      )
      ssm[key] = (entry, (ssm[key]?.1 ?? 0) + entry.quantity)
    }
    var differences: [BalanceDifference] = []
    for key in Set(ledger.keys).union(ssm.keys) {
      let ledgerQuantity = ledger[key]?.1 ?? 0
      let ssmQuantity = ssm[key]?.1 ?? 0
      guard ledgerQuantity != ssmQuantity else { continue }
      let kind = ssm[key] == nil ? "only-in-ledger" : (ledger[key] == nil ? "only-in-ssm" : "differs")
      differences.append(
        BalanceDifference(
          smartAccount: key.smartAccount,
          virtualAccount: ledger[key]?.0.virtualAccount ?? ssm[key]?.0.virtualAccount ?? key.virtualAccount,
          sku: key.sku, ledger: ledgerQuantity, ssm: ssmQuantity, difference: ssmQuantity - ledgerQuantity, kind: kind))
    }
    return differences.sorted {
      ($0.smartAccount, $0.virtualAccount.lowercased(), $0.sku) < (
        $1.smartAccount, $1.virtualAccount.lowercased(), $1.sku
      )
    }
  }
}

/// An export of Smart Software Manager's license view.
public enum SSMExport {
  public struct Entry: Sendable, Equatable {
    public var smartAccount: String
    public var virtualAccount: String
    public var sku: String
    public var quantity: Int
  }

  private enum Column: Int, CaseIterable {
    case smartAccount, virtualAccount, sku, quantity
    var canonicalName: String { ["smart_account", "virtual_account", "sku", "quantity"][rawValue] }
    var aliases: [String] {
      [["smartaccount"], ["virtualaccount"], ["sku", "license", "product"], ["quantity", "qty", "count"]][rawValue]
    }
  }

  /// The export's entries and the rows that could not be read.
  public static func read(path: String, limits: InputLimits) throws -> ([Entry], [String]) {
    guard FileManager.default.fileExists(atPath: path) else { throw RunError.inputMissing(path) }
    let source = try ByteSource(path: path, displayName: path, maxBytes: limits.maxFileBytes)
    let reader = CSVReader(source: source, maxFieldBytes: limits.maxFieldBytes)
    guard let first = try reader.next() else {
      throw IngestError(.emptyFile, file: path, line: 1, message: "the SSM export is empty: no header row")
    }
    let header = try HeaderMap(
      header: first, columns: Column.self, aliases: { $0.aliases }, canonical: { $0.canonicalName },
      required: Column.allCases, file: path)
    var entries: [Entry] = []
    var problems: [String] = []
    while let record = try reader.next() {
      if let problem = record.problem {
        problems.append("\(path):\(record.line): \(problem)")
        continue
      }
      let fields = record.fields
      let quantityText = header.value(Column.quantity.rawValue, in: fields)
      guard fields.count == header.width, let quantity = LineIdentity.wholeNumber(quantityText) else {
        problems.append(
          "\(path):\(record.line): the row is not smart_account,virtual_account,sku,quantity with a whole quantity")
        continue
      }
      let virtualAccount = header.value(Column.virtualAccount.rawValue, in: fields)
      entries.append(
        Entry(
          smartAccount: header.value(Column.smartAccount.rawValue, in: fields).lowercased(),
          virtualAccount: virtualAccount.isEmpty ? "DEFAULT" : virtualAccount,
          sku: header.value(Column.sku.rawValue, in: fields), quantity: quantity))
    }
    return (entries, problems)
  }
}
