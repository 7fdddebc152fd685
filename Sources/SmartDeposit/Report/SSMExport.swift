import Foundation

/// What Smart Software Manager says an account holds, to reconcile with:
/// the CSV of its license view (columns found by name, with the names SSM
/// and spreadsheets give them), or the JSON licence listing of the Smart
/// Accounts & Licensing API (`licenses[]`, one Smart Account per answer).
/// The format is decided by the content, never by the file name.
public enum SSMExport {
  public struct Entry: Sendable, Equatable {
    public var smartAccount: String
    public var virtualAccount: String
    public var sku: String
    public var quantity: Int
    /// The order line SSM names for the licences (`order number/line`), where the export carries one.
    public var orderLine: String?

    public init(smartAccount: String, virtualAccount: String, sku: String, quantity: Int, orderLine: String? = nil) {
      self.smartAccount = smartAccount
      self.virtualAccount = virtualAccount
      self.sku = sku
      self.quantity = quantity
      self.orderLine = orderLine
    }
  }

  private enum Column: Int, CaseIterable {
    case smartAccount, virtualAccount, sku, quantity
    var canonicalName: String { ["smart_account", "virtual_account", "sku", "quantity"][rawValue] }
    var aliases: [String] {
      [
        ["smartaccount", "smartaccountdomain", "account", "domain"], ["virtualaccount", "virtualaccountname"],
        ["sku", "license", "licensesku", "product", "productid"],
        ["quantity", "qty", "count", "purchased", "licensecount"],
      ][rawValue]
    }
  }

  /// The export's entries and the rows that could not be read. A JSON
  /// listing names its Smart Account in `smartAccount`, or `smartAccount`
  /// (from `--smart-account`) does.
  public static func read(
    path: String, limits: InputLimits, smartAccount: String? = nil
  ) throws -> (
    [Entry], [String]
  ) {
    guard FileManager.default.fileExists(atPath: path) else { throw RunError.inputMissing(path) }
    if try startsLikeJSON(path) {
      return try readJSON(path: path, limits: limits, smartAccount: smartAccount)
    }
    return try readCSV(path: path, limits: limits)
  }

  /// Whether the first byte that is not white space (after a byte-order mark) opens a JSON value.
  private static func startsLikeJSON(_ path: String) throws -> Bool {
    guard let handle = FileHandle(forReadingAtPath: path) else { return false }
    defer { try? handle.close() }
    var bytes = [UInt8](try handle.read(upToCount: 4096) ?? Data())
    if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
    let first = bytes.first { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }
    return first == UInt8(ascii: "{") || first == UInt8(ascii: "[")
  }

  private static func readCSV(path: String, limits: InputLimits) throws -> ([Entry], [String]) {
    let source = try ByteSource(path: path, displayName: path, maxBytes: limits.maxFileBytes)
    let reader = CSVReader(source: source, maxFieldBytes: limits.maxFieldBytes)
    guard let first = try reader.next() else {
      throw IngestError(.emptyFile, file: path, line: 1, message: "the SSM export is empty: no header row")
    }
    let header = try HeaderMap(
      header: first, columns: Column.self, aliases: { $0.aliases }, canonical: { $0.canonicalName },
      required: Column.allCases, file: path)
    var entries: [Entry] = []
    var problems: [String] = []
    while let record = try reader.next() {
      if let problem = record.problem {
        problems.append("\(path):\(record.line): \(problem)")
        continue
      }
      let fields = record.fields
      let quantityText = header.value(Column.quantity.rawValue, in: fields)
      guard fields.count == header.width, let quantity = LineIdentity.wholeNumber(quantityText) else {
        problems.append(
          "\(path):\(record.line): the row is not smart_account,virtual_account,sku,quantity with a whole quantity")
        continue
      }
      let virtualAccount = header.value(Column.virtualAccount.rawValue, in: fields)
      entries.append(
        Entry(
          smartAccount: header.value(Column.smartAccount.rawValue, in: fields).lowercased(),
          virtualAccount: virtualAccount.isEmpty ? "DEFAULT" : virtualAccount,
          sku: header.value(Column.sku.rawValue, in: fields), quantity: quantity))
    }
    return (entries, problems)
  }

