/// What the preparing stage hands to the ledger stage, one per record read.
enum LineEvent: Sendable {
  /// A line that passed validation and routing: row `index` of the batch's deposit rows.
  case deposit(Int)
  /// A line rejected by parsing, validation or routing, with its own reason.
  case reject(Reject)
}

/// A batch of events in file order, the deposit rows they refer to, and
/// each deposit's `deposits.csv` row, formatted by the preparing stage so
/// that the writing side copies it as it is.
struct DepositBatch: Sendable {
  var events: [LineEvent] = []
  var rows: DepositRows
  /// The report rows of the deposits, one after another.
  var reportBytes: [UInt8] = []
  /// Where each deposit's report row ends in `reportBytes`.
  var reportEnds: [Int] = []
  /// The records the batch was made from, as read (moved in, not copied),
  /// and which of them each deposit came from: a line rejected later (with
  /// its order, or as a conflict) is reported as its file wrote it.
  var records: [ParsedRecord] = []
  private var recordOfDeposit: [Int32] = []

  init(capacity: Int) {
    events.reserveCapacity(capacity)
    rows = DepositRows(capacity: capacity)
    reportBytes.reserveCapacity(capacity * 160)
    reportEnds.reserveCapacity(capacity)
    recordOfDeposit.reserveCapacity(capacity)
  }

  /// What deposit `index` said, as its file wrote it.
  func written(ofDeposit index: Int) -> WrittenLine? {
    guard index < recordOfDeposit.count, Int(recordOfDeposit[index]) < records.count,
      case .line(let line) = records[Int(recordOfDeposit[index])]
    else { return nil }
    return WrittenLine(line)
  }

  /// What the line at `record` (its line in the file) said, if it is in
  /// this batch: found by halving, the records being in file order.
  func written(atRecord record: Int) -> WrittenLine? {
    func recordNumber(_ parsed: ParsedRecord) -> Int {
      switch parsed {
      case .line(let line): line.record
      case .malformed(let record, _, _, _): record
      }
    }
    var low = 0
    var high = records.count
    while low < high {
      let middle = (low + high) / 2
      if recordNumber(records[middle]) < record { low = middle + 1 } else { high = middle }
    }
    guard low < records.count, case .line(let line) = records[low], line.record == record else { return nil }
    return WrittenLine(line)
  }

  var count: Int { events.count }

  mutating func reject(_ reject: Reject) {
    events.append(.reject(reject))
  }

  /// The report row of deposit `index`.
  func withReportRow<T>(_ index: Int, _ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
    let start = index == 0 ? 0 : reportEnds[index - 1]
    return try reportBytes.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[start..<reportEnds[index]])) }
  }

  /// Packs a validated and routed line's deposit, with its report row when
  /// `formatter` is given: the same values `Router.route` gives its
  /// `Deposit` (a test holds the two together).
  mutating func deposit(
    _ line: OrderLine, _ checked: LineValidator.Checked, from sender: Sender, formatter: DepositRowFormatter?,
    recordIndex: Int = 0
  ) {
    recordOfDeposit.append(Int32(truncatingIfNeeded: recordIndex))
    let smartAccount = checked.entry.account.identifier
    let status = checked.entry.account.type.depositStatus
    let source = sender.name
    let startDate = checked.hasStartDate ? line.startDate : ""
    let sku = LineIdentity.skuKey(line.sku)
    rows.append(
      texts: { field in
        switch field {
        case .webOrderID: line.webOrderID
        case .lineNumber: line.lineNumber
        case .sku: sku
        case .licenseType: checked.licenseType.rawValue
        case .startDate: startDate
        case .smartAccount: smartAccount
        case .virtualAccount: checked.virtualAccount
        case .status: status.rawValue
        case .source: source
        case .salesOrder: line.salesOrder
        case .purchaseOrder: line.purchaseOrder
        case .orderDate: line.orderDate
        case .endCustomer: line.endCustomer
        case .orderKey: LineIdentity.orderKey(line.webOrderID)
        case .lineKey: LineIdentity.lineKey(line.lineNumber)
        }
      }, quantity: checked.quantity, termMonths: checked.termMonths, record: line.record,
      hasStartDate: checked.hasStartDate, held: status == .held)
    formatter?.append(
      webOrderID: line.webOrderID, lineNumber: line.lineNumber, sku: sku, quantity: checked.quantity,
      licenseType: checked.licenseType, termMonths: checked.termMonths, startDate: startDate,
      smartAccount: smartAccount, virtualAccount: checked.virtualAccount, status: status,
      purchaseOrder: line.purchaseOrder, salesOrder: line.salesOrder, endCustomer: line.endCustomer,
      orderDate: line.orderDate, to: &reportBytes)
    reportEnds.append(reportBytes.count)
    events.append(.deposit(rows.count - 1))
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

  public mutating func add(_ other: AccountQuantities) {
    available += other.available
    held += other.held
  }

  mutating func add(_ quantity: Int, held isHeld: Bool) {
    if isHeld { held += quantity } else { available += quantity }
  }
}

