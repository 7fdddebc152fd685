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

  /// Appends a row from its values (`startDate` empty when there is none):
  /// written first into fixed space and appended in one piece; a row too
  /// long for it is written straight into `bytes`.
  func append(
    webOrderID: String, lineNumber: String, sku: String, quantity: Int, licenseType: LicenseType, termMonths: Int?,
    startDate: String, smartAccount: String, virtualAccount: String, status: DepositStatus, purchaseOrder: String,
    salesOrder: String, endCustomer: String, orderDate: String, to bytes: inout [UInt8]
  ) {
    let appended = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Self.scratchBytes) { buffer in
      var row = RowScratch(buffer)
      write(
        webOrderID: webOrderID, lineNumber: lineNumber, sku: sku, quantity: quantity, licenseType: licenseType,
        termMonths: termMonths, startDate: startDate, smartAccount: smartAccount, virtualAccount: virtualAccount,
        status: status, purchaseOrder: purchaseOrder, salesOrder: salesOrder, endCustomer: endCustomer,
        orderDate: orderDate, to: &row)
      guard !row.overflowed else { return false }
      bytes.append(contentsOf: row.bytes)
      return true
    }
    guard !appended else { return }
    write(
      webOrderID: webOrderID, lineNumber: lineNumber, sku: sku, quantity: quantity, licenseType: licenseType,
      termMonths: termMonths, startDate: startDate, smartAccount: smartAccount, virtualAccount: virtualAccount,
      status: status, purchaseOrder: purchaseOrder, salesOrder: salesOrder, endCustomer: endCustomer,
      orderDate: orderDate, to: &bytes)
  }

  /// The space a row is first written into: a few times a usual row.
  static let scratchBytes = 1024

  private func write<Output: CSVOutput>(
    webOrderID: String, lineNumber: String, sku: String, quantity: Int, licenseType: LicenseType, termMonths: Int?,
    startDate: String, smartAccount: String, virtualAccount: String, status: DepositStatus, purchaseOrder: String,
    salesOrder: String, endCustomer: String, orderDate: String, to bytes: inout Output
  ) {
    prefix.withUnsafeBufferPointer { bytes.appendBytes($0) }
    bytes.append(0x2C)
    CSVFormatter.writeCell(webOrderID, to: &bytes)
    bytes.append(0x2C)
    CSVFormatter.writeCell(lineNumber, to: &bytes)
    bytes.append(0x2C)
    CSVFormatter.writeCell(sku, to: &bytes)
    bytes.append(0x2C)
    CSVFormatter.writeNumber(quantity, to: &bytes)
    bytes.append(0x2C)
    CSVFormatter.writeCell(licenseType.rawValue, to: &bytes)
    bytes.append(0x2C)
    if let months = termMonths { CSVFormatter.writeNumber(months, to: &bytes) }
    bytes.append(0x2C)
    if !startDate.isEmpty { CSVFormatter.writeCell(startDate, to: &bytes) }
    bytes.append(0x2C)
    CSVFormatter.writeCell(smartAccount, to: &bytes)
    bytes.append(0x2C)
    CSVFormatter.writeCell(virtualAccount, to: &bytes)
    bytes.append(0x2C)
    CSVFormatter.writeCell(status.rawValue, to: &bytes)
    bytes.append(0x2C)
    CSVFormatter.writeCell(purchaseOrder, to: &bytes)
    bytes.append(0x2C)
    CSVFormatter.writeCell(salesOrder, to: &bytes)
    bytes.append(0x2C)
    CSVFormatter.writeCell(endCustomer, to: &bytes)
    bytes.append(0x2C)
    CSVFormatter.writeCell(orderDate, to: &bytes)
    bytes.append(0x0D)
    bytes.append(0x0A)
  }

}
