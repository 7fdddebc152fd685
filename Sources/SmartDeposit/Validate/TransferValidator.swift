/// Checks a transfer row against the registry and the ledger.
public struct TransferValidator: Sendable {
  public var registry: Registry
  public var maxQuantity: Int

  public init(registry: Registry, maxQuantity: Int) {
    self.registry = registry
    self.maxQuantity = maxQuantity
  }

  /// The checks that need no ledger: identity, quantity, target, sender's authority over the source.
  public func check(_ request: TransferRequest, sender: Sender) -> Result<(quantity: Int, target: String), LineProblem>
  {
    if request.transferID.isEmpty {
      return .failure(LineProblem(.malformedRecord, "the row has no transfer_id"))
    }
    if request.webOrderID.isEmpty || request.lineNumber.isEmpty {
      return .failure(
        LineProblem(.unknownTransferSource, "the row does not name the web order id and line number to transfer"))
    }
    guard let quantity = LineIdentity.wholeNumber(request.quantity), quantity >= 1, quantity <= maxQuantity else {
      return .failure(
        LineProblem(.invalidQuantity, "quantity '\(request.quantity)' is not a whole number from 1 to \(maxQuantity)"))
    }
    guard let source = registry.account(request.fromSmartAccount), source.type == .holding else {
      return .failure(
        LineProblem(
          .unknownTransferSource, "'\(request.fromSmartAccount)' is not a holding Smart Account in the registry"))
    }
    if case .partner(let partner) = sender, source.partner.lowercased() != partner.lowercased() {
      return .failure(
        LineProblem(
          .unauthorizedAccount, "holding account '\(source.identifier)' does not belong to partner '\(partner)'"))
    }
    guard let target = registry.account(request.toSmartAccount), target.type != .holding else {
      return .failure(
        LineProblem(
          .invalidTransferTarget,
          "'\(request.toSmartAccount)' is not a customer or limited-use Smart Account in the registry"))
    }
    let requestedVA = request.toVirtualAccount.isEmpty ? "DEFAULT" : request.toVirtualAccount
    guard let virtualAccount = registry.virtualAccount(requestedVA, in: target.identifier),
      target.type != .limitedUse || virtualAccount.lowercased() == "default"
    else {
      return .failure(
        LineProblem(
          .invalidTransferTarget, "Smart Account '\(target.identifier)' has no virtual account '\(requestedVA)'"))
    }
    return .success((quantity, virtualAccount))
  }
}
