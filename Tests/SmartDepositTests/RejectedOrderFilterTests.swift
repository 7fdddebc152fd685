import Testing

@testable import SmartDeposit

@Suite("Rejected order filter")
struct RejectedOrderFilterTests {
  @Test func findsEveryInsertedOrderAndRarelyAnother() {
    var filter = RejectedOrderFilter(fileSize: 1 << 30)
    let rejected = (0..<50_000).map { "\(10_000_000 + $0 * 7)" }
    for order in rejected { filter.insert(order.utf8) }
    #expect(rejected.allSatisfy { filter.mayContain($0.utf8) })
    // Orders never rejected: web order ids of the same shape, none of them inserted.
    var falsePositives = 0
    for index in 0..<500_000 where filter.mayContain("\(10_000_001 + index * 7)".utf8) {
      falsePositives += 1
    }
    // About 1 in 7,000 expected (70 of 500,000); a filter that lost its second probe or half
    // its bits would pass hundreds.
    #expect(falsePositives < 250)
  }

  @Test func aSmallFilesFilterIsSmallAndStillRarelyWrong() {
    var filter = RejectedOrderFilter(fileSize: 5_000)
    #expect(!filter.mayContain("10000000".utf8))
    let rejected = (0..<50).map { "\(10_000_000 + $0 * 7)" }
    for order in rejected { filter.insert(order.utf8) }
    #expect(rejected.allSatisfy { filter.mayContain($0.utf8) })
    var falsePositives = 0
    for index in 0..<100_000 where filter.mayContain("\(10_000_001 + index * 7)".utf8) {
      falsePositives += 1
    }
    // 8,192 bits for 50 orders: about 15 in 100,000 expected.
    #expect(falsePositives < 200)
  }
}
