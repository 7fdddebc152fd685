import Foundation
import SmartDepositTestSupport
import Testing

@testable import SmartDeposit

/// A batch, past a file's first, with lines the ledger holds already: on
/// PostgreSQL its COPY is refused and the batch goes in again against the
/// key; the file ends as on SQLite, every count and report row once.
@Suite("Lines met before, in a later batch")
struct LaterBatchTests {
  static let lines = 3_000

  static func file(_ orders: [(order: Int, quantity: Int)]) -> String {
    csvHeader + "\n"
      + orders.map { GroupCommitTests.line($0.order, quantity: "\($0.quantity)") }.joined(separator: "\n") + "\n"
  }

  @Test(arguments: Backend.tested)
  func aFileWithLinesTheLedgerHoldsEndsAsIfAnsweredBatchByBatch(backend: Backend) throws {
    let drop = try TestDrop(backend: backend)
    let first = (0..<Self.lines).map { (order: 100_000 + $0, quantity: 2) }
    try drop.drop("first.csv", Self.file(first))
    let run = try drop.run()
    #expect(run.summary.lines.deposited == Self.lines)

    // New lines, and in the third batch and beyond one line deposited
    // before (the same content) and one that conflicts with a line
    // deposited before (another quantity).
    var second = (0..<Self.lines).map { (order: 200_000 + $0, quantity: 3) }
    second[2_500] = first[10]
    second[2_800] = (order: first[20].order, quantity: 9)
    try drop.drop("second.csv", Self.file(second))
    let again = try drop.run()
    #expect(again.summary.files.processed == 1)
    #expect(again.summary.lines.read == Self.lines)
    #expect(again.summary.lines.deposited == Self.lines - 2)
    #expect(again.summary.lines.duplicate == 1)
    #expect(again.summary.lines.rejected == 1)
    #expect(again.summary.rejectsByCode == ["conflicting-line": 1])
    #expect(try drop.ledger().depositCount() == 2 * Self.lines - 2)
    #expect(try drop.ledger().balances().map(\.available) == [Self.lines * 2 + (Self.lines - 2) * 3])

    // The reports list each line once: nothing of a first try is left.
    let deposits = try drop.report(again, "deposits.csv").dropFirst().filter { $0.count > 1 }
    #expect(deposits.count == Self.lines - 2)
    #expect(Set(deposits.map { $0[2] }).count == Self.lines - 2)
    let rejects = try drop.report(again, "rejects.csv").dropFirst().filter { $0.count > 1 }
    #expect(rejects.count == 1)
  }

  /// A file that repeats its own lines in the middle of a long run of new
  /// ones: the same content again is a duplicate, other content a conflict
  /// that rejects its order (the order's other line included); every other
  /// line of the run is deposited once, on either backend.
  @Test(arguments: Backend.tested)
  func aFileRepeatingItsOwnLinesAmongNewOnesDepositsEachOnce(backend: Backend) throws {
    let drop = try TestDrop(backend: backend)
    var lines = (0..<300).map { GroupCommitTests.line(300_000 + $0, quantity: "4") }
    lines[70] = lines[65]
    lines[71] = GroupCommitTests.line(300_066, quantity: "9")
    lines[200] = lines[199]
    try drop.drop("repeats.csv", csvHeader + "\n" + lines.joined(separator: "\n") + "\n")
    let run = try drop.run()
    #expect(run.summary.lines.read == 300)
    #expect(run.summary.lines.duplicate == 2)
    #expect(run.summary.rejectsByCode == ["conflicting-line": 1, "order-rejected": 1])
    // 300 lines, three of them repeats: 297 identities, one of them
    // withdrawn with its order.
    #expect(run.summary.lines.deposited == 296)
    #expect(try drop.ledger().depositCount() == 296)
    #expect(try drop.ledger().balances().map(\.available) == [296 * 4])
    let deposits = try drop.report(run, "deposits.csv").dropFirst().filter { $0.count > 1 }
    #expect(deposits.count == 296)
    #expect(Set(deposits.map { $0[2] }).count == 296)
  }

  /// An order whose first line is followed by a long run of rejected lines
  /// of other orders, then by its own second line, rejected: the first line
  /// is taken back after rejects below it were reported (its deposit row
  /// was still held back), and rejects.csv still lists the file's rejects
  /// by line, each once, as the ledger holds them.
  @Test(arguments: Backend.tested)
  func anOrderRejectedBatchesBelowItsFirstLineListsRejectsByLine(backend: Backend) throws {
    let drop = try TestDrop(backend: backend)
    var lines = (0..<3_000).map { GroupCommitTests.line(400_000 + $0, quantity: "2") }
    for index in 11..<2_990 { lines[index] = GroupCommitTests.line(400_000 + index, quantity: "0") }
    lines[10] = GroupCommitTests.line(499_999, quantity: "2")
    lines[2_990] = GroupCommitTests.line(499_999, quantity: "x").replacingOccurrences(of: ",1.0,", with: ",2.0,")
    try drop.drop("apart.csv", csvHeader + "\n" + lines.joined(separator: "\n") + "\n")
    let run = try drop.run()
    #expect(run.summary.lines.read == 3_000)
    #expect(run.summary.rejectsByCode == ["invalid-quantity": 2_980, "order-rejected": 1])
    #expect(run.summary.lines.deposited == 19)
    #expect(try drop.ledger().depositCount() == 19)
    let rejects = try drop.report(run, "rejects.csv").dropFirst().filter { $0.count > 1 }
    #expect(rejects.count == 2_981)
    #expect(rejects.first.map { [$0[1], $0[2], $0[4]] } == ["12", "499999", "order-rejected"])
    let outOfOrder = zip(rejects, rejects.dropFirst()).first { (Int($0.0[1]) ?? 0) >= (Int($0.1[1]) ?? 0) }
    #expect(outOfOrder == nil, "rejects.csv lists line \(outOfOrder?.1[1] ?? "") after line \(outOfOrder?.0[1] ?? "")")
    #expect(rejects.last.map { [$0[1], $0[3], $0[4]] } == ["2992", "2.0", "invalid-quantity"])
    let deposits = try drop.report(run, "deposits.csv").dropFirst().filter { $0.count > 1 }
    #expect(deposits.count == 19)
  }

