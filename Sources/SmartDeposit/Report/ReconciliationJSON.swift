import Foundation

/// JSON written by hand for the lists of millions of elements: the same
/// text `JSONEncoder` gives with sorted keys and unescaped slashes (a test
/// compares the two byte for byte), without an encoder, a container and
/// a `String` per element. One `JSONEncoder` call per order line was
/// most of the time of `reconcile --format json` over 4.8M deposits.
enum JSONText {
  /// Appends a string, escaped as `JSONEncoder` escapes it.
  static func string(_ raw: UnsafeRawBufferPointer, _ output: inout [UInt8]) {
    let bytes = raw.assumingMemoryBound(to: UInt8.self)
    var plain = true
    for byte in bytes where byte < 0x20 || byte == 0x22 || byte == 0x5C || byte >= 0x80 {
      plain = false
      break
    }
    if plain {
      output.append(0x22)
      output.append(contentsOf: bytes)
      output.append(0x22)
    } else if bytes.contains(where: { $0 >= 0x80 }) {
      // Repaired as a String would be, should the ledger hold bytes that are not UTF-8.
      var text = String(decoding: bytes, as: UTF8.self)
      text.withUTF8 { escaped($0, &output) }
    } else {
      escaped(bytes, &output)
    }
  }

  static func string(_ value: String, _ output: inout [UInt8]) {
    var value = value
    value.withUTF8 { string(UnsafeRawBufferPointer($0), &output) }
  }

  private static let hex = Array("0123456789abcdef".utf8)

