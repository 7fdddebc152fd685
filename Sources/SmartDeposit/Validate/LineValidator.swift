/// An order line that passed every per-line check, with its account resolved.
public struct ValidatedLine: Sendable, Equatable {
  public var line: OrderLine
  public var account: SmartAccount
  /// The VA in the registry's spelling.
  public var virtualAccount: String
  public var quantity: Int
  public var licenseType: LicenseType
  public var termMonths: Int?
  public var startDate: String?
}

/// A per-line problem found by validation or routing.
public struct LineProblem: Sendable, Equatable, Error {
  public var code: RejectCode
  public var message: String

  public init(_ code: RejectCode, _ message: String) {
    self.code = code
    self.message = message
  }
}

/// Checks one order line against the rules of the product and the registry.
public struct LineValidator: Sendable {
  public var registry: Registry
  public var maxQuantity: Int

  public init(registry: Registry, maxQuantity: Int = 1_000_000) {
    self.registry = registry
    self.maxQuantity = maxQuantity
  }

  /// The validated line, or the first problem found, in a fixed order:
  /// identity, account, SKU, quantity, license type, term, dates.
  public func validate(_ line: OrderLine) -> Result<ValidatedLine, LineProblem> {
    check(line).map { found in
      ValidatedLine(
        line: line, account: found.entry.account, virtualAccount: found.virtualAccount, quantity: found.quantity,
        licenseType: found.licenseType, termMonths: found.termMonths,
        startDate: found.hasStartDate ? line.startDate : nil)
    }
  }

  /// What `validate` finds, without a copy of the line: the pipeline packs
  /// the line's own values straight into its batch.
  struct Checked {
    let entry: Registry.Entry
    /// The VA in the registry's spelling.
    let virtualAccount: String
    /// The account and VA's place among the registry's VAs (`Registry.Entry.firstSlot`).
    let slot: Int
    let quantity: Int
    let licenseType: LicenseType
    let termMonths: Int?
    /// Whether the deposit has the line's start date (otherwise none).
    let hasStartDate: Bool
  }

  func check(_ line: OrderLine) -> Result<Checked, LineProblem> {
    var lookup = AccountLookup()
    return check(line, lookup: &lookup)
  }

  /// The last Smart Account and Virtual Account a line named, and what they
  /// resolved to: the lines of an order name the same ones, so most lines
  /// are resolved by comparing two names instead of two dictionary lookups.
  struct AccountLookup {
    fileprivate var smartAccount = ""
    fileprivate var entry: Registry.Entry?
    /// The VA name last resolved in `entry`, and its number there.
    fileprivate var virtualAccount: String?
    fileprivate var number: Int?

    fileprivate mutating func entry(_ name: String, in registry: Registry) -> Registry.Entry? {
      if name == smartAccount, entry != nil { return entry }
      smartAccount = name
      entry = registry.entry(name)
      virtualAccount = nil
      return entry
    }

    fileprivate mutating func number(of name: String, in entry: Registry.Entry) -> Int? {
      if name == virtualAccount { return number }
      virtualAccount = name
      number = entry.virtualAccountNumber(name)
      return number
    }
  }