/// Adds up quantities per account. Consecutive lines mostly land in the same
/// account, so they are summed before the dictionary is touched.
struct AccountTotals: Sendable {
  private(set) var totals: [AccountKey: AccountQuantities] = [:]
  private var running: (key: AccountKey, quantities: AccountQuantities)?

  init() {}

  init(_ totals: [AccountKey: AccountQuantities]) { self.totals = totals }

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
    // One look-up: accounts change from one order to the next.
    totals[current.key, default: AccountQuantities()].add(current.quantities)
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

/// What a file's deposits add per account, as the preparing stage counts
/// them: by the account and VA's place among the registry's VAs, so that a
/// line adds to an array. Keyed by the two names, a line cost a hash of
/// both and a comparison of each (2.4% of a 1M-line run's samples, with accounts
/// changing from line to line).
struct AccountSlotTotals: Sendable {
  /// The first slots a file touches, with their totals, looked up in turn:
  /// a small file touches a few dozen of the registry's thousands of slots,
  /// and an array by slot cost it a clearing and a scan of them all (a
  /// fifth of the small-file thread's samples on 2,000 files of 50 lines).
  private var few: [(slot: Int, quantities: AccountQuantities)] = []
  private static let fewLimit = 64
  /// Past that, the totals by slot, and the slots touched.
  private var quantities: [AccountQuantities] = []
  private var touched: [Int] = []

  mutating func add(slot: Int, quantity: Int, held: Bool) {
    if quantities.isEmpty {
      if let index = few.firstIndex(where: { $0.slot == slot }) {
        few[index].quantities.add(quantity, held: held)
        return
      }
      if few.count < Self.fewLimit {
        var added = AccountQuantities()
        added.add(quantity, held: held)
        few.append((slot, added))
        return
      }
      for (slot, added) in few { denseAdd(slot: slot, added) }
      few = []
    }
    var added = AccountQuantities()
    added.add(quantity, held: held)
    denseAdd(slot: slot, added)
  }

  private mutating func denseAdd(slot: Int, _ added: AccountQuantities) {
    if slot >= quantities.count {
      let count = max(slot + 1, 2 * quantities.count, 64)
      quantities.append(contentsOf: repeatElement(AccountQuantities(), count: count - quantities.count))
    }
    // Quantities are positive: a slot at zero is touched for the first time.
    if quantities[slot] == AccountQuantities() { touched.append(slot) }
    quantities[slot].add(added)
  }

  /// The totals by account names, from the registry the slots are of.
  func byName(in registry: Registry) -> AccountTotals {
    var totals: [AccountKey: AccountQuantities] = [:]
    for (slot, added) in few {
      if let key = registry.accountKey(slot: slot) { totals[key] = added }
    }
    for slot in touched {
      if let key = registry.accountKey(slot: slot) { totals[key] = quantities[slot] }
    }
    return AccountTotals(totals)
  }
}
