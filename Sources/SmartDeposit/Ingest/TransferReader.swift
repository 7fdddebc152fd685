/// What a transfer reader yields.
public enum ParsedTransfer: Sendable, Equatable {
  case transfer(TransferRequest)
  case malformed(record: Int, webOrderID: String, lineNumber: String, message: String)
}

/// Reads a `*.transfer.csv` file.
public final class TransferReader {
  enum Column: Int, CaseIterable {
    case transferID, fromSmartAccount, webOrderID, lineNumber, quantity, toSmartAccount, toVirtualAccount

    var canonicalName: String {
      switch self {
      case .transferID: "transfer_id"
      case .fromSmartAccount: "from_smart_account"
      case .webOrderID: "web_order_id"
      case .lineNumber: "line_number"
      case .quantity: "quantity"
      case .toSmartAccount: "to_smart_account"
      case .toVirtualAccount: "to_virtual_account"
      }
    }
    var aliases: [String] {
      switch self {
      case .transferID: ["transferid"]
      case .fromSmartAccount: ["fromsmartaccount"]
      case .webOrderID: ["weborderid", "weborder"]
      case .lineNumber: ["linenumber", "lineno", "line"]
      case .quantity: ["quantity", "qty"]
      case .toSmartAccount: ["tosmartaccount"]
      case .toVirtualAccount: ["tovirtualaccount"]
      }
    }
  }

  private let reader: CSVReader
  private let header: HeaderMap
  public let source: ByteSource

  public init(path: String, displayName: String, limits: InputLimits) throws(IngestError) {
    source = try ByteSource(path: path, displayName: displayName, maxBytes: limits.maxFileBytes)
    reader = CSVReader(source: source, maxFieldBytes: limits.maxFieldBytes)
    guard let first = try reader.next() else {
      throw IngestError(.emptyFile, file: displayName, line: 1, message: "the file is empty: no header row")
    }
    header = try HeaderMap(
      header: first, columns: Column.self, aliases: { $0.aliases }, canonical: { $0.canonicalName },
      required: [.transferID, .fromSmartAccount, .webOrderID, .lineNumber, .quantity, .toSmartAccount],
      file: displayName)
  }

  public func next() throws(IngestError) -> ParsedTransfer? {
    guard let record = try reader.next() else { return nil }
    let fields = record.fields
    func value(_ column: Column) -> String { header.value(column.rawValue, in: fields) }
    if let problem = record.problem {
      return .malformed(
        record: record.line, webOrderID: value(.webOrderID), lineNumber: value(.lineNumber), message: problem)
    }
    if fields.count != header.width {
      return .malformed(
        record: record.line, webOrderID: value(.webOrderID), lineNumber: value(.lineNumber),
        message: "the row has \(fields.count) fields; the header has \(header.width)")
    }
    return .transfer(
      TransferRequest(
        transferID: value(.transferID), fromSmartAccount: value(.fromSmartAccount).lowercased(),
        webOrderID: value(.webOrderID), lineNumber: value(.lineNumber), quantity: value(.quantity),
        toSmartAccount: value(.toSmartAccount).lowercased(), toVirtualAccount: value(.toVirtualAccount),
        record: record.line))
  }
}
