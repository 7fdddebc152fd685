/// `rejects.csv`: its header and its rows, defined together.
public enum RejectRowFormatter {
  /// The columns, in the order `row` writes them: the contract's, then the
  /// order's context, then the line's fields as its file wrote them.
  public static let header = [
    "file", "record", "web_order_id", "line_number", "code", "message", "purchase_order", "sales_order",
    "end_customer", "order_date", "sku", "quantity", "smart_account", "virtual_account",
  ]

  /// The reject's row, with its line end.
  public static func row(_ reject: Reject) -> String {
    var bytes: [UInt8] = []
    append(reject, to: &bytes)
    return String(decoding: bytes, as: UTF8.self)
  }

  /// Appends the reject's row, with its line end, cell by cell: no text is
  /// built for a row on the way.
  public static func append(_ reject: Reject, to bytes: inout [UInt8]) {
    let written = reject.written
    CSVFormatter.writeCell(reject.file, to: &bytes)
    bytes.append(0x2C)
    CSVFormatter.writeNumber(reject.record, to: &bytes)
    func cell(_ value: String) {
      bytes.append(0x2C)
      CSVFormatter.writeCell(value, to: &bytes)
    }
    cell(reject.webOrderID)
    cell(reject.lineNumber)
    cell(reject.code.rawValue)
    cell(reject.message)
    cell(written.purchaseOrder)
    cell(written.salesOrder)
    cell(written.endCustomer)
    cell(written.orderDate)
    cell(written.sku)
    cell(written.quantity)
    cell(written.smartAccount)
    cell(written.virtualAccount)
    bytes.append(0x0D)
    bytes.append(0x0A)
  }
}
