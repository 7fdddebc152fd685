/// Why the registry refuses an account.
public enum AccountRuleViolation: Sendable, Equatable, CustomStringConvertible {
  case emptyIdentifier
  case invalidIdentifier(String)
  case publicDomainForCompanyAccount(String, AccountType)
  case limitedUseNeedsPublicMailAddress(String)
  case limitedUseVirtualAccounts(String)
  case unknownType(String)

  public var description: String {
    switch self {
    case .emptyIdentifier:
      return "the smart_account column is empty"
    case .invalidIdentifier(let identifier):
      return "'\(identifier)' is not a domain identifier (letters, digits, '-' and '.', like acme.com)"
    case .publicDomainForCompanyAccount(let identifier, let type):
      return
        "'\(identifier)' is a public mail domain; a \(type.rawValue) account needs a company domain (use type limited-use with an email address instead)"
    case .limitedUseNeedsPublicMailAddress(let identifier):
      return
        "'\(identifier)' is not an email address at a public mail domain, which a limited-use account needs"
    case .limitedUseVirtualAccounts(let identifier):
      return "limited-use account '\(identifier)' may only have the DEFAULT virtual account"
    case .unknownType(let type):
      return "type '\(type)' is not customer, holding or limited-use"
    }
  }
}

extension SmartAccount {
  /// Checks the type rules of the registry: company accounts use a company
  /// domain, limited-use accounts an address at a public mail domain.
  public func violation(publicDomains: PublicMailDomains) -> AccountRuleViolation? {
    if identifier.isEmpty { return .emptyIdentifier }
    switch type {
    case .customer, .holding:
      guard Self.isDomain(identifier) else { return .invalidIdentifier(identifier) }
      if publicDomains.contains(identifier) {
        return .publicDomainForCompanyAccount(identifier, type)
      }
    case .limitedUse:
      let parts = identifier.split(separator: "@", omittingEmptySubsequences: false)
      guard parts.count == 2, !parts[0].isEmpty, publicDomains.contains(String(parts[1])) else {
        return .limitedUseNeedsPublicMailAddress(identifier)
      }
      if virtualAccounts.count > 1 { return .limitedUseVirtualAccounts(identifier) }
    }
    return nil
  }

  static func isDomain(_ text: String) -> Bool {
    let labels = text.split(separator: ".", omittingEmptySubsequences: false)
    guard labels.count >= 2 else { return false }
    for label in labels {
      guard !label.isEmpty, label.count <= 63, label.first != "-", label.last != "-" else {
        return false
      }
      for scalar in label.unicodeScalars {
        let ok =
          ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) || scalar == "-"
        if !ok { return false }
      }
    }
    return true
  }
}
