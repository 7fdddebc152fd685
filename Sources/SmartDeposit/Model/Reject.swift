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

/// What a rejected line said, as its file wrote it: what a person needs to
/// find the order and fix the line without opening the source file.
public struct WrittenLine: Sendable, Equatable, Codable {
  public var sku = ""
  public var quantity = ""
  public var smartAccount = ""
  public var virtualAccount = ""
  public var purchaseOrder = ""
  public var salesOrder = ""
  public var endCustomer = ""
  public var orderDate = ""

  public init(
    sku: String = "", quantity: String = "", smartAccount: String = "", virtualAccount: String = "",
    purchaseOrder: String = "", salesOrder: String = "", endCustomer: String = "", orderDate: String = ""
  ) {
    self.sku = sku
    self.quantity = quantity
    self.smartAccount = smartAccount
    self.virtualAccount = virtualAccount
    self.purchaseOrder = purchaseOrder
    self.salesOrder = salesOrder
    self.endCustomer = endCustomer
    self.orderDate = orderDate
  }

  /// A line as read, header defaults applied.
  public init(_ line: OrderLine) {
    self.init(
      sku: line.sku, quantity: line.quantity, smartAccount: line.smartAccount, virtualAccount: line.virtualAccount,
      purchaseOrder: line.purchaseOrder, salesOrder: line.salesOrder, endCustomer: line.endCustomer,
      orderDate: line.orderDate)
  }

  /// A line that passed validation (rejected later with its order, or as a
  /// conflict): its values as deposited, which a valid line's spelling
  /// differs from only in case and in how its numbers were written.
  public init(_ deposit: Deposit) {
    self.init(
      sku: deposit.sku, quantity: String(deposit.quantity), smartAccount: deposit.smartAccount,
      virtualAccount: deposit.virtualAccount, purchaseOrder: deposit.purchaseOrder, salesOrder: deposit.salesOrder,
      endCustomer: deposit.endCustomer, orderDate: deposit.orderDate)
  }
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
  /// The line's other fields as the file wrote them.
  public var written: WrittenLine

  /// The SKU the line ordered, as written.
  public var sku: String { written.sku }
  /// The quantity the line ordered, where it is a whole number.
  public var quantity: Int? { LineIdentity.wholeNumber(written.quantity) }
  /// The Smart Account the line named, lower-case (accounts compare so).
  public var smartAccount: String { written.smartAccount.lowercased() }

  public init(
    file: String, record: Int, webOrderID: String, lineNumber: String, code: RejectCode,
    message: String, written: WrittenLine = WrittenLine()
  ) {
    self.file = file
    self.record = record
    self.webOrderID = webOrderID
    self.lineNumber = lineNumber
    self.code = code
    self.message = message
    self.written = written
  }
}
