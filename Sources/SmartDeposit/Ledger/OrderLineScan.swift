import Foundation

/// What reconciliation says of an order line.
public enum OrderLineStatus: String, Sendable {
  case deposited
  case held
  case partiallyTransferred = "partially-transferred"
  case transferred
  case rejected
}

/// One order line as the scan reads it: its text cells in place, valid only
/// during the call that hands it over (`ReconciliationLine` is the same
/// line with strings of its own).
struct OrderLineCells {
  var webOrderID: UnsafeRawBufferPointer
  var lineNumber: UnsafeRawBufferPointer
  var sku: UnsafeRawBufferPointer
  var smartAccount: UnsafeRawBufferPointer
  var virtualAccount: UnsafeRawBufferPointer
  var ordered: Int
  var deposited: Int
  var transferred: Int
  var held: Int
  var status: OrderLineStatus
  /// The reject code, for a rejected line.
  var reason: UnsafeRawBufferPointer
  var date: UnsafeRawBufferPointer
  var source: UnsafeRawBufferPointer
  var transfers: [TransferTrace]
}

extension ReconciliationLine {
  init(_ cells: OrderLineCells) {
    func text(_ bytes: UnsafeRawBufferPointer) -> String { String(decoding: bytes, as: UTF8.self) }
    self.init(
      webOrderID: text(cells.webOrderID), lineNumber: text(cells.lineNumber), sku: text(cells.sku),
      smartAccount: text(cells.smartAccount), virtualAccount: text(cells.virtualAccount), ordered: cells.ordered,
      deposited: cells.deposited, transferred: cells.transferred, held: cells.held, status: cells.status.rawValue,
      reason: text(cells.reason), date: text(cells.date), source: text(cells.source), transfers: cells.transfers)
  }
}

/// The UTC day each file was recorded on, by file id: kept as ranges of
/// ids recorded on one day, a few entries for years of files.
final class FileDays {
  private var firstIDs: [Int] = []
  private var lastIDs: [Int] = []
  private var days: [Int] = []
  private let text: UnsafeMutableRawBufferPointer
  /// Each day as a day number (`CalendarDate.dayNumber`), nil if not a date.
  private var numbers: [Int?] = []

  init(_ cursors: LedgerCursors) throws {
    let rows = try cursors.open(LedgerQueries.fileDaysSQL, [])
    var known: [String] = []
    while let row = try rows.next() {
      let id = try row.int(0)
      let day = try row.string(1)
      if let last = lastIDs.last, known[days[days.count - 1]] == day, last < id {
        lastIDs[lastIDs.count - 1] = id
        continue
      }
      if known.last != day { known.append(day) }
      firstIDs.append(id)
      lastIDs.append(id)
      days.append(known.count - 1)
    }
    // Every day 10 bytes (YYYY-MM-DD), read in place by the scan.
    text = UnsafeMutableRawBufferPointer.allocate(byteCount: max(10 * known.count, 1), alignment: 1)
    text.initializeMemory(as: UInt8.self, repeating: 0x20)
    numbers = known.map(CalendarDate.dayNumber)
    for (index, day) in known.enumerated() {
      for (offset, byte) in day.utf8.prefix(10).enumerated() { text[10 * index + offset] = byte }
    }
  }

  deinit { text.deallocate() }

  /// The day of file `id` and its day number: empty and nil if the ledger has no such file.
  func day(_ id: Int) -> (text: UnsafeRawBufferPointer, number: Int?) {
    var low = 0
    var high = firstIDs.count
    while low < high {
      let middle = (low + high) / 2
      if firstIDs[middle] <= id { low = middle + 1 } else { high = middle }
    }
    guard low > 0, id <= lastIDs[low - 1] else { return (UnsafeRawBufferPointer(start: nil, count: 0), nil) }
    let day = days[low - 1]
    return (UnsafeRawBufferPointer(rebasing: text[10 * day..<10 * day + 10]), numbers[day])
  }
}

/// How many deposits still hold licenses, and how many of them for longer
/// than the limit, as `heldLicensesSQL` would list them: so that a report
/// runs that query only when it has rows to give.
final class HeldAges {
  private let asOf: Int
  private let maxAgeDays: Int
  private(set) var rows = 0
  private(set) var overAgeRows = 0