  /// An order with a line met before (the same content) above the line
  /// that rejects it, and a new line below, in one batch: the order
  /// deposits nothing and lists every line with its own reason; the line
  /// met before is `order-rejected`, naming the line that rejected its
  /// order, not a duplicate. The deposit made before stays, once.
  @Test(arguments: Backend.tested)
  func aLineMetBeforeAboveTheLineThatRejectsItsOrderIsListedWithIt(backend: Backend) throws {
    let drop = try TestDrop(backend: backend)
    try drop.drop("first.csv", Self.file([(order: 700_000, quantity: 2)]))
    #expect(try drop.run().summary.lines.deposited == 1)

    func line(_ number: String, quantity: String) -> String {
      GroupCommitTests.line(700_000, quantity: quantity).replacingOccurrences(of: ",1.0,", with: ",\(number),")
    }
    let lines = [
      GroupCommitTests.line(700_001, quantity: "1"), line("1.0", quantity: "2"), line("2.0", quantity: "0"),
      line("3.0", quantity: "3"), GroupCommitTests.line(700_002, quantity: "1"),
    ]
    try drop.drop("second.csv", csvHeader + "\n" + lines.joined(separator: "\n") + "\n")
    let run = try drop.run()
    #expect(run.summary.lines.read == 5)
    #expect(run.summary.lines.duplicate == 0)
    #expect(run.summary.lines.deposited == 2)
    #expect(run.summary.rejectsByCode == ["invalid-quantity": 1, "order-rejected": 2])
    let rejects = try drop.report(run, "rejects.csv").dropFirst().filter { $0.count > 1 }
    #expect(
      rejects.map { [$0[1], $0[3], $0[4]] } == [
        ["3", "1.0", "order-rejected"], ["4", "2.0", "invalid-quantity"], ["5", "3.0", "order-rejected"],
      ])
    #expect(rejects.first?[5] == "web order 700000 was rejected because line 2.0 was (invalid-quantity)")
    #expect(try drop.ledger().depositCount() == 3)
    #expect(try drop.ledger().balances().map(\.available) == [2 + 1 + 1])
  }

  /// A file with more rejects than a server ledger sends in one COPY, and
  /// its last ones in its last batch: the ledger holds every reject the
  /// report lists, once, on either backend.
  @Test(arguments: Backend.tested)
  func everyRejectOfAFileWithManyIsInTheLedgerOnce(backend: Backend) throws {
    let drop = try TestDrop(backend: backend)
    // Every fourth line bad, the last among them: 750 rejects, more than
    // a server ledger sends in one COPY, and some still unsent at the end.
    let bad = Set(stride(from: 3, to: 3_000, by: 4))
    let lines = (0..<3_000).map { GroupCommitTests.line(600_000 + $0, quantity: bad.contains($0) ? "0" : "2") }
    try drop.drop("many-rejects.csv", csvHeader + "\n" + lines.joined(separator: "\n") + "\n")
    let run = try drop.run()
    #expect(bad.count == 750)
    #expect(run.summary.rejectsByCode == ["invalid-quantity": 750])
    #expect(run.summary.lines.deposited == 3_000 - 750)
    let reported = try drop.report(run, "rejects.csv").dropFirst().filter { $0.count > 1 }.map { $0[1] }
    var recorded: [String] = []
    try drop.ledger().rejectsOfRun(id: run.summary.runID) { recorded.append(String($0.record)) }
    #expect(reported.count == 750)
    #expect(recorded == reported)
  }

  /// A large file whose lines fall between the keys of a large ledger, in
  /// no order: each goes in where it belongs, every one exactly once.
  /// (Multi-row inserts spread across the table once made SQLite's
  /// statement journal spill, and SQLite 3.40 then failed them with
  /// "database or disk is full".)
  @Test(arguments: Backend.tested)
  func linesScatteredAcrossALargeLedgerEachGoInOnce(backend: Backend) throws {
    let drop = try TestDrop(backend: backend)
    let first = (0..<60_000).map { GroupCommitTests.line(1_000_000 + $0 * 2, quantity: "2") }
    try drop.drop("first.csv", csvHeader + "\n" + first.joined(separator: "\n") + "\n")
    #expect(try drop.run().summary.lines.deposited == 60_000)
    // Odd order numbers fall between the even ones already held; a few
    // lines repeat ones held (the same content: duplicates).
    let lines =
      (0..<20_000).map { GroupCommitTests.line(1_000_001 + $0 * 6, quantity: "3") }
      + (0..<50).map { GroupCommitTests.line(1_000_000 + $0 * 2_000, quantity: "2") }
    // The same scattered order every time: 7,919 is prime and does not
    // divide the count, so position i takes line i * 7,919 mod the count.
    let second = lines.indices.map { lines[$0 * 7_919 % lines.count] }
    try drop.drop("second.csv", csvHeader + "\n" + second.joined(separator: "\n") + "\n")
    let run = try drop.run()
    #expect(run.summary.files.processed == 1)
    #expect(run.summary.lines.deposited == 20_000)
    #expect(run.summary.lines.duplicate == 50)
    #expect(try drop.ledger().depositCount() == 80_000)
    #expect(try drop.ledger().balances().map(\.available) == [60_000 * 2 + 20_000 * 3])
  }
}
