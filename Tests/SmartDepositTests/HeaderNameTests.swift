import Testing

@testable import SmartDeposit

@Suite("Header names")
struct HeaderNameTests {
  @Test(arguments: [
    ("Web Order ID", "weborderid"),
    (" web_order-id ", "weborderid"),
    ("\tQTY\r\n", "qty"),
    ("Smart Account\u{00A0}", "smartaccount"),
    ("QUANTITÉ", "quantité"),
    ("Line\tNo", "line\tno"),
    (" - _ ", ""),
    ("", ""),
  ])
  func headersCompareWithoutCaseSpacesDashesOrUnderscores(header: String, expected: String) {
    #expect(normalizedHeader(header) == expected)
  }
}