  init(asOf: String, maxAgeDays: Int) {
    self.asOf = CalendarDate.dayNumber(asOf) ?? 0
    self.maxAgeDays = maxAgeDays
  }

  /// One held deposit, of the day numbered so (nil: its age is 0, as `heldLicenses` counts it).
  func add(dayNumber: Int?) {
    rows += 1
    if asOf - (dayNumber ?? asOf) > maxAgeDays { overAgeRows += 1 }
  }
}

/// Bytewise order of two texts, as the ledger's SQL orders them.
@inline(__always) func compareBytes(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
  let common = min(a.count, b.count)
  if common > 0, let left = a.baseAddress, let right = b.baseAddress {
    let order = memcmp(left, right, common)
    if order != 0 { return Int(order) }
  }
  return a.count - b.count
}

/// A line's identity keys, compared as the ledger's SQL orders them: bytewise.
struct IdentityKey: Equatable {
  var order: [UInt8]
  var line: [UInt8]

  init(order: String, line: String) {
    self.order = Array(order.utf8)
    self.line = Array(line.utf8)
  }

  /// Compares with keys read in place.
  func compare(order other: UnsafeRawBufferPointer, line otherLine: UnsafeRawBufferPointer) -> Int {
    let first = self.order.withUnsafeBytes { compareBytes($0, other) }
    if first != 0 { return first }
    return line.withUnsafeBytes { compareBytes($0, otherLine) }
  }
}

/// Order lines read by the scan's thread, packed for the thread that
/// writes them: their text cells copied into one buffer, with the
/// transfers to sum into the balances. A value: the queue hands it over
/// whole, and hands it back emptied, its buffers kept.
struct LineBatch: Sendable {
  struct Line: Sendable {
    var cells: (Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32)
    var ordered: Int
    var transferred: Int
    var held: Int
    var status: OrderLineStatus
    /// Within `since`/`until`: written, not only summed.
    var isListed: Bool
    var isHeldDeposit: Bool
    /// The day number of the deposit's day, if it is a date.
    var dayNumber: Int?
    var transfers: Range<Int32>
  }

  var bytes: [UInt8] = []
  var lines: [Line] = []
  var transfers: [TransferTrace] = []
  /// Transfers to sum into the balances, with the sender of their line.
  var summed: [(transfer: TransferTrace, lineSource: String)] = []

  static let lineLimit = 2048

  var isFull: Bool { lines.count >= Self.lineLimit || bytes.count >= 1 << 18 }

  mutating func reset() {
    bytes.removeAll(keepingCapacity: true)
    lines.removeAll(keepingCapacity: true)
    transfers.removeAll(keepingCapacity: true)
    summed.removeAll(keepingCapacity: true)
  }

  /// Copies a cell; returns where it starts.
  mutating func add(_ cell: UnsafeRawBufferPointer) -> Int32 {
    bytes.append(contentsOf: cell)
    return Int32(bytes.count)
  }
}

/// What the reading thread sends the writing one.
private enum ScanMessage: @unchecked Sendable {
  // @unchecked: the error is only read by the thread that waits for this one.
  case lines(LineBatch)
  case failed(Error)
}

/// The reading side of `scanOrderLines`, on a thread of its own: it steps
/// the cursors, merges deposits with their transfers and rejects, and
/// packs the lines. `@unchecked Sendable`: only that thread uses the
/// cursors while it runs; the caller waits for it before the cursors'
/// transaction ends.
private final class OrderLineReader: @unchecked Sendable {
  let days: FileDays
  let deposits: LedgerCursor
  /// The rejected lines' cursor: nil when no line is listed (only summed).
  let rejects: LedgerCursor?
  var readsLines: Bool { rejects != nil }
  let transfers: LedgerCursor
  let since: [UInt8]?
  let until: [UInt8]?
  let full = BlockingQueue<ScanMessage>(capacity: 2)
  let free = BlockingQueue<LineBatch>(capacity: 4)

  init(
    days: FileDays, deposits: LedgerCursor, rejects: LedgerCursor?, transfers: LedgerCursor, since: String?,
    until: String?
  ) {
    self.days = days
    self.deposits = deposits
    self.rejects = rejects
    self.transfers = transfers
    self.since = since.map { Array($0.utf8) }
    self.until = until.map { Array($0.utf8) }
    for _ in 0..<3 { free.put(LineBatch()) }
  }

