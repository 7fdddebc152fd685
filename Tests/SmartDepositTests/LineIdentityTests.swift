import SmartDeposit
import Testing

@Suite("Line identity by meaning")
struct LineIdentityTests {
  static let sameLineNumbers: [(String, String)] = [
    ("1", "1.0"), ("1", "1.0.0"), ("1.0", "1.0.0"), ("01", "1"), ("1.01", "1.1"), (" 2.0 ", "2"),
    ("0", "0.0"), ("2.0.1", "2.0.1"), ("10", "10.0"), ("007.000", "7"),
  ]

  @Test(arguments: sameLineNumbers)
  func lineNumbersThatAreOneLine(first: String, second: String) {
    #expect(LineIdentity.lineKey(first) == LineIdentity.lineKey(second))
  }

  static let differentLineNumbers: [(String, String)] = [
    ("1.1", "1.10"), ("1", "10"), ("1.0.1", "1.1"), ("2.0.1", "2.1"), ("1", "1.A"), ("A", "a"), ("1..2", "1.2"),
  ]

  @Test(arguments: differentLineNumbers)
  func lineNumbersThatStayTwoLines(first: String, second: String) {
    #expect(LineIdentity.lineKey(first) != LineIdentity.lineKey(second))
  }

  @Test func lineKeysAreTheNumbersWithoutTrailingZeroComponents() {
    #expect(LineIdentity.lineKey("1.0") == "1")
    #expect(LineIdentity.lineKey("1.10") == "1.10")
    #expect(LineIdentity.lineKey("0.1") == "0.1")
    #expect(LineIdentity.lineKey("1.0.2.0") == "1.0.2")
    #expect(LineIdentity.lineKey("00.00") == "0")
    #expect(LineIdentity.lineKey("1.0.A") == "1.0.A")
    #expect(LineIdentity.lineKey("") == "")
  }

  static let sameOrders: [(String, String)] = [
    ("0098770010", "98770010"), ("98770010.0", "98770010"), ("98770010.000", "0098770010"), (" 98770010 ", "98770010"),
    ("000", "0"), ("123456789012345678901234567890", "0123456789012345678901234567890.0"),
  ]

  @Test(arguments: sameOrders)
  func webOrderIDsThatAreOneOrder(first: String, second: String) {
    #expect(LineIdentity.orderKey(first) == LineIdentity.orderKey(second))
  }

  static let differentOrders: [(String, String)] = [
    ("98770010.5", "98770010"), ("W-0098", "W-98"), ("98770010.", "98770010"), ("1e3", "1000"), ("ABC", "abc"),
  ]

  @Test(arguments: differentOrders)
  func webOrderIDsThatStayTwoOrders(first: String, second: String) {
    #expect(LineIdentity.orderKey(first) != LineIdentity.orderKey(second))
  }

  @Test func anIdentityJoinsBothKeys() {
    #expect(
      LineIdentity(webOrderID: "0098770010", lineNumber: "1.0")
        == LineIdentity(webOrderID: "98770010.0", lineNumber: "1"))
    #expect(
      LineIdentity(webOrderID: "98770010", lineNumber: "1.1")
        != LineIdentity(webOrderID: "98770010", lineNumber: "1.10"))
  }

  @Test func wholeNumbersMayBeWrittenWithZeroDecimals() {
    #expect(LineIdentity.wholeNumber("10") == 10)
    #expect(LineIdentity.wholeNumber("10.0") == 10)
    #expect(LineIdentity.wholeNumber(" 10 ") == 10)
    #expect(LineIdentity.wholeNumber("010.00") == 10)
    #expect(LineIdentity.wholeNumber("10.5") == nil)
    #expect(LineIdentity.wholeNumber("10.") == nil)
    #expect(LineIdentity.wholeNumber(".0") == nil)
    #expect(LineIdentity.wholeNumber("-1") == nil)
    #expect(LineIdentity.wholeNumber("1e3") == nil)
    #expect(LineIdentity.wholeNumber("") == nil)
    #expect(LineIdentity.wholeNumber("1234567890123") == nil)
  }

  @Test func skusAreKeptUpperCase() {
    #expect(LineIdentity.skuKey("c9300-nw-e-24") == "C9300-NW-E-24")
    #expect(LineIdentity.skuKey("C9300-NW-E-24") == "C9300-NW-E-24")
  }
}