  private static func escaped(_ bytes: UnsafeBufferPointer<UInt8>, _ output: inout [UInt8]) {
    output.append(0x22)
    var start = 0
    for (index, byte) in bytes.enumerated() where byte < 0x20 || byte == 0x22 || byte == 0x5C {
      output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
      start = index + 1
      output.append(0x5C)
      switch byte {
      case 0x22, 0x5C: output.append(byte)
      case 0x08: output.append(0x62)
      case 0x09: output.append(0x74)
      case 0x0A: output.append(0x6E)
      case 0x0C: output.append(0x66)
      case 0x0D: output.append(0x72)
      default:
        output.append(contentsOf: [0x75, 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
      }
    }
    output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...]))
    output.append(0x22)
  }

  static func number(_ value: Int, _ output: inout [UInt8]) {
    if value < 0 {
      output.append(0x2D)
      if value == .min {
        output.append(contentsOf: String(value).utf8.dropFirst())
        return
      }
      CSVFormatter.appendNumber(-value, to: &output)
    } else {
      CSVFormatter.appendNumber(value, to: &output)
    }
  }

  /// Appends literal text: an object's opening and each member's name,
  /// with the punctuation around it, in one copy.
  @inline(__always) static func raw(_ text: StaticString, _ output: inout [UInt8]) {
    output.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
  }

  // The elements of the long lists, their members sorted by name.

  static func line(_ line: OrderLineCells, _ output: inout [UInt8]) {
    raw(#"{"date":"#, &output)
    string(line.date, &output)
    raw(#","deposited":"#, &output)
    number(line.deposited, &output)
    raw(#","held":"#, &output)
    number(line.held, &output)
    raw(#","line_number":"#, &output)
    string(line.lineNumber, &output)
    raw(#","ordered":"#, &output)
    number(line.ordered, &output)
    raw(#","reason":"#, &output)
    string(line.reason, &output)
    raw(#","sku":"#, &output)
    string(line.sku, &output)
    raw(#","smart_account":"#, &output)
    string(line.smartAccount, &output)
    raw(#","source":"#, &output)
    string(line.source, &output)
    raw(#","status":"#, &output)
    string(line.status.rawValue, &output)
    raw(#","transferred":"#, &output)
    number(line.transferred, &output)
    raw(#","transfers":["#, &output)
    for (index, trace) in line.transfers.enumerated() {
      if index > 0 { output.append(0x2C) }
      transfer(trace, &output)
    }
    raw(#"],"virtual_account":"#, &output)
    string(line.virtualAccount, &output)
    raw(#","web_order_id":"#, &output)
    string(line.webOrderID, &output)
    output.append(0x7D)
  }

  static func transfer(_ transfer: TransferTrace, _ output: inout [UInt8]) {
    raw(#"{"date":"#, &output)
    string(transfer.date, &output)
    raw(#","file":"#, &output)
    string(transfer.file, &output)
    raw(#","from_smart_account":"#, &output)
    string(transfer.fromSmartAccount, &output)
    raw(#","from_virtual_account":"#, &output)
    string(transfer.fromVirtualAccount, &output)
    raw(#","line_number":"#, &output)
    string(transfer.lineNumber, &output)
    raw(#","quantity":"#, &output)
    number(transfer.quantity, &output)
    raw(#","sku":"#, &output)
    string(transfer.sku, &output)
    raw(#","source":"#, &output)
    string(transfer.source, &output)
    raw(#","to_smart_account":"#, &output)
    string(transfer.toSmartAccount, &output)
    raw(#","to_virtual_account":"#, &output)
    string(transfer.toVirtualAccount, &output)
    raw(#","transfer_id":"#, &output)
    string(transfer.transferID, &output)
    raw(#","web_order_id":"#, &output)
    string(transfer.webOrderID, &output)
    output.append(0x7D)
  }

  static func balance(_ balance: Balance, _ output: inout [UInt8]) {
    raw(#"{"available":"#, &output)
    number(balance.available, &output)
    raw(#","held":"#, &output)
    number(balance.held, &output)
    raw(#","sku":"#, &output)
    string(balance.sku, &output)
    raw(#","smart_account":"#, &output)
    string(balance.smartAccount, &output)
    raw(#","virtual_account":"#, &output)
    string(balance.virtualAccount, &output)
    output.append(0x7D)
  }

  static func sourced(_ sourced: SourcedBalance, _ output: inout [UInt8]) {
    raw(#"{"available":"#, &output)
    number(sourced.available, &output)
    raw(#","from_smart_account":"#, &output)
    string(sourced.fromSmartAccount, &output)
    raw(#","held":"#, &output)
    number(sourced.held, &output)
    raw(#","sku":"#, &output)
    string(sourced.sku, &output)
    raw(#","smart_account":"#, &output)
    string(sourced.smartAccount, &output)
    raw(#","source":"#, &output)
    string(sourced.source, &output)
    raw(#","via":"#, &output)
    string(sourced.via, &output)
    raw(#","virtual_account":"#, &output)
    string(sourced.virtualAccount, &output)
    output.append(0x7D)
  }

  static func held(_ held: HeldLicenses, _ output: inout [UInt8]) {
    raw(#"{"age_days":"#, &output)
    number(held.ageDays, &output)
    raw(#","deposited_on":"#, &output)
    string(held.depositedOn, &output)
    raw(#","held":"#, &output)
    number(held.held, &output)
    raw(#","line_number":"#, &output)
    string(held.lineNumber, &output)
    raw(#","sku":"#, &output)
    string(held.sku, &output)
    raw(#","smart_account":"#, &output)
    string(held.smartAccount, &output)
    raw(#","virtual_account":"#, &output)
    string(held.virtualAccount, &output)
    raw(#","web_order_id":"#, &output)
    string(held.webOrderID, &output)
    output.append(0x7D)
  }
}

extension ReconciliationRenderer {
  /// The encoder of the report's other values, as `JSONText` writes the lists.
  static var jsonEncoder: JSONEncoder {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    encoder.keyEncodingStrategy = .convertToSnakeCase
    return encoder
  }

  /// Writes the JSON as the stream reads the ledger, one element of each
  /// list per line; returns whether everything reconciles. The members
  /// come in the order the report is read: the scope, then the order
  /// lines (the balances are summed in the same pass over the deposits,
  /// as for CSV), the transfers, the balances, the differences, the held
  /// licenses, and the totals last, once everything is counted.
  public static func writeJSON(_ stream: ReconciliationStream, to output: BufferedFileWriter) throws -> Bool {
    let encoder = jsonEncoder
    func value<T: Encodable>(_ value: T) throws -> String { String(decoding: try encoder.encode(value), as: UTF8.self) }
    var first = true
    func key(_ name: String) throws {
      try output.write((first ? "{\n" : ",\n") + "  \"\(name)\" : ")
      first = false
    }
    /// A list, each element written by `write` into the output's buffer.
    func list<Element>(
      _ name: String, _ write: @escaping (Element, inout [UInt8]) throws -> Void,
      _ elements: ((Element) throws -> Void) throws -> Void
    ) throws {
      try key(name)
      var count = 0
      try elements { element in
        try output.append { bytes in
          bytes.append(contentsOf: count == 0 ? Self.listStart : Self.listNext)
          try write(element, &bytes)
        }
        count += 1
      }
      try output.write(count == 0 ? "[]" : "\n  ]")
    }
    func encoded<Element: Encodable>(_ element: Element, _ bytes: inout [UInt8]) throws {
      // Only the short lists (differences, double deposits, problems) go through the encoder.
      bytes.append(contentsOf: try encoder.encode(element))
    }
    let options = stream.options
    try key("as_of")
    try output.write(try value(options.asOf))
    for (name, scope) in [("against", options.against), ("since", options.since), ("until", options.until)] {
      guard let scope else { continue }
      try key(name)
      try output.write(try value(scope))
    }
    try key("generated_at")
    try output.write(try value(stream.generatedAt))
    try key("holding_max_age_days")
    try output.write(String(options.holdingMaxAgeDays))
    var lineTotals = ReconciliationStream.LineTotals()
    try list("lines", JSONText.line) { emit in lineTotals = try stream.lineCells { try emit($0) } }
    try list("transfers", JSONText.transfer) { emit in try stream.ledger.forEachTransfer { try emit($0) } }
    var differences: [BalanceDifference] = []
    try list("balances", JSONText.balance) { emit in differences = try stream.balances { try emit($0) } }
    try list("balances_by_source", JSONText.sourced) { emit in try stream.sourcedBalances { try emit($0) } }
    try list("differences", encoded) { emit in for difference in differences { try emit(difference) } }
    var totals = ReconciliationReport.Totals()
    try list("held", JSONText.held) { emit in totals = try stream.held { licenses, _ in try emit(licenses) } }
    try list("over_age", JSONText.held) { emit in try stream.overAge { try emit($0) } }
    try list("double_deposits", encoded) { emit in for double in stream.doubleDeposits { try emit(double) } }
    try list("ssm_problems", encoded) { emit in for problem in stream.ssmProblems { try emit(problem) } }
    totals = stream.totals(held: totals, lines: lineTotals, differences: differences.count)
    try key("totals")
    try output.write(try value(totals))
    try output.write("\n}\n")
    return differences.isEmpty && totals.overAgeLicenses == 0 && stream.ssmProblems.isEmpty
      && stream.doubleDeposits.isEmpty
  }

  private static let listStart = Array("[\n    ".utf8)
  private static let listNext = Array(",\n    ".utf8)
}
