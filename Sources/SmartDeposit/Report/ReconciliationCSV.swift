import Foundation

/// The columns of the reconcile CSV, in their order.
enum ReconciliationColumn: Int, CaseIterable {
  case section, webOrderID, lineNumber, smartAccount, virtualAccount, sku, ordered, deposited, transferred, held
  case status, ledger, ssm, difference, ageDays, date, available, fromSmartAccount, fromVirtualAccount, transferID
  case source, file, ssmOrderLines

  var name: String {
    switch self {
    case .section: "section"
    case .webOrderID: "web_order_id"
    case .lineNumber: "line_number"
    case .smartAccount: "smart_account"
    case .virtualAccount: "virtual_account"
    case .sku: "sku"
    case .ordered: "ordered"
    case .deposited: "deposited"
    case .transferred: "transferred"
    case .held: "held"
    case .status: "status"
    case .ledger: "ledger"
    case .ssm: "ssm"
    case .difference: "difference"
    case .ageDays: "age_days"
    case .date: "date"
    case .available: "available"
    case .fromSmartAccount: "from_smart_account"
    case .fromVirtualAccount: "from_virtual_account"
    case .transferID: "transfer_id"
    case .source: "source"
    case .file: "file"
    case .ssmOrderLines: "ssm_order_lines"
    }
  }
}

/// One row of the reconcile CSV, written cell by cell into the output's
/// buffer: cells are named by column and must come in column order, so a
/// value can never land under another column's header; the columns a row
/// leaves out are empty.
struct ReconciliationCSVRow {
  typealias Column = ReconciliationColumn
  private var last = Column.section

  /// Starts a row of `section` at the end of `bytes`.
  init(_ section: String, _ bytes: inout [UInt8]) {
    CSVFormatter.appendCell(section, to: &bytes)
  }

  private mutating func move(to column: Column, _ bytes: inout [UInt8]) {
    precondition(column.rawValue > last.rawValue, "reconcile column \(column.name) out of order")
    for _ in last.rawValue..<column.rawValue { bytes.append(0x2C) }
    last = column
  }

  mutating func cell(_ column: Column, _ value: String, _ bytes: inout [UInt8]) {
    move(to: column, &bytes)
    CSVFormatter.appendCell(value, to: &bytes)
  }

  mutating func cell(_ column: Column, bytes value: UnsafeRawBufferPointer, _ bytes: inout [UInt8]) {
    move(to: column, &bytes)
    CSVFormatter.appendCell(bytes: value, to: &bytes)
  }

  mutating func cell(_ column: Column, _ value: Int, _ bytes: inout [UInt8]) {
    move(to: column, &bytes)
    CSVFormatter.appendNumber(value, to: &bytes)
  }

  /// Ends the row: the empty cells left, then CRLF.
  func end(_ bytes: inout [UInt8]) {
    for _ in last.rawValue..<(Column.allCases.count - 1) { bytes.append(0x2C) }
    bytes.append(0x0D)
    bytes.append(0x0A)
  }
}

extension ReconciliationRenderer {
  public static let csvHeader = ReconciliationColumn.allCases.map(\.name)

  /// Writes the CSV as the stream reads the ledger; returns whether
  /// everything reconciles. One CSV: a `section` column (`line`,
  /// `transfer`, `balance`, `source`, `difference`, `aging`,
  /// `double-deposit`) says what each row is. Every number is written as a
  /// plain number, so a spreadsheet can add it up.
  ///
  /// The order lines come first: the balances are summed in the same pass
  /// over the deposits, and each line is written from the cells in place.
  public static func writeCSV(_ stream: ReconciliationStream, to output: BufferedFileWriter) throws -> Bool {
    try output.write(CSVFormatter.row(csvHeader))
    var status: [UInt8] = []
    _ = try stream.lineCells { line in
      try output.append { bytes in
        var row = ReconciliationCSVRow("line", &bytes)
        row.cell(.webOrderID, bytes: line.webOrderID, &bytes)
        row.cell(.lineNumber, bytes: line.lineNumber, &bytes)
        row.cell(.smartAccount, bytes: line.smartAccount, &bytes)
        row.cell(.virtualAccount, bytes: line.virtualAccount, &bytes)
        row.cell(.sku, bytes: line.sku, &bytes)
        row.cell(.ordered, line.ordered, &bytes)
        row.cell(.deposited, line.deposited, &bytes)
        row.cell(.transferred, line.transferred, &bytes)
        row.cell(.held, line.held, &bytes)
        status.removeAll(keepingCapacity: true)
        status.append(contentsOf: line.status.rawValue.utf8)
        if line.reason.count > 0 {
          status.append(0x3A)
          status.append(contentsOf: line.reason)
        }
        status.withUnsafeBytes { row.cell(.status, bytes: $0, &bytes) }
        row.cell(.date, bytes: line.date, &bytes)
        row.cell(.source, bytes: line.source, &bytes)
        row.end(&bytes)
      }
    }
    try stream.ledger.forEachTransfer { transfer in try output.append { write(transfer, &$0) } }
    let differences = try stream.balances { balance in try output.append { write(balance, &$0) } }
    try stream.sourcedBalances { sourced in try output.append { write(sourced, &$0) } }
    for difference in differences { try output.append { write(difference, &$0) } }
    var overAge = false
    try stream.overAge { aged in
      overAge = true
      try output.append { write(aged: aged, &$0) }
    }
    for double in stream.doubleDeposits { try output.append { write(double, &$0) } }
    return differences.isEmpty && !overAge && stream.ssmProblems.isEmpty && stream.doubleDeposits.isEmpty
  }