  /// The API's listing: `licenses[]`, each with `license`, `quantity`,
  /// `virtualAccount` and `licenseDetails[]` (`licenseSku`, `quantity`,
  /// `orderNumber`, `orderLineIdentifier`). A licence with details counts
  /// per detail (by its SKU, with its order line); without, by `license`.
  private static func readJSON(path: String, limits: InputLimits, smartAccount: String?) throws -> ([Entry], [String]) {
    let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    guard Int64(size) <= limits.maxFileBytes else {
      throw IngestError(
        .tooLarge, file: path, message: "the SSM listing is larger than [limits] max_file_bytes")
    }
    let object: Any
    do {
      object = try JSONSerialization.jsonObject(with: try Data(contentsOf: URL(fileURLWithPath: path)))
    } catch {
      throw IngestError(.notWellFormed, file: path, message: "the SSM listing is not valid JSON: \(error)")
    }
    guard let listing = object as? [String: Any], let licenses = listing["licenses"] as? [Any] else {
      throw IngestError(
        .unknownRoot, file: path, message: "the SSM listing has no \"licenses\" array (a licence listing of the API)")
    }
    let named = (listing["smartAccount"] as? String) ?? (listing["smartAccountDomain"] as? String)
    if let named, let smartAccount, named.lowercased() != smartAccount.lowercased() {
      throw IngestError(
        .unknownRoot, file: path,
        message: "the SSM listing is for Smart Account '\(named)', not '\(smartAccount)' (--smart-account)")
    }
    guard let account = (smartAccount ?? named)?.lowercased(), !account.isEmpty else {
      throw IngestError(
        .unknownRoot, file: path,
        message: "the SSM listing names no Smart Account (no \"smartAccount\" field): give --smart-account SA")
    }
    var entries: [Entry] = []
    var problems: [String] = []
    for (index, item) in licenses.enumerated() {
      let place = "\(path): licenses[\(index)]"
      guard let license = item as? [String: Any] else {
        problems.append("\(place): not an object")
        continue
      }
      let virtualAccount = text(license["virtualAccount"]).flatMap { $0.isEmpty ? nil : $0 } ?? "DEFAULT"
      let details = (license["licenseDetails"] as? [[String: Any]] ?? []).filter { text($0["licenseSku"]) != nil }
      if details.isEmpty {
        guard let sku = text(license["license"]), let quantity = whole(license["quantity"]) else {
          problems.append("\(place): no license name or no whole quantity")
          continue
        }
        entries.append(Entry(smartAccount: account, virtualAccount: virtualAccount, sku: sku, quantity: quantity))
        continue
      }
      // Details that give their own quantities count each; a single detail
      // without one takes the licence's quantity.
      for (detailIndex, detail) in details.enumerated() {
        let quantity = whole(detail["quantity"]) ?? (details.count == 1 ? whole(license["quantity"]) : nil)
        guard let sku = text(detail["licenseSku"]), let quantity else {
          problems.append("\(place).licenseDetails[\(detailIndex)]: no whole quantity")
          continue
        }
        let order = [text(detail["orderNumber"]), text(detail["orderLineIdentifier"])].compactMap { $0 }
        entries.append(
          Entry(
            smartAccount: account, virtualAccount: virtualAccount, sku: sku, quantity: quantity,
            orderLine: order.isEmpty ? nil : order.joined(separator: "/")))
      }
    }
    return (entries, problems)
  }

  private static func text(_ value: Any?) -> String? {
    switch value {
    case let string as String: string.trimmingCharacters(in: .whitespaces)
    case let number as NSNumber: number.stringValue
    default: nil
    }
  }

  private static func whole(_ value: Any?) -> Int? {
    text(value).flatMap(LineIdentity.wholeNumber)
  }
}
