import Foundation

/// The text fields of a deposit row, in their order in a batch's bytes.
public enum DepositField: Int, CaseIterable, Sendable {
  case webOrderID, lineNumber, sku, licenseType, startDate, smartAccount, virtualAccount, status, source
  case salesOrder, purchaseOrder, orderDate, endCustomer
  /// The line's identity by meaning (`LineIdentity`): what the ledger keys it by.
  case orderKey, lineKey
}

/// A batch of deposits on their way into the ledger: what every backend
/// takes in one call (`DepositSession.deposit(_:)`).
///
/// The text fields of all rows lie one after another in one byte buffer,
/// so a batch of hundreds of rows is two allocations, not one `String` per
/// field; each backend reads them as it needs them (SQLite binds them in
/// place, PostgreSQL sends them as arrays).
public struct DepositRows: Sendable {
  /// One row: where its fields are, and its numbers.
  struct Row: Sendable {
    /// Where the first field starts in `bytes`.
    var start: Int
    /// Where each field ends, counted from `start`, indexed by `DepositField`.
    var ends: SIMD16<UInt32>
    var quantity: Int
    var termMonths: Int?
    var record: Int
    var hasStartDate: Bool
    var held: Bool
  }

  private(set) var bytes: [UInt8] = []
  private(set) var rows: [Row] = []

  public init(capacity: Int = 0) {
    rows.reserveCapacity(capacity)
    bytes.reserveCapacity(capacity * 256)
  }

  public var count: Int { rows.count }
  public var isEmpty: Bool { rows.isEmpty }

  /// Appends a deposit from its values: the one place a deposit row is packed.
  mutating func append(
    texts: (DepositField) -> String, quantity: Int, termMonths: Int?, record: Int, hasStartDate: Bool, held: Bool
  ) {
    let start = bytes.count
    var ends = SIMD16<UInt32>()
    for field in DepositField.allCases {
      var text = texts(field)
      text.withUTF8 { bytes.append(contentsOf: $0) }
      ends[field.rawValue] = UInt32(bytes.count - start)
    }
    rows.append(
      Row(
        start: start, ends: ends, quantity: quantity, termMonths: termMonths, record: record,
        hasStartDate: hasStartDate, held: held))
  }

  /// The rows but those at `skipped` (in increasing order), over the same
  /// bytes: no field is copied (the bytes are shared until either side
  /// grows).
  func without(_ skipped: [Int]) -> DepositRows {
    var kept = DepositRows()
    kept.bytes = bytes
    kept.rows.reserveCapacity(rows.count - skipped.count)
    var from = 0
    for index in skipped {
      kept.rows.append(contentsOf: rows[from..<index])
      from = index + 1
    }
    kept.rows.append(contentsOf: rows[from...])
    return kept
  }

  /// Appends a deposit value.
  public mutating func append(_ deposit: Deposit) {
    let identity = deposit.identity
    append(
      texts: { field in
        switch field {
        case .webOrderID: deposit.webOrderID
        case .lineNumber: deposit.lineNumber
        case .sku: deposit.sku
        case .licenseType: deposit.licenseType.rawValue
        case .startDate: deposit.startDate ?? ""
        case .smartAccount: deposit.smartAccount
        case .virtualAccount: deposit.virtualAccount
        case .status: deposit.status.rawValue
        case .source: deposit.source
        case .salesOrder: deposit.salesOrder
        case .purchaseOrder: deposit.purchaseOrder
        case .orderDate: deposit.orderDate
        case .endCustomer: deposit.endCustomer
        case .orderKey: identity.order
        case .lineKey: identity.line
        }
      }, quantity: deposit.quantity, termMonths: deposit.termMonths, record: deposit.record,
      hasStartDate: deposit.startDate != nil, held: deposit.status == .held)
  }

  /// Where a field of row `index` lies in `bytes`.
  @inline(__always)
  func range(_ field: DepositField, at index: Int) -> Range<Int> {
    Self.range(field, in: rows[index])
  }

  /// Where a field of `row` lies in `bytes`. Inlined: each call site names
  /// its field, and a row's fields are read one after another (binding a
  /// row to SQLite reads fifteen); as a call, each took a copy of the ends.
  @inline(__always)
  static func range(_ field: DepositField, in row: Row) -> Range<Int> {
    let position = field.rawValue
    // Loaded from memory: a variable index into a SIMD vector compiles to
    // a spill and a reload per access.
    return withUnsafeBytes(of: row.ends) { raw in
      let from = position == 0 ? 0 : Int(raw.load(fromByteOffset: (position - 1) * 4, as: UInt32.self))
      let to = Int(raw.load(fromByteOffset: position * 4, as: UInt32.self))
      return (row.start + from)..<(row.start + to)
    }
  }

  /// The bytes of a field of row `index`.
  func withBytes<T>(_ field: DepositField, at index: Int, _ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
    let range = range(field, at: index)
    return try bytes.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[range])) }
  }

  /// Whether two ranges of `bytes` (fields, as `range` gives them) hold the
  /// same bytes: compared with memcmp, where a slice's elementsEqual goes
  /// byte by byte.
  func bytesEqual(_ first: Range<Int>, _ second: Range<Int>) -> Bool {
    guard first.count == second.count else { return false }
    return bytes.withUnsafeBytes { raw in
      guard let base = raw.baseAddress else { return true }
      return memcmp(base + first.lowerBound, base + second.lowerBound, first.count) == 0
    }
  }

  /// A field of row `index` as text.
  public func string(_ field: DepositField, at index: Int) -> String {
    String(decoding: bytes[range(field, at: index)], as: UTF8.self)
  }

  /// Numbers of row `index`.
  public func quantity(at index: Int) -> Int { rows[index].quantity }
  public func termMonths(at index: Int) -> Int? { rows[index].termMonths }
  public func record(at index: Int) -> Int { rows[index].record }
  public func isHeld(at index: Int) -> Bool { rows[index].held }
  public func hasStartDate(at index: Int) -> Bool { rows[index].hasStartDate }

  /// The identity of row `index`.
  public func identity(at index: Int) -> LineIdentity {
    LineIdentity(orderKey: string(.orderKey, at: index), lineKey: string(.lineKey, at: index))
  }

  /// Row `index` as a value of its own.
  public func deposit(at index: Int) -> Deposit {
    let row = rows[index]
    return Deposit(
      webOrderID: string(.webOrderID, at: index), lineNumber: string(.lineNumber, at: index),
      salesOrder: string(.salesOrder, at: index), purchaseOrder: string(.purchaseOrder, at: index),
      orderDate: string(.orderDate, at: index), sku: string(.sku, at: index), quantity: row.quantity,
      licenseType: LicenseType(rawValue: string(.licenseType, at: index)) ?? .perpetual,
      termMonths: row.termMonths, startDate: row.hasStartDate ? string(.startDate, at: index) : nil,
      smartAccount: string(.smartAccount, at: index), virtualAccount: string(.virtualAccount, at: index),
      endCustomer: string(.endCustomer, at: index), status: row.held ? .held : .available,
      source: string(.source, at: index), record: row.record)
  }
}