  /// `check(_:)`, resolving accounts through `lookup`, which the caller keeps
  /// from one line to the next.
  func check(_ line: OrderLine, lookup: inout AccountLookup) -> Result<Checked, LineProblem> {
    if line.webOrderID.isEmpty {
      return .failure(LineProblem(.missingOrderID, "the line has no web order id"))
    }
    if line.lineNumber.isEmpty {
      return .failure(LineProblem(.missingOrderID, "web order \(line.webOrderID) has a line without a line number"))
    }
    if line.smartAccount.isEmpty {
      return .failure(
        LineProblem(.missingSmartAccount, "neither the line nor its order header names a Smart Account"))
    }
    guard let entry = lookup.entry(line.smartAccount, in: registry) else {
      return .failure(
        LineProblem(.unknownSmartAccount, "Smart Account '\(line.smartAccount)' is not in the registry"))
    }
    // The account's fields are read in place: no copy of the account per line.
    let requestedVA = line.virtualAccount.isEmpty ? "DEFAULT" : line.virtualAccount
    if entry.account.type == .limitedUse && requestedVA != "DEFAULT" && requestedVA.lowercased() != "default" {
      return .failure(
        LineProblem(
          .virtualAccountNotAllowed,
          "limited-use Smart Account '\(entry.account.identifier)' has only the DEFAULT virtual account, not '\(requestedVA)'"
        ))
    }
    guard let number = lookup.number(of: requestedVA, in: entry) else {
      return .failure(
        LineProblem(
          .unknownVirtualAccount,
          "Smart Account '\(entry.account.identifier)' has no virtual account '\(requestedVA)'"))
    }
    if line.sku.isEmpty {
      return .failure(LineProblem(.missingSKU, "the line has no SKU"))
    }
    guard let quantity = LineIdentity.wholeNumber(line.quantity), quantity >= 1, quantity <= maxQuantity else {
      let shown = line.quantity.isEmpty ? "empty" : "'\(line.quantity)'"
      return .failure(
        LineProblem(.invalidQuantity, "quantity \(shown) is not a whole number from 1 to \(maxQuantity)"))
    }
    guard let licenseType = LicenseType(spelled: line.licenseType) else {
      let shown = line.licenseType.isEmpty ? "empty" : "'\(line.licenseType)'"
      return .failure(LineProblem(.invalidLicenseType, "license type \(shown) is not PERPETUAL or TERM"))
    }
    var termMonths: Int?
    switch licenseType {
    case .term:
      guard let months = LineIdentity.wholeNumber(line.termMonths), (1...120).contains(months) else {
        let given = line.termMonths.isEmpty ? "the line gives none" : "not '\(line.termMonths)'"
        return .failure(LineProblem(.invalidTerm, "a TERM license needs a term of 1 to 120 months; \(given)"))
      }
      guard !line.startDate.isEmpty else {
        return .failure(LineProblem(.invalidTerm, "a TERM license needs a start date"))
      }
      termMonths = months
    case .perpetual:
      if !line.termMonths.isEmpty {
        return .failure(
          LineProblem(.invalidTerm, "a PERPETUAL license has no term, but the line gives '\(line.termMonths)'"))
      }
    }
    if !line.startDate.isEmpty && !CalendarDate.isValid(line.startDate) {
      return .failure(Self.invalidDate("start date", line.startDate))
    }
    if !line.orderDate.isEmpty && !CalendarDate.isValid(line.orderDate) {
      return .failure(Self.invalidDate("order date", line.orderDate))
    }
    return .success(
      Checked(
        entry: entry, virtualAccount: entry.account.virtualAccounts[number], slot: entry.firstSlot + number,
        quantity: quantity, licenseType: licenseType,
        termMonths: termMonths, hasStartDate: !line.startDate.isEmpty))
  }

  private static func invalidDate(_ name: String, _ value: String) -> LineProblem {
    LineProblem(.invalidDate, "\(name) '\(value)' is not a real calendar date (YYYY-MM-DD)")
  }
}

/// Calendar dates written YYYY-MM-DD.
public enum CalendarDate {
  /// Whether `text` is a real date in the proleptic Gregorian calendar.
  public static func isValid(_ text: String) -> Bool {
    parse(text) != nil
  }

  /// Year, month and day of a YYYY-MM-DD date, or nil.
  public static func parse(_ text: String) -> (year: Int, month: Int, day: Int)? {
    guard text.utf8.count == 10 else { return nil }
    var text = text
    let fields: (Int, Int, Int)? = text.withUTF8 { bytes in
      guard bytes[4] == 0x2D, bytes[7] == 0x2D else { return nil }
      func number(_ range: Range<Int>) -> Int? {
        var value = 0
        for index in range {
          let byte = bytes[index]
          guard byte >= 0x30 && byte <= 0x39 else { return nil }
          value = value * 10 + Int(byte - 0x30)
        }
        return value
      }
      guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10) else { return nil }
      return (year, month, day)
    }
    guard let (year, month, day) = fields else { return nil }
    guard year >= 1900, (1...12).contains(month), day >= 1 else { return nil }
    let days: Int
    switch month {
    case 2: days = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
    case 4, 6, 9, 11: days = 30
    default: days = 31
    }
    guard day <= days else { return nil }
    return (year, month, day)
  }

  /// The `YYYY-MM-DD` date of a day count from 1970-01-01 (proleptic Gregorian).
  public static func day(fromNumber days: Int) -> String {
    // Howard Hinnant's civil_from_days.
    let shifted = days + 719_468
    let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
    let dayOfEra = shifted - era * 146_097
    let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
    let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
    let monthIndex = (5 * dayOfYear + 2) / 153
    let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
    let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
    let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
    func digits(_ value: Int, _ width: Int) -> String {
      let text = String(value)
      return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }
    return digits(year, 4) + "-" + digits(month, 2) + "-" + digits(day, 2)
  }

  /// Days since 1970-01-01 of a valid date.
  public static func dayNumber(_ text: String) -> Int? {
    guard let (year, month, day) = parse(text) else { return nil }
    // Howard Hinnant's days_from_civil.
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yearOfEra = y - era * 400
    let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
    let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
    return era * 146097 + dayOfEra - 719468
  }
}
