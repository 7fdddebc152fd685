/// The formats an input file can be in.
public enum InputFormat: String, Sendable, Equatable, Codable {
  case xml
  case csv
  case xlsx
  case transfer

  /// The format a file name implies, or nil for a file that is not an order or transfer file.
  public static func of(fileName: String) -> InputFormat? {
    let name = fileName.lowercased()
    if name.hasSuffix(".transfer.csv") || name.hasSuffix(".transfer.csv.gz") { return .transfer }
    if name.hasSuffix(".xml") || name.hasSuffix(".xml.gz") { return .xml }
    if name.hasSuffix(".csv") || name.hasSuffix(".csv.gz") { return .csv }
    if name.hasSuffix(".xlsx") { return .xlsx }
    return nil
  }
}

/// What a reader yields: an order line, or a record that could not be read
/// as one (and becomes a `malformed-record` reject).
public enum ParsedRecord: Sendable, Equatable {
  case line(OrderLine)
  case malformed(record: Int, webOrderID: String, lineNumber: String, message: String)
}

/// A reader of order lines from one file, in file order.
public protocol OrderLineSource: AnyObject {
  /// The next record, or nil at the end. Throws when the whole file must be refused.
  func next() throws(IngestError) -> ParsedRecord?
  /// Moves the next records into `batch`, which the caller has emptied:
  /// at least one, unless the file has ended (then returns false).
  func nextBatch(into batch: inout [ParsedRecord], limit: Int) throws(IngestError) -> Bool
  /// Bytes consumed so far (inflated, for gzip), for progress.
  var bytesRead: Int64 { get }
}

extension OrderLineSource {
  public func nextBatch(into batch: inout [ParsedRecord], limit: Int) throws(IngestError) -> Bool {
    while batch.count < limit, let record = try next() { batch.append(record) }
    return !batch.isEmpty
  }
}

/// Opens the right reader for a file.
public enum OrderSources {
  public static func open(
    path: String, displayName: String, format: InputFormat, limits: InputLimits
  ) throws(IngestError) -> (OrderLineSource, ByteSource) {
    let bytes = try ByteSource(path: path, displayName: displayName, maxBytes: limits.maxFileBytes)
    switch format {
    case .xml:
      return (try XMLOrderReader(source: bytes, limits: limits), bytes)
    case .xlsx:
      return (try XLSXOrderReader(source: bytes, limits: limits), bytes)
    case .csv, .transfer:
      // Transfer files have their own reader (TransferReader); an order
      // reader over one reports the missing order columns.
      return (try CSVOrderReader(source: bytes, limits: limits), bytes)
    }
  }
}
