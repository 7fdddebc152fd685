/// A row of a transfer file: move held licenses of one deposited order line
/// from a holding account to a customer or limited-use account.
public struct TransferRequest: Sendable, Equatable, Codable {
  public var transferID: String
  public var fromSmartAccount: String
  public var webOrderID: String
  public var lineNumber: String
  public var quantity: String
  public var toSmartAccount: String
  public var toVirtualAccount: String
  public var record: Int

  public init(
    transferID: String, fromSmartAccount: String, webOrderID: String, lineNumber: String, quantity: String,
    toSmartAccount: String, toVirtualAccount: String, record: Int
  ) {
    self.transferID = transferID
    self.fromSmartAccount = fromSmartAccount
    self.webOrderID = webOrderID
    self.lineNumber = lineNumber
    self.quantity = quantity
    self.toSmartAccount = toSmartAccount
    self.toVirtualAccount = toVirtualAccount
    self.record = record
  }
}

/// A transfer as the ledger journals it.
public struct Transfer: Sendable, Equatable, Codable {
  public var transferID: String
  /// Who asked for it: a partner's name, or `ccw` for the operator.
  public var source: String
  public var fromSmartAccount: String
  public var fromVirtualAccount: String
  public var webOrderID: String
  public var lineNumber: String
  public var sku: String
  public var quantity: Int
  public var toSmartAccount: String
  public var toVirtualAccount: String
  public var record: Int

  public init(
    transferID: String, source: String, fromSmartAccount: String, fromVirtualAccount: String, webOrderID: String,
    lineNumber: String, sku: String, quantity: Int, toSmartAccount: String, toVirtualAccount: String, record: Int
  ) {
    self.transferID = transferID
    self.source = source
    self.fromSmartAccount = fromSmartAccount
    self.fromVirtualAccount = fromVirtualAccount
    self.webOrderID = webOrderID
    self.lineNumber = lineNumber
    self.sku = sku
    self.quantity = quantity
    self.toSmartAccount = toSmartAccount
    self.toVirtualAccount = toVirtualAccount
    self.record = record
  }

  /// The held line it moves licenses of, by meaning.
  public var identity: LineIdentity { LineIdentity(webOrderID: webOrderID, lineNumber: lineNumber) }

  /// Whether a repeated transfer id asks for the same movement (a no-op) or a different one (a conflict).
  public func hasSameContent(as other: Transfer) -> Bool {
    fromSmartAccount == other.fromSmartAccount
      && identity == other.identity
      && quantity == other.quantity && toSmartAccount == other.toSmartAccount
      && toVirtualAccount.lowercased() == other.toVirtualAccount.lowercased()
  }
}
