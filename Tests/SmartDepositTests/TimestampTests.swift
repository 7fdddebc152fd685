import Foundation
import Testing

@testable import SmartDeposit

@Suite("Timestamps")
struct TimestampTests {
  @Test(arguments: [
    (0.0, "1970-01-01T00:00:00Z", "19700101T000000Z"),
    (1_796_263_200, "2026-12-03T02:00:00Z", "20261203T020000Z"),
    (1_796_263_199.9, "2026-12-03T01:59:59Z", "20261203T015959Z"),
    (253_402_300_799, "9999-12-31T23:59:59Z", "99991231T235959Z"),
  ])
  func formattedAsTheLedgerWritesThemAndReadBack(seconds: Double, text: String, compact: String) {
    let date = Date(timeIntervalSince1970: seconds)
    #expect(Timestamp.format(date) == text)
    #expect(Timestamp.compact(date) == compact)
    #expect(Timestamp.parse(text) == Date(timeIntervalSince1970: seconds.rounded(.down)))
  }
}
