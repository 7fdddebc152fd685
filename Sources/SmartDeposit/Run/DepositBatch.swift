/// The text fields of a packed deposit, in their order in a batch's bytes.
enum PackedField: Int {
  case webOrderID, lineNumber, sku, licenseType, startDate, smartAccount, virtualAccount, status, source
  case salesOrder, purchaseOrder, orderDate, endCustomer
  /// The line's identity by meaning (`LineIdentity`): what the ledger keys it by.
  case orderKey, lineKey
  /// The deposit's `deposits.csv` row, formatted by the parsing stage.
  case reportRow
}

/// A deposit as the parsing stage hands it to the ledger stage: its text
/// fields, its identity keys and its report row lie one after another in the
/// batch's bytes.
/// The ledger binds them in place and the report copies the row as it is, so
/// the writing side neither builds nor reference-counts a `String` per field
/// on the common path; `deposit(in:)` rebuilds the full value for the rare
/// ones (a duplicate, a conflict, a rejected order).
public struct PackedDeposit: Sendable {
  /// Where the first field starts in the batch's bytes.
  var start: Int
  /// Where each field ends, counted from `start`, indexed by `PackedField`.
  var ends: SIMD16<UInt32>
  var quantity: Int
  var termMonths: Int?
  var record: Int
  var hasStartDate: Bool
  var held: Bool

  func range(_ field: PackedField) -> Range<Int> {
    let index = field.rawValue
    // Loaded from memory: a variable index into a SIMD vector compiles to
    // a spill and a reload per access.
    return withUnsafeBytes(of: ends) { raw in
      let from = index == 0 ? 0 : Int(raw.load(fromByteOffset: (index - 1) * 4, as: UInt32.self))
      let to = Int(raw.load(fromByteOffset: index * 4, as: UInt32.self))
      return (start + from)..<(start + to)
    }
  }

  func bytes(_ field: PackedField, in buffer: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
    UnsafeRawBufferPointer(rebasing: buffer[range(field)])
  }

  func string(_ field: PackedField, in buffer: UnsafeRawBufferPointer) -> String {
    String(decoding: bytes(field, in: buffer), as: UTF8.self)
  }

  /// The deposit as a value of its own.
  func deposit(in buffer: UnsafeRawBufferPointer) -> Deposit {
    Deposit(
      webOrderID: string(.webOrderID, in: buffer), lineNumber: string(.lineNumber, in: buffer),
      salesOrder: string(.salesOrder, in: buffer), purchaseOrder: string(.purchaseOrder, in: buffer),
      orderDate: string(.orderDate, in: buffer), sku: string(.sku, in: buffer), quantity: quantity,
      licenseType: LicenseType(rawValue: string(.licenseType, in: buffer)) ?? .perpetual, termMonths: termMonths,
      startDate: hasStartDate ? string(.startDate, in: buffer) : nil,
      smartAccount: string(.smartAccount, in: buffer), virtualAccount: string(.virtualAccount, in: buffer),
      endCustomer: string(.endCustomer, in: buffer), status: held ? .held : .available,
      source: string(.source, in: buffer), record: record)
  }
}

/// What the parsing stage hands to the ledger stage, one per record read.
enum LineEvent: Sendable {
  /// A line that passed validation and routing, packed in the batch's bytes.
  case deposit(PackedDeposit)
  /// A line rejected by parsing, validation or routing, with its own reason.
  case reject(Reject)
}

/// A batch of events and the bytes their deposits are packed in.
struct DepositBatch: Sendable {
  var events: [LineEvent] = []
  var bytes: [UInt8] = []

  init(capacity: Int) {
    events.reserveCapacity(capacity)
    bytes.reserveCapacity(capacity * 320)
  }

  var count: Int { events.count }

  mutating func reject(_ reject: Reject) {
    events.append(.reject(reject))
  }

