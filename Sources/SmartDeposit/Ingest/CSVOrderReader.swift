import Foundation

/// Header names are matched ignoring case, spaces, `-` and `_`.
func normalizedHeader(_ name: String) -> String {
  // ASCII, as headers nearly always are: byte by byte. Every file's header
  // goes through here, and Character-wise lowercasing and Foundation's
  // trimming were 3% of a run over 2,000 small files.
  if name.utf8.allSatisfy({ $0 < 0x80 }) {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(name.utf8.count)
    for byte in name.utf8 where byte != 0x20 && byte != 0x2D && byte != 0x5F {
      bytes.append(byte >= 0x41 && byte <= 0x5A ? byte + 0x20 : byte)
    }
    // What is left of white space at either end: tabs, line ends (0x09–0x0D).
    let isSpace = { (byte: UInt8) in byte >= 0x09 && byte <= 0x0D }
    guard let first = bytes.firstIndex(where: { !isSpace($0) }) else { return "" }
    let last = bytes.lastIndex(where: { !isSpace($0) }) ?? first
    return String(decoding: bytes[first...last], as: UTF8.self)
  }
  var result = ""
  for character in name.lowercased() where character != " " && character != "-" && character != "_" {
    result.append(character)
  }
  return result.trimmingCharacters(in: .whitespacesAndNewlines)
}

/// The columns of a CCW order CSV.
enum OrderColumn: Int, CaseIterable {
  case webOrderID, salesOrder, purchaseOrder, orderDate, lineNumber, sku, quantity, licenseType
  case termMonths, startDate, smartAccount, virtualAccount, endCustomer, partner

  var canonicalName: String {
    switch self {
    case .webOrderID: "web_order_id"
    case .salesOrder: "sales_order"
    case .purchaseOrder: "purchase_order"
    case .orderDate: "order_date"
    case .lineNumber: "line_number"
    case .sku: "sku"
    case .quantity: "quantity"
    case .licenseType: "license_type"
    case .termMonths: "term_months"
    case .startDate: "start_date"
    case .smartAccount: "smart_account"
    case .virtualAccount: "virtual_account"
    case .endCustomer: "end_customer"
    case .partner: "partner"
    }
  }

  /// Normalized header spellings that CCW and spreadsheet exports write.
  var aliases: [String] {
    switch self {
    case .webOrderID: ["weborderid", "weborder", "weborderno", "weborderidnumber"]
    case .salesOrder: ["salesorder", "salesordernumber", "salesorderno", "so"]
    case .purchaseOrder: ["purchaseorder", "purchaseordernumber", "purchaseorderno", "po", "ponumber"]
    case .orderDate: ["orderdate"]
    case .lineNumber: ["linenumber", "lineno", "line"]
    case .sku: ["sku", "partnumber"]
    case .quantity: ["quantity", "qty"]
    case .licenseType: ["licensetype"]
    case .termMonths: ["termmonths", "term", "terminmonths"]
    case .startDate: ["startdate"]
    case .smartAccount: ["smartaccount", "smartaccountdomain", "smartaccountdomainidentifier"]
    case .virtualAccount: ["virtualaccount", "virtualaccountname"]
    case .endCustomer: ["endcustomer", "endcustomername"]
    case .partner: ["partner", "partnername"]
    }
  }

  static let required: [OrderColumn] = [.webOrderID, .lineNumber, .sku, .quantity, .licenseType, .smartAccount]
}

/// Maps a header row to column positions, refusing duplicates and missing required columns.
struct HeaderMap {
  /// Position of each known column in the record, -1 when absent.
  var positions: [Int]
  var width: Int

