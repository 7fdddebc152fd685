/// `deposits.csv`: its header and its rows, defined together.
public struct DepositRowFormatter: Sendable {
  /// The columns, in the order `append` writes them: the contract's, then
  /// the order's context that finance works by.
  public static let header = [
    "run_id", "file", "web_order_id", "line_number", "sku", "quantity", "license_type", "term_months",
    "start_date", "smart_account", "virtual_account", "status", "purchase_order", "sales_order", "end_customer",
    "order_date",
  ]

  public let runID: String
  public let file: String
  /// The run id and file cells, the same on every row of the file.
  private let prefix: [UInt8]

  public init(runID: String, file: String) {
    self.runID = runID
    self.file = file
    var prefix: [UInt8] = []
    CSVFormatter.appendCell(runID, to: &prefix)
    prefix.append(0x2C)
    CSVFormatter.appendCell(file, to: &prefix)
    self.prefix = prefix
  }

  /// Appends the deposit's row to `bytes`.
  public func append(_ deposit: Deposit, to bytes: inout [UInt8]) {
    append(
      webOrderID: deposit.webOrderID, lineNumber: deposit.lineNumber, sku: deposit.sku, quantity: deposit.quantity,
      licenseType: deposit.licenseType, termMonths: deposit.termMonths, startDate: deposit.startDate ?? "",
      smartAccount: deposit.smartAccount, virtualAccount: deposit.virtualAccount, status: deposit.status,
      purchaseOrder: deposit.purchaseOrder, salesOrder: deposit.salesOrder, endCustomer: deposit.endCustomer,
      orderDate: deposit.orderDate, to: &bytes)
  }

  /// Appends a row from its values (`startDate` empty when there is none).
  func append(
    webOrderID: String, lineNumber: String, sku: String, quantity: Int, licenseType: LicenseType, termMonths: Int?,
    startDate: String, smartAccount: String, virtualAccount: String, status: DepositStatus, purchaseOrder: String,
    salesOrder: String, endCustomer: String, orderDate: String, to bytes: inout [UInt8]
  ) {
    bytes.append(contentsOf: prefix)
    bytes.append(0x2C)
    CSVFormatter.appendCell(webOrderID, to: &bytes)
    bytes.append(0x2C)
    CSVFormatter.appendCell(lineNumber, to: &bytes)
    bytes.append(0x2C)
    CSVFormatter.appendCell(sku, to: &bytes)
    bytes.append(0x2C)
    CSVFormatter.appendNumber(quantity, to: &bytes)
    bytes.append(0x2C)
    CSVFormatter.appendCell(licenseType.rawValue, to: &bytes)
    bytes.append(0x2C)
    if let months = termMonths { CSVFormatter.appendNumber(months, to: &bytes) }
    bytes.append(0x2C)
    if !startDate.isEmpty { CSVFormatter.appendCell(startDate, to: &bytes) }
    bytes.append(0x2C)
    CSVFormatter.appendCell(smartAccount, to: &bytes)
    bytes.append(0x2C)
    CSVFormatter.appendCell(virtualAccount, to: &bytes)
    bytes.append(0x2C)
    CSVFormatter.appendCell(status.rawValue, to: &bytes)
    bytes.append(0x2C)
    CSVFormatter.appendCell(purchaseOrder, to: &bytes)
    bytes.append(0x2C)
    CSVFormatter.appendCell(salesOrder, to: &bytes)
    bytes.append(0x2C)
    CSVFormatter.appendCell(endCustomer, to: &bytes)
    bytes.append(0x2C)
    CSVFormatter.appendCell(orderDate, to: &bytes)
    bytes.append(0x0D)
    bytes.append(0x0A)
  }

}
