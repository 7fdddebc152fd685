/// Receives the rows of the run's deposit and reject reports.
public protocol ReportSink: AnyObject {
  /// Marks where a file's rows start.
  func beginFile() throws
  /// Takes back every row since `beginFile` (the file was not committed).
  func discardFile() throws
  /// `deposits.csv` rows of deposited lines, already formatted.
  func depositRows(_ rows: UnsafeRawBufferPointer) throws
  /// What this file deposited per account (for the HTML page).
  func addTotals(_ totals: [AccountKey: AccountQuantities]) throws
  func reject(_ reject: Reject) throws
  /// Takes back the current file's rejects only (its deposit rows stand):
  /// they are about to be written again in the ledger's order.
  func discardRejectsOfFile() throws
}
