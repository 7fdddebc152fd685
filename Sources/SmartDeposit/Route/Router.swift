/// Who sent a file: CCW (files directly in the inbox) or a configured partner.
public enum Sender: Sendable, Equatable, Hashable {
  case ccw
  case partner(String)

  /// The name the ledger records for deposits from this sender.
  public var name: String {
    switch self {
    case .ccw: "ccw"
    case .partner(let name): name
    }
  }
}

/// Decides where a validated line lands and whether its sender may put it there.
public struct Router: Sendable {
  public init() {}

  /// The deposit for a validated line, or `unauthorized-account` when a
  /// partner names another partner's holding account.
  public func route(_ validated: ValidatedLine, from sender: Sender) -> Result<Deposit, LineProblem> {
    let account = validated.account
    if let problem = problem(depositingInto: account, from: sender) { return .failure(problem) }
    let line = validated.line
    return .success(
      Deposit(
        webOrderID: line.webOrderID, lineNumber: line.lineNumber, salesOrder: line.salesOrder,
        purchaseOrder: line.purchaseOrder, orderDate: line.orderDate, sku: LineIdentity.skuKey(line.sku),
        quantity: validated.quantity, licenseType: validated.licenseType, termMonths: validated.termMonths,
        startDate: validated.startDate, smartAccount: account.identifier,
        virtualAccount: validated.virtualAccount, endCustomer: line.endCustomer,
        status: account.type.depositStatus, source: sender.name, record: line.record))
  }

  /// Why the sender may not deposit into the account, or nil when it may.
  func problem(depositingInto account: SmartAccount, from sender: Sender) -> LineProblem? {
    guard case .partner(let partner) = sender, account.type == .holding,
      account.partner.lowercased() != partner.lowercased()
    else { return nil }
    let owner = account.partner.isEmpty ? "no partner" : "partner '\(account.partner)'"
    return LineProblem(
      .unauthorizedAccount,
      "holding account '\(account.identifier)' belongs to \(owner); partner '\(partner)' may not deposit into it")
  }

  /// The same, for a registry entry: only a partner's file can be refused,
  /// so a CCW line never copies the account out of its entry.
  func problem(depositingInto entry: Registry.Entry, from sender: Sender) -> LineProblem? {
    guard case .partner = sender else { return nil }
    return problem(depositingInto: entry.account, from: sender)
  }
}
