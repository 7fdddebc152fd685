/// The identity of an order line compared by meaning, not spelling: the one
/// definition every part of the program (pipeline, ledger, transfers,
/// migrations, reconciliation) uses to decide whether two lines are the same.
///
/// A spreadsheet that re-saves a CCW export rewrites `1.0` as `1` and
/// `0098770010` as `98770010`; an ERP that re-exports an order in another
/// format writes `10.0` for `10`. Those are the same line, and a second
/// deposit of it would give a customer licences nobody paid for.
public struct LineIdentity: Sendable, Hashable, Codable, CustomStringConvertible {
  /// The web order id's key: see `orderKey(_:)`.
  public var order: String
  /// The line number's key: see `lineKey(_:)`.
  public var line: String

  /// The identity of a line whose file spelled its web order id and line number so.
  public init(webOrderID: String, lineNumber: String) {
    order = Self.orderKey(webOrderID)
    line = Self.lineKey(lineNumber)
  }

  /// An identity from keys already in canonical form (as the ledger stores them).
  init(orderKey: String, lineKey: String) {
    order = orderKey
    line = lineKey
  }

  public var description: String { "\(order)/\(line)" }

  /// The key a web order id is compared by. An id made of ASCII digits,
  /// optionally followed by `.` and zeros (a spreadsheet's `98770010.0`), is
  /// that digit string without leading zeros (`0` for all zeros), whatever
  /// its length; any other id is itself, without surrounding white space.
  public static func orderKey(_ text: String) -> String {
    var text = text
    return text.withUTF8 { bytes -> String? in
      let (lower, upper) = trimmedBounds(bytes)
      var end = lower
      while end < upper, isDigit(bytes[end]) { end += 1 }
      guard end > lower else {
        return lower == 0 && upper == bytes.count ? nil : String(decoding: bytes[lower..<upper], as: UTF8.self)
      }
      if end < upper {
        // Only `.` followed by zeros (at least one) may follow the digits.
        guard bytes[end] == UInt8(ascii: "."), end + 1 < upper,
          bytes[(end + 1)..<upper].allSatisfy({ $0 == UInt8(ascii: "0") })
        else { return String(decoding: bytes[lower..<upper], as: UTF8.self) }
      }
      var first = lower
      while first < end - 1, bytes[first] == UInt8(ascii: "0") { first += 1 }
      // Most ids are their own key: no copy then.
      if first == 0 && end == bytes.count { return nil }
      return String(decoding: bytes[first..<end], as: UTF8.self)
    } ?? text
  }

  /// The key a line number is compared by. The number is split on `.`; each
  /// component made of ASCII digits is a whole number (`01` is `1`), and
  /// trailing zero components are dropped, so `1`, `1.0` and `1.0.0` are one
  /// line while `1.1` and `1.10` stay two. A component that is not a number
  /// (`A`, or an empty one) is kept as written, and so is everything after it.
  public static func lineKey(_ text: String) -> String {
    var text = text
    return text.withUTF8 { bytes -> String? in
      let (lower, upper) = trimmedBounds(bytes)
      guard lower < upper else { return "" }
      // The common case: components of digits without leading zeros, perhaps
      // with trailing zero components (`1.0`): the key is a prefix of the text.
      var position = lower
      var keyEnd = lower
      var plain = true
      while position <= upper {
        var end = position
        while end < upper, bytes[end] != UInt8(ascii: ".") { end += 1 }
        let count = end - position
        guard count > 0, bytes[position..<end].allSatisfy(isDigit),
          count == 1 || bytes[position] != UInt8(ascii: "0")
        else {
          plain = false
          break
        }
        if !(count == 1 && bytes[position] == UInt8(ascii: "0")) { keyEnd = end }
        position = end + 1
      }
      if plain {
        if keyEnd == lower { return "0" }
        if lower == 0 && keyEnd == bytes.count { return nil }
        return String(decoding: bytes[lower..<keyEnd], as: UTF8.self)
      }
      var key = ""
      // Components of the key, written as numbers; `pendingZeros` are zero
      // components that count only if a non-zero one follows them.
      var pendingZeros = 0
      var start = lower
      var wroteAny = false
      while start <= upper {
        var end = start
        while end < upper, bytes[end] != UInt8(ascii: ".") { end += 1 }
        let component = bytes[start..<end]
        if component.isEmpty || !component.allSatisfy(isDigit) {
          // Not a number: the rest of the text is kept as written.
          for _ in 0..<pendingZeros {
            if wroteAny { key += "." }
            key += "0"
            wroteAny = true
          }
          if wroteAny { key += "." }
          key += String(decoding: bytes[start..<upper], as: UTF8.self)
          return key
        }
        var first = component.startIndex
        while first < component.endIndex - 1, bytes[first] == UInt8(ascii: "0") { first += 1 }
        let number = bytes[first..<component.endIndex]
        if number.count == 1 && number.first == UInt8(ascii: "0") {
          pendingZeros += 1
        } else {
          for _ in 0..<pendingZeros {
            if wroteAny { key += "." }
            key += "0"
            wroteAny = true
          }
          pendingZeros = 0
          if wroteAny { key += "." }
          key += String(decoding: number, as: UTF8.self)
          wroteAny = true
        }
        start = end + 1
      }
      // Only zero components: the line is line 0.
      return wroteAny ? key : "0"
    } ?? text
  }

  /// The SKU as the ledger stores and groups it: upper-case, so that
  /// `c9300-nw-e-24` and `C9300-NW-E-24` are one SKU in `balances`.
  public static func skuKey(_ text: String) -> String {
    var text = text
    let isUpper = text.withUTF8 { bytes in
      !bytes.contains { ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || $0 >= 0x80 }
    }
    return isUpper ? text : text.uppercased()
  }

  /// A whole number written with ASCII digits, optionally followed by `.`
  /// and zeros (`10`, `10.0`, `010`); nil for anything else, and for values
  /// of more than twelve digits. Surrounding white space is ignored.
  public static func wholeNumber(_ text: String) -> Int? {
    var text = text
    return text.withUTF8 { bytes in
      let (lower, upper) = trimmedBounds(bytes)
      guard lower < upper else { return nil }
      var value = 0
      var index = lower
      var digits = 0
      while index < upper, isDigit(bytes[index]) {
        if digits > 0 || bytes[index] != UInt8(ascii: "0") { digits += 1 }
        guard digits <= 12 else { return nil }
        value = value * 10 + Int(bytes[index] - UInt8(ascii: "0"))
        index += 1
      }
      guard index > lower else { return nil }
      if index < upper {
        guard bytes[index] == UInt8(ascii: "."), index + 1 < upper,
          bytes[(index + 1)..<upper].allSatisfy({ $0 == UInt8(ascii: "0") })
        else { return nil }
      }
      return value
    }
  }

  private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

  /// The bounds of the bytes without surrounding ASCII white space.
  private static func trimmedBounds(_ bytes: UnsafeBufferPointer<UInt8>) -> (Int, Int) {
    var lower = 0
    var upper = bytes.count
    func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }
    while lower < upper, isSpace(bytes[lower]) { lower += 1 }
    while upper > lower, isSpace(bytes[upper - 1]) { upper -= 1 }
    return (lower, upper)
  }
}
