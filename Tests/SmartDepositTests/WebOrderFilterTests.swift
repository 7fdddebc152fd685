import Testing

@testable import SmartDeposit

@Suite("Web order filter")
struct WebOrderFilterTests {
  /// (file size, orders inserted, orders probed, most false positives allowed). At the cap, 2^23 bits
  /// for 50,000 orders, both probes in one 512-bit block: about 1 in 5,400 expected (93 of 500,000), where
  /// a filter that lost its second probe or half its bits would pass hundreds. A 5,000-byte file, 8,192
  /// bits for 50 orders: about 20 in 100,000.
  @Test(arguments: [(Int64(1) << 30, 50_000, 500_000, 250), (5_000, 50, 100_000, 200)])
  func findsEveryInsertedOrderAndRarelyAnother(fileSize: Int64, inserted: Int, probed: Int, allowed: Int) {
    var filter = WebOrderFilter(fileSize: fileSize)
    #expect(!filter.mayContain("10000000".utf8))
    let rejected = (0..<inserted).map { "\(10_000_000 + $0 * 7)" }
    for order in rejected { filter.insert(order.utf8) }
    #expect(rejected.allSatisfy { filter.mayContain($0.utf8) })
    // Orders never rejected: web order ids of the same shape, none of them inserted.
    var falsePositives = 0
    for index in 0..<probed where filter.mayContain("\(10_000_001 + index * 7)".utf8) {
      falsePositives += 1
    }
    #expect(falsePositives < allowed)
  }
}