  private func isListed(_ day: UnsafeRawBufferPointer) -> Bool {
    if let since, since.withUnsafeBytes({ compareBytes(day, $0) }) < 0 { return false }
    if let until, until.withUnsafeBytes({ compareBytes(day, $0) }) > 0 { return false }
    return true
  }

  func run() {
    do {
      try read()
    } catch {
      full.put(.failed(error))
    }
    full.close()
  }

  private func read() throws {
    guard var batch = free.take() else { return }
    func handOver() -> Bool {
      guard full.put(.lines(batch)), var next = free.take() else { return false }
      next.reset()
      batch = next
      return true
    }
    var transfer = try transfers.next().map(LedgerQueries.keyedTransferTrace)
    var reject = try rejects?.next()
    let held = Array("held".utf8)
    func addReject(_ row: LedgerRow) throws {
      let start = Int32(batch.bytes.count)
      batch.lines.append(
        LineBatch.Line(
          cells: (
            start, batch.add(try row.bytes(0)), batch.add(try row.bytes(1)), batch.add(try row.bytes(2)),
            batch.add(try row.bytes(3)), batch.add(try row.bytes(8)), batch.add(try row.bytes(5)),
            batch.add(try row.bytes(6)), batch.add(try row.bytes(7))
          ), ordered: try row.int(4), transferred: 0, held: 0, status: .rejected, isListed: true,
          isHeldDeposit: false, dayNumber: nil, transfers: 0..<0))
    }
    while let row = try deposits.next() {
      let orderKey = try row.bytes(9)
      let lineKey = try row.bytes(10)
      // A deposit and a reject never share an identity (a reject is
      // listed only while its line was never deposited).
      while let current = reject, try Self.precedes(current, orderKey, lineKey) {
        try addReject(current)
        reject = try rejects?.next()
      }
      let source = try row.bytes(8)
      let quantity = try row.int(5)
      // Transfers of lines the ledger holds no deposit of count against their own sender.
      while let current = transfer, current.key.compare(order: orderKey, line: lineKey) < 0 {
        batch.summed.append((current.trace, current.trace.source))
        transfer = try transfers.next().map(LedgerQueries.keyedTransferTrace)
      }
      var moved = 0
      let firstTransfer = Int32(batch.transfers.count)
      if try row.int(11) == 0 {
        while let current = transfer, current.key.compare(order: orderKey, line: lineKey) == 0 {
          moved += current.trace.quantity
          batch.summed.append((current.trace, String(decoding: source, as: UTF8.self)))
          if readsLines { batch.transfers.append(current.trace) }
          transfer = try transfers.next().map(LedgerQueries.keyedTransferTrace)
        }
      }
      let status = try row.bytes(6)
      let isHeld = held.withUnsafeBytes { compareBytes(status, $0) } == 0
      let (day, dayNumber) = days.day(try row.int(7))
      let state: OrderLineStatus
      if !isHeld {
        state = .deposited
      } else if moved == 0 {
        state = .held
      } else if moved < quantity {
        state = .partiallyTransferred
      } else {
        state = .transferred
      }
      let start = Int32(batch.bytes.count)
      let listed = readsLines && isListed(day)
      batch.lines.append(
        LineBatch.Line(
          cells: (
            start, batch.add(listed ? try row.bytes(0) : .init(start: nil, count: 0)),
            batch.add(listed ? try row.bytes(1) : .init(start: nil, count: 0)), batch.add(try row.bytes(2)),
            batch.add(try row.bytes(3)), batch.add(try row.bytes(4)), Int32(batch.bytes.count), batch.add(day),
            batch.add(source)
          ), ordered: quantity, transferred: moved, held: isHeld ? quantity - moved : 0, status: state,
          isListed: listed, isHeldDeposit: isHeld, dayNumber: dayNumber,
          transfers: firstTransfer..<Int32(batch.transfers.count)))
      if batch.isFull && !handOver() { return }
    }
    while let current = reject {
      try addReject(current)
      reject = try rejects?.next()
      if batch.isFull && !handOver() { return }
    }
    while let current = transfer {
      batch.summed.append((current.trace, current.trace.source))
      transfer = try transfers.next().map(LedgerQueries.keyedTransferTrace)
    }
    full.put(.lines(batch))
  }