  /// Packs a validated and routed line's deposit, with its report row when
  /// `formatter` is given: the same values `Router.route` gives its
  /// `Deposit` (a test holds the two together).
  mutating func deposit(
    _ line: OrderLine, _ checked: LineValidator.Checked, from sender: Sender, formatter: DepositRowFormatter?
  ) {
    let smartAccount = checked.entry.account.identifier
    let held = checked.entry.account.type == .holding
    let source = sender.name
    let start = bytes.count
    var ends = SIMD16<UInt32>()
    func put(_ text: String, _ field: PackedField) {
      var text = text
      text.withUTF8 { bytes.append(contentsOf: $0) }
      ends[field.rawValue] = UInt32(bytes.count - start)
    }
    let status: DepositStatus = held ? .held : .available
    let startDate = checked.hasStartDate ? line.startDate : ""
    put(line.webOrderID, .webOrderID)
    put(line.lineNumber, .lineNumber)
    let sku = LineIdentity.skuKey(line.sku)
    put(sku, .sku)
    put(checked.licenseType.rawValue, .licenseType)
    put(startDate, .startDate)
    put(smartAccount, .smartAccount)
    put(checked.virtualAccount, .virtualAccount)
    put(status.rawValue, .status)
    put(source, .source)
    put(line.salesOrder, .salesOrder)
    put(line.purchaseOrder, .purchaseOrder)
    put(line.orderDate, .orderDate)
    put(line.endCustomer, .endCustomer)
    put(LineIdentity.orderKey(line.webOrderID), .orderKey)
    put(LineIdentity.lineKey(line.lineNumber), .lineKey)
    formatter?.append(
      webOrderID: line.webOrderID, lineNumber: line.lineNumber, sku: sku, quantity: checked.quantity,
      licenseType: checked.licenseType, termMonths: checked.termMonths, startDate: startDate,
      smartAccount: smartAccount, virtualAccount: checked.virtualAccount, status: status, to: &bytes)
    ends[PackedField.reportRow.rawValue] = UInt32(bytes.count - start)
    events.append(
      .deposit(
        PackedDeposit(
          start: start, ends: ends, quantity: checked.quantity, termMonths: checked.termMonths, record: line.record,
          hasStartDate: checked.hasStartDate, held: held)))
  }
}

/// Licenses per Smart Account / Virtual Account, for the run's HTML page.
public struct AccountKey: Hashable, Sendable {
  public var smartAccount: String
  public var virtualAccount: String

  public init(smartAccount: String, virtualAccount: String) {
    self.smartAccount = smartAccount
    self.virtualAccount = virtualAccount
  }
}

public struct AccountQuantities: Sendable, Equatable {
  public var available = 0
  public var held = 0

  public init(available: Int = 0, held: Int = 0) {
    self.available = available
    self.held = held
  }
}

/// Adds up quantities per account. Consecutive lines mostly land in the same
/// account, so they are summed before the dictionary is touched.
struct AccountTotals: Sendable {
  private(set) var totals: [AccountKey: AccountQuantities] = [:]
  private var running: (key: AccountKey, quantities: AccountQuantities)?

  mutating func add(smartAccount: String, virtualAccount: String, quantity: Int, held: Bool) {
    if running == nil || running?.key.smartAccount != smartAccount || running?.key.virtualAccount != virtualAccount {
      flush()
      running = (AccountKey(smartAccount: smartAccount, virtualAccount: virtualAccount), AccountQuantities())
    }
    if held {
      running?.quantities.held += quantity
    } else {
      running?.quantities.available += quantity
    }
  }

  mutating func flush() {
    guard let current = running else { return }
    totals[current.key, default: AccountQuantities()].available += current.quantities.available
    totals[current.key, default: AccountQuantities()].held += current.quantities.held
    running = nil
  }

  /// The totals, with `other`'s taken away.
  mutating func finish(minus other: consuming AccountTotals) -> [AccountKey: AccountQuantities] {
    flush()
    other.flush()
    for (key, value) in other.totals {
      totals[key, default: AccountQuantities()].available -= value.available
      totals[key, default: AccountQuantities()].held -= value.held
      if totals[key] == AccountQuantities() { totals[key] = nil }
    }
    return totals
  }
}
