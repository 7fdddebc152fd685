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
    let written = reject.written
    return CSVFormatter.row([
      reject.file, String(reject.record), reject.webOrderID, reject.lineNumber, reject.code.rawValue, reject.message,
      written.purchaseOrder, written.salesOrder, written.endCustomer, written.orderDate, written.sku,
      written.quantity, written.smartAccount, written.virtualAccount,
    ])
  }
}