  /// Where held licenses went: the line they came from, the account they went to.
  private static func write(_ transfer: TransferTrace, _ bytes: inout [UInt8]) {
    var row = ReconciliationCSVRow("transfer", &bytes)
    row.cell(.webOrderID, transfer.webOrderID, &bytes)
    row.cell(.lineNumber, transfer.lineNumber, &bytes)
    row.cell(.smartAccount, transfer.toSmartAccount, &bytes)
    row.cell(.virtualAccount, transfer.toVirtualAccount, &bytes)
    row.cell(.sku, transfer.sku, &bytes)
    row.cell(.transferred, transfer.quantity, &bytes)
    row.cell(.status, "transferred", &bytes)
    row.cell(.date, transfer.date, &bytes)
    row.cell(.fromSmartAccount, transfer.fromSmartAccount, &bytes)
    row.cell(.fromVirtualAccount, transfer.fromVirtualAccount, &bytes)
    row.cell(.transferID, transfer.transferID, &bytes)
    row.cell(.source, transfer.source, &bytes)
    row.cell(.file, transfer.file, &bytes)
    row.end(&bytes)
  }

  private static func write(_ balance: Balance, _ bytes: inout [UInt8]) {
    var row = ReconciliationCSVRow("balance", &bytes)
    row.cell(.smartAccount, balance.smartAccount, &bytes)
    row.cell(.virtualAccount, balance.virtualAccount, &bytes)
    row.cell(.sku, balance.sku, &bytes)
    row.cell(.held, balance.held, &bytes)
    row.cell(.ledger, balance.available + balance.held, &bytes)
    row.cell(.available, balance.available, &bytes)
    row.end(&bytes)
  }

  /// Where an account's licenses came from: a sender's deposits, or a holding account's transfers.
  private static func write(_ sourced: SourcedBalance, _ bytes: inout [UInt8]) {
    var row = ReconciliationCSVRow("source", &bytes)
    row.cell(.smartAccount, sourced.smartAccount, &bytes)
    row.cell(.virtualAccount, sourced.virtualAccount, &bytes)
    row.cell(.sku, sourced.sku, &bytes)
    row.cell(.held, sourced.held, &bytes)
    row.cell(.status, sourced.via, &bytes)
    row.cell(.ledger, sourced.available + sourced.held, &bytes)
    row.cell(.available, sourced.available, &bytes)
    row.cell(.fromSmartAccount, sourced.fromSmartAccount, &bytes)
    row.cell(.source, sourced.source, &bytes)
    row.end(&bytes)
  }

  private static func write(_ difference: BalanceDifference, _ bytes: inout [UInt8]) {
    var row = ReconciliationCSVRow("difference", &bytes)
    row.cell(.smartAccount, difference.smartAccount, &bytes)
    row.cell(.virtualAccount, difference.virtualAccount, &bytes)
    row.cell(.sku, difference.sku, &bytes)
    row.cell(.status, difference.kind, &bytes)
    row.cell(.ledger, difference.ledger, &bytes)
    row.cell(.ssm, difference.ssm, &bytes)
    row.cell(.difference, difference.difference, &bytes)
    row.cell(.ssmOrderLines, difference.ssmOrderLines.joined(separator: "; "), &bytes)
    row.end(&bytes)
  }

  private static func write(aged: HeldLicenses, _ bytes: inout [UInt8]) {
    var row = ReconciliationCSVRow("aging", &bytes)
    row.cell(.webOrderID, aged.webOrderID, &bytes)
    row.cell(.lineNumber, aged.lineNumber, &bytes)
    row.cell(.smartAccount, aged.smartAccount, &bytes)
    row.cell(.virtualAccount, aged.virtualAccount, &bytes)
    row.cell(.sku, aged.sku, &bytes)
    row.cell(.held, aged.held, &bytes)
    row.cell(.status, "over-age", &bytes)
    row.cell(.ageDays, aged.ageDays, &bytes)
    row.cell(.date, aged.depositedOn, &bytes)
    row.end(&bytes)
  }

  /// The second deposit of a line: licences the ledger holds beyond what was ordered.
  private static func write(_ double: IdentityCollision, _ bytes: inout [UInt8]) {
    let twin = double.twin
    var row = ReconciliationCSVRow("double-deposit", &bytes)
    row.cell(.webOrderID, twin.webOrderID, &bytes)
    row.cell(.lineNumber, twin.lineNumber, &bytes)
    row.cell(.smartAccount, twin.smartAccount, &bytes)
    row.cell(.virtualAccount, twin.virtualAccount, &bytes)
    row.cell(.sku, twin.sku, &bytes)
    row.cell(.deposited, twin.quantity, &bytes)
    row.cell(.status, "deposited-twice", &bytes)
    row.cell(.difference, -twin.quantity, &bytes)
    row.cell(.file, twin.file, &bytes)
    row.end(&bytes)
  }
}
