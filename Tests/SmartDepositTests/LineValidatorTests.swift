import SmartDeposit
import Testing

@Suite("Line validation and routing")
struct LineValidatorTests {
  let registry = Registry([
    SmartAccount(identifier: "acme.com", name: "Acme", type: .customer, virtualAccounts: ["Campus"]),
    SmartAccount(
      identifier: "holding.gn.example", name: "GN", type: .holding, partner: "globalnet", virtualAccounts: []),
    SmartAccount(identifier: "joe@gmail.com", name: "Joe", type: .limitedUse, virtualAccounts: []),
  ])

  func line(_ change: (inout OrderLine) -> Void = { _ in }) -> OrderLine {
    var line = OrderLine(
      webOrderID: "1", lineNumber: "1.0", sku: "SKU", quantity: "5", licenseType: "TERM", termMonths: "12",
      startDate: "2026-12-01", smartAccount: "ACME.com", virtualAccount: "campus", record: 9)
    change(&line)
    return line
  }

  func code(_ line: OrderLine, sender: Sender = .ccw) -> RejectCode? {
    let validator = LineValidator(registry: registry)
    switch validator.validate(line).flatMap({ Router().route($0, from: sender) }) {
    case .success: return nil
    case .failure(let problem): return problem.code
    }
  }

  @Test func validLineIsRoutedWithRegistrySpelling() throws {
    let result = LineValidator(registry: registry).validate(line()).flatMap { Router().route($0, from: .ccw) }
    let deposit = try result.get()
    #expect(deposit.smartAccount == "acme.com")
    #expect(deposit.virtualAccount == "Campus")
    #expect(deposit.status == .available)
    #expect(deposit.record == 9)
  }

  @Test func holdingAccountsGetHeldDeposits() throws {
    let deposit = try LineValidator(registry: registry).validate(
      line {
        $0.smartAccount = "holding.gn.example"; $0.virtualAccount = ""
      }
    )
    .flatMap { Router().route($0, from: .partner("globalnet")) }.get()
    #expect(deposit.status == .held)
    #expect(deposit.virtualAccount == "DEFAULT")
    #expect(deposit.source == "globalnet")
  }

  static let cases: [(String, RejectCode?)] = [
    ("missing-smart-account", .missingSmartAccount),
    ("unknown-smart-account", .unknownSmartAccount),
    ("unknown-virtual-account", .unknownVirtualAccount),
    ("virtual-account-not-allowed", .virtualAccountNotAllowed),
    ("invalid-quantity-zero", .invalidQuantity),
    ("invalid-quantity-fraction", .invalidQuantity),
    ("invalid-quantity-too-many", .invalidQuantity),
    ("missing-sku", .missingSKU),
    ("invalid-license-type", .invalidLicenseType),
    ("invalid-term-missing", .invalidTerm),
    ("invalid-term-no-start", .invalidTerm),
    ("invalid-term-perpetual-with-term", .invalidTerm),
    ("invalid-date", .invalidDate),
    ("invalid-date-leap", .invalidDate),
    ("leap-day-ok", nil),
    ("invalid-date-april-31", .invalidDate),
    ("invalid-date-century", .invalidDate),
    ("leap-day-of-2000-ok", nil),
    ("december-31-ok", nil),
    ("license-type-in-lower-case-ok", nil),
    ("license-type-capitalised-ok", nil),
    ("missing-order-id", .missingOrderID),
    ("missing-line-number", .missingOrderID),
    ("unauthorized-account", .unauthorizedAccount),
  ]

  @Test(arguments: cases)
  func rejectCodes(name: String, expected: RejectCode?) {
    var sender = Sender.ccw
    let candidate: OrderLine
    switch name {
    case "missing-smart-account": candidate = line { $0.smartAccount = "" }
    case "unknown-smart-account": candidate = line { $0.smartAccount = "nope.example" }
    case "unknown-virtual-account": candidate = line { $0.virtualAccount = "Other" }
    case "virtual-account-not-allowed":
      candidate = line {
        $0.smartAccount = "joe@gmail.com"; $0.virtualAccount = "Office"
      }
    case "invalid-quantity-zero": candidate = line { $0.quantity = "0" }
    case "invalid-quantity-fraction": candidate = line { $0.quantity = "1.5" }
    case "invalid-quantity-too-many": candidate = line { $0.quantity = "1000001" }
    case "missing-sku": candidate = line { $0.sku = "" }
    case "invalid-license-type": candidate = line { $0.licenseType = "LEASE" }
    case "invalid-term-missing": candidate = line { $0.termMonths = "" }
    case "invalid-term-no-start": candidate = line { $0.startDate = "" }
    case "invalid-term-perpetual-with-term": candidate = line { $0.licenseType = "PERPETUAL" }
    case "invalid-date": candidate = line { $0.startDate = "2026-11-31" }
    case "invalid-date-leap": candidate = line { $0.startDate = "2027-02-29" }
    case "leap-day-ok": candidate = line { $0.startDate = "2028-02-29" }
    case "invalid-date-april-31": candidate = line { $0.startDate = "2027-04-31" }
    case "invalid-date-century": candidate = line { $0.startDate = "2100-02-29" }
    case "leap-day-of-2000-ok": candidate = line { $0.startDate = "2000-02-29" }
    case "december-31-ok": candidate = line { $0.startDate = "2027-12-31" }
    case "license-type-in-lower-case-ok": candidate = line { $0.licenseType = "term" }
    case "license-type-capitalised-ok": candidate = line { $0.licenseType = "Term" }
    case "missing-order-id": candidate = line { $0.webOrderID = "" }
    case "missing-line-number": candidate = line { $0.lineNumber = "" }
    case "unauthorized-account":
      candidate = line {
        $0.smartAccount = "holding.gn.example"; $0.virtualAccount = ""
      }
      sender = .partner("netpro")
    default: candidate = line()
    }
    #expect(code(candidate, sender: sender) == expected)
  }

  @Test func accountRules() {
    let domains = PublicMailDomains(configured: ["example-mail.org"])
    #expect(
      SmartAccount(identifier: "gmail.com", name: "", type: .customer, virtualAccounts: []).violation(
        publicDomains: domains) != nil)
    #expect(
      SmartAccount(identifier: "example-mail.org", name: "", type: .holding, virtualAccounts: []).violation(
        publicDomains: domains) != nil)
    #expect(
      SmartAccount(identifier: "acme.com", name: "", type: .limitedUse, virtualAccounts: []).violation(
        publicDomains: domains) != nil)
    #expect(
      SmartAccount(identifier: "joe@acme.com", name: "", type: .limitedUse, virtualAccounts: []).violation(
        publicDomains: domains) != nil)
    #expect(
      SmartAccount(identifier: "joe@gmail.com", name: "", type: .limitedUse, virtualAccounts: ["Extra"]).violation(
        publicDomains: domains) != nil)
    #expect(
      SmartAccount(identifier: "joe@example-mail.org", name: "", type: .limitedUse, virtualAccounts: []).violation(
        publicDomains: domains) == nil)
    #expect(
      SmartAccount(identifier: "Emea.Acme.com", name: "", type: .customer, virtualAccounts: []).violation(
        publicDomains: domains) == nil)
    #expect(
      SmartAccount(identifier: "acme", name: "", type: .customer, virtualAccounts: []).violation(publicDomains: domains)
        != nil)
  }
}
