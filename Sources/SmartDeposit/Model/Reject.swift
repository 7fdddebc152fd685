/// Why a line (or a transfer row) was not deposited. The raw values are the
/// codes operators script against; they never change.
public enum RejectCode: String, Sendable, Equatable, Hashable, Codable, CaseIterable, Comparable {
  case missingSmartAccount = "missing-smart-account"
  case unknownSmartAccount = "unknown-smart-account"
  case unknownVirtualAccount = "unknown-virtual-account"
  case virtualAccountNotAllowed = "virtual-account-not-allowed"
  case invalidQuantity = "invalid-quantity"
  case missingSKU = "missing-sku"
  case invalidLicenseType = "invalid-license-type"
  case invalidTerm = "invalid-term"
  case invalidDate = "invalid-date"
  case missingOrderID = "missing-order-id"
  case conflictingLine = "conflicting-line"
  case malformedRecord = "malformed-record"
  case unauthorizedAccount = "unauthorized-account"
  case orderRejected = "order-rejected"
  case unknownTransferSource = "unknown-transfer-source"
  case insufficientHeldQuantity = "insufficient-held-quantity"
  case invalidTransferTarget = "invalid-transfer-target"
  case conflictingTransfer = "conflicting-transfer"

  public static func < (lhs: RejectCode, rhs: RejectCode) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A rejected line: a value collected and reported, never thrown.
public struct Reject: Sendable, Equatable, Codable {
  /// The file as found in the inbox.
  public var file: String
  /// The line in the file where the record starts.
  public var record: Int
  public var webOrderID: String
  public var lineNumber: String
  public var code: RejectCode
  public var message: String
  /// The SKU the line ordered, where it could be read.
  public var sku: String
  /// The quantity the line ordered, where it is a whole number.
  public var quantity: Int?
  /// The Smart Account the line named, where it named one.
  public var smartAccount: String

  public init(
    file: String, record: Int, webOrderID: String, lineNumber: String, code: RejectCode,
    message: String, sku: String = "", quantity: Int? = nil, smartAccount: String = ""
  ) {
    self.sku = sku
    self.quantity = quantity
    self.smartAccount = smartAccount
    self.file = file
    self.record = record
    self.webOrderID = webOrderID
    self.lineNumber = lineNumber
    self.code = code
    self.message = message
  }
}