  init<Column: RawRepresentable & CaseIterable & Hashable>(
    header: CSVRecord, columns: Column.Type, aliases: (Column) -> [String], canonical: (Column) -> String,
    required: [Column], file: String
  ) throws(IngestError) where Column.RawValue == Int {
    if let problem = header.problem {
      throw IngestError(
        .notWellFormed, file: file, line: header.line, message: "the header row is malformed: \(problem)")
    }
    var positions = Array(repeating: -1, count: Column.allCases.count)
    var seen: [String: Int] = [:]
    var columnsByAlias: [String: [Column]] = [:]
    for column in Column.allCases {
      for alias in aliases(column) { columnsByAlias[alias, default: []].append(column) }
    }
    for (index, name) in header.fields.enumerated() {
      let key = normalizedHeader(name)
      if key.isEmpty { continue }
      if let earlier = seen[key] {
        throw IngestError(
          .duplicateColumns, file: file, line: header.line,
          message: "column '\(name)' appears twice in the header (columns \(earlier + 1) and \(index + 1))")
      }
      seen[key] = index
      for column in columnsByAlias[key] ?? [] {
        if positions[column.rawValue] >= 0 {
          throw IngestError(
            .duplicateColumns, file: file, line: header.line,
            message: "columns \(positions[column.rawValue] + 1) and \(index + 1) both mean \(canonical(column))")
        }
        positions[column.rawValue] = index
      }
    }
    let missing = required.filter { positions[$0.rawValue] < 0 }.map(canonical)
    if !missing.isEmpty {
      throw IngestError(
        .missingColumns, file: file, line: header.line,
        message: "the header lacks required column\(missing.count == 1 ? "" : "s") \(missing.joined(separator: ", "))")
    }
    self.positions = positions
    self.width = header.fields.count
  }

  func value(_ column: Int, in fields: [String]) -> String {
    let position = positions[column]
    guard position >= 0, position < fields.count else { return "" }
    return fields[position]
  }
}

/// Trims spaces, tabs and line ends, with a fast path for the common clean value.
@inline(__always)
func trimmed(_ text: String) -> String {
  guard let first = text.utf8.first, let last = text.utf8.last else { return text }
  if first > 0x20 && last > 0x20 { return text }
  return text.trimmingCharacters(in: .whitespacesAndNewlines)
}

/// Turns rows of header-mapped fields into order lines: one definition for
/// every tabular format (CSV in each dialect, XLSX).
struct OrderRowMapper {
  let header: HeaderMap

  init(header record: CSVRecord, file: String) throws(IngestError) {
    header = try HeaderMap(
      header: record, columns: OrderColumn.self, aliases: { $0.aliases }, canonical: { $0.canonicalName },
      required: OrderColumn.required, file: file)
  }

  var width: Int { header.width }

  func record(_ fields: [String], line: Int, problem: String?) -> ParsedRecord {
    let order = header.value(OrderColumn.webOrderID.rawValue, in: fields)
    let number = header.value(OrderColumn.lineNumber.rawValue, in: fields)
    if let problem {
      return .malformed(record: line, webOrderID: order, lineNumber: number, message: problem)
    }
    if fields.count != header.width {
      return .malformed(
        record: line, webOrderID: order, lineNumber: number,
        message: "the row has \(fields.count) field\(fields.count == 1 ? "" : "s"); the header has \(header.width)")
    }
    func value(_ column: OrderColumn) -> String { header.value(column.rawValue, in: fields) }
    return .line(
      OrderLine(
        webOrderID: order, salesOrder: value(.salesOrder), purchaseOrder: value(.purchaseOrder),
        orderDate: value(.orderDate), lineNumber: number, sku: value(.sku), quantity: value(.quantity),
        licenseType: value(.licenseType), termMonths: value(.termMonths), startDate: value(.startDate),
        smartAccount: value(.smartAccount), virtualAccount: value(.virtualAccount),
        endCustomer: value(.endCustomer), partner: value(.partner), record: line))
  }
}

/// Reads a CCW order CSV into order lines.
public final class CSVOrderReader: OrderLineSource {
  private let reader: CSVReader
  private let source: ByteSource
  private let rows: OrderRowMapper

  public init(source: ByteSource, limits: InputLimits) throws(IngestError) {
    self.source = source
    reader = CSVReader(source: source, maxFieldBytes: limits.maxFieldBytes)
    guard let first = try reader.next() else {
      throw IngestError(.emptyFile, file: source.displayName, line: 1, message: "the file is empty: no header row")
    }
    rows = try OrderRowMapper(header: first, file: source.displayName)
  }

  public var bytesRead: Int64 { source.rawBytesRead }

  public func next() throws(IngestError) -> ParsedRecord? {
    guard let record = try reader.next() else { return nil }
    return rows.record(record.fields, line: record.line, problem: record.problem)
  }
}