  /// Whether the reject's identity comes before the keys.
  private static func precedes(
    _ reject: LedgerRow, _ orderKey: UnsafeRawBufferPointer, _ lineKey: UnsafeRawBufferPointer
  ) throws -> Bool {
    let order = compareBytes(try reject.bytes(9), orderKey)
    if order != 0 { return order < 0 }
    return compareBytes(try reject.bytes(10), lineKey) < 0
  }
}

extension Ledger {
  /// One pass over the ledger's order lines in identity order: every
  /// deposit with the transfers made from it, merged with the lines
  /// rejected and never deposited. With `readsLines`, each line goes to
  /// `body` when it is within `since`/`until` (deposit day, or the
  /// rejecting run's); every deposit and transfer, whatever its date, is
  /// summed into `groups`.
  ///
  /// The deposits come in the order of their primary key, with no sort;
  /// what was transferred from each is merged in from the transfers in the
  /// same order, not looked up per deposit. The cursors are read on a
  /// thread of their own while this one sums and hands the lines to
  /// `body`: on two cores, reading the ledger and writing the report
  /// overlap.
  func scanOrderLines(
    since: String?, until: String?, groups: inout BalanceGroups?, ages: HeldAges? = nil, readsLines: Bool = true,
    _ body: (OrderLineCells) throws -> Void = { _ in }
  ) throws {
    try withCursors("reading order lines") { cursors in
      let reader = OrderLineReader(
        days: try FileDays(cursors), deposits: try cursors.open(LedgerQueries.scanDepositsSQL(cursors), []),
        rejects: readsLines ? try cursors.open(LedgerQueries.reconciliationRejectsSQL(cursors), [since, until]) : nil,
        transfers: try cursors.open(LedgerQueries.transferTracesSQL(cursors), []), since: since, until: until)
      let reading = DispatchGroup()
      reading.enter()
      StageThreads.shared.run { [reader] in
        reader.run()
        reading.leave()
      }
      defer {
        // The cursors' transaction ends only once the reading thread is done with them.
        reader.full.close()
        reader.free.close()
        reading.wait()
      }
      while let message = reader.full.take() {
        switch message {
        case .failed(let error):
          throw error
        case .lines(var batch):
          try batch.bytes.withUnsafeBytes { bytes in
            func cell(_ start: Int32, _ end: Int32) -> UnsafeRawBufferPointer {
              UnsafeRawBufferPointer(rebasing: bytes[Int(start)..<Int(end)])
            }
            for line in batch.lines {
              let c = line.cells
              if line.status != .rejected {
                groups?.addDeposit(
                  smartAccount: cell(c.3, c.4), virtualAccount: cell(c.4, c.5), sku: cell(c.2, c.3),
                  source: cell(c.7, c.8), quantity: line.ordered, held: line.isHeldDeposit)
              }
              if line.held > 0, let ages { ages.add(dayNumber: line.dayNumber) }
              guard line.isListed else { continue }
              try body(
                OrderLineCells(
                  webOrderID: cell(c.0, c.1), lineNumber: cell(c.1, c.2), sku: cell(c.2, c.3),
                  smartAccount: cell(c.3, c.4), virtualAccount: cell(c.4, c.5), ordered: line.ordered,
                  deposited: line.status == .rejected ? 0 : line.ordered, transferred: line.transferred,
                  held: line.held, status: line.status, reason: cell(c.5, c.6), date: cell(c.6, c.7),
                  source: cell(c.7, c.8),
                  transfers: line.transfers.isEmpty
                    ? [] : Array(batch.transfers[Int(line.transfers.lowerBound)..<Int(line.transfers.upperBound)])))
            }
          }
          for (transfer, lineSource) in batch.summed { groups?.addTransfer(transfer, lineSource: lineSource) }
          batch.reset()
          reader.free.put(batch)
        }
      }
    }
  }

  /// The registry's spelling of each virtual account, by SA and name key
  /// (joined by a zero byte).
  func virtualAccountNames() throws -> [String: String] {
    try withCursors("reading virtual accounts") { cursors in
      let rows = try cursors.open(LedgerQueries.virtualAccountNamesSQL, [])
      var names: [String: String] = [:]
      while let row = try rows.next() { names[try row.string(0) + "\u{0}" + (try row.string(1))] = try row.string(2) }
      return names
    }
  }

}
