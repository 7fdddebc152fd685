/// Where a record came from: the file and the line in it where the record starts.
public struct SourceLocation: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
  /// The file's path as the operator named it (or as it was found in the inbox).
  public var file: String
  /// The 1-based line in the file where the record starts; 0 when unknown.
  public var line: Int
  /// The 1-based column, where known; 0 when unknown.
  public var column: Int

  public init(file: String, line: Int, column: Int = 0) {
    self.file = file
    self.line = line
    self.column = column
  }

  public var description: String {
    column > 0 ? "\(file):\(line):\(column)" : "\(file):\(line)"
  }
}

/// One order line as read from an order file, before any validation.
///
/// Every field is kept as the text found in the file (trimmed), so that the
/// validator can say exactly what was wrong with it; header defaults are
/// already applied by the reader.
public struct OrderLine: Sendable, Equatable, Codable {
  public var webOrderID: String
  public var salesOrder: String
  public var purchaseOrder: String
  public var orderDate: String
  public var lineNumber: String
  public var sku: String
  public var quantity: String
  public var licenseType: String
  public var termMonths: String
  public var startDate: String
  public var smartAccount: String
  public var virtualAccount: String
  public var endCustomer: String
  public var partner: String
  /// The line in the input file where this record starts.
  public var record: Int

  public init(
    webOrderID: String = "", salesOrder: String = "", purchaseOrder: String = "",
    orderDate: String = "", lineNumber: String = "", sku: String = "", quantity: String = "",
    licenseType: String = "", termMonths: String = "", startDate: String = "",
    smartAccount: String = "", virtualAccount: String = "", endCustomer: String = "",
    partner: String = "", record: Int = 0
  ) {
    self.webOrderID = webOrderID
    self.salesOrder = salesOrder
    self.purchaseOrder = purchaseOrder
    self.orderDate = orderDate
    self.lineNumber = lineNumber
    self.sku = sku
    self.quantity = quantity
    self.licenseType = licenseType
    self.termMonths = termMonths
    self.startDate = startDate
    self.smartAccount = smartAccount
    self.virtualAccount = virtualAccount
    self.endCustomer = endCustomer
    self.partner = partner
    self.record = record
  }
}

/// A license type that an order line may carry.
public enum LicenseType: String, Sendable, Equatable, Codable {
  case perpetual = "PERPETUAL"
  case term = "TERM"

  /// The type a line names, in any case. The usual spellings are compared
  /// first: both fit in a `String`'s own space, so each comparison is of two
  /// words, where `init(rawValue:)` searches its cases through the runtime.
  init?(spelled text: String) {
    if text == "TERM" {
      self = .term
    } else if text == "PERPETUAL" {
      self = .perpetual
    } else if let type = LicenseType(rawValue: text.uppercased()) {
      self = type
    } else {
      return nil
    }
  }
}

/// Where deposited licenses stand: usable by the customer, or parked in a
/// partner's holding account until they are transferred.
public enum DepositStatus: String, Sendable, Equatable, Codable {
  case available
  case held
}

/// An order line that passed validation and routing: what the ledger deposits.
public struct Deposit: Sendable, Equatable, Codable {
  public var webOrderID: String
  public var lineNumber: String
  public var salesOrder: String
  public var purchaseOrder: String
  public var orderDate: String
  public var sku: String
  public var quantity: Int
  public var licenseType: LicenseType
  /// Months of a TERM license; nil for PERPETUAL.
  public var termMonths: Int?
  /// Start date (YYYY-MM-DD) of a TERM license; nil for PERPETUAL.
  public var startDate: String?
  /// Smart Account identifier, lower-case.
  public var smartAccount: String
  /// Virtual Account name in the registry's spelling.
  public var virtualAccount: String
  public var endCustomer: String
  public var status: DepositStatus
  /// Who sent the file: a configured partner's name, or `ccw`.
  public var source: String
  /// The line in the input file where the record starts.
  public var record: Int

  public init(
    webOrderID: String, lineNumber: String, salesOrder: String, purchaseOrder: String,
    orderDate: String, sku: String, quantity: Int, licenseType: LicenseType, termMonths: Int?,
    startDate: String?, smartAccount: String, virtualAccount: String, endCustomer: String,
    status: DepositStatus, source: String, record: Int
  ) {
    self.webOrderID = webOrderID
    self.lineNumber = lineNumber
    self.salesOrder = salesOrder
    self.purchaseOrder = purchaseOrder
    self.orderDate = orderDate
    self.sku = sku
    self.quantity = quantity
    self.licenseType = licenseType
    self.termMonths = termMonths
    self.startDate = startDate
    self.smartAccount = smartAccount
    self.virtualAccount = virtualAccount
    self.endCustomer = endCustomer
    self.status = status
    self.source = source
    self.record = record
  }

  /// The line's identity by meaning: what the ledger keys the deposit by.
  public var identity: LineIdentity { LineIdentity(webOrderID: webOrderID, lineNumber: lineNumber) }

  /// Whether two deposits of the same identity carry the same licenses, so
  /// that the second is an idempotent re-export rather than a conflict.
  /// Content compares by meaning, as identity does: numbers as numbers
  /// (already parsed), SKUs and license types case-insensitively, the Smart
  /// Account lower-case and the Virtual Account by the registry's spelling
  /// (both resolved through the registry), dates as validated YYYY-MM-DD.
  public func hasSameContent(as other: Deposit) -> Bool {
    LineIdentity.skuKey(sku) == LineIdentity.skuKey(other.sku) && quantity == other.quantity
      && licenseType == other.licenseType
      && termMonths == other.termMonths && startDate == other.startDate
      && smartAccount == other.smartAccount
      && virtualAccount.lowercased() == other.virtualAccount.lowercased()
  }
}
