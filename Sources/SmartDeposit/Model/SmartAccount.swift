/// The three kinds of Smart Account.
public enum AccountType: String, Sendable, Equatable, Codable, CaseIterable {
  /// A company's own account: deposits here are available.
  case customer
  /// A Partner Holding Smart Account: deposits here are held until transferred.
  case holding
  /// A small business's account, identified by an email address at a public mail domain.
  case limitedUse = "limited-use"

  /// How licenses deposited into an account of this type stand: the one
  /// place that decides whether a deposit is held.
  public var depositStatus: DepositStatus { self == .holding ? .held : .available }
}

/// A Smart Account as the registry knows it.
public struct SmartAccount: Sendable, Equatable, Codable {
  /// The domain identifier (or, for limited-use, the email address), lower-case.
  public var identifier: String
  public var name: String
  public var type: AccountType
  /// The partner that owns a holding account; empty for other accounts.
  public var partner: String
  /// Virtual Account names in the registry's spelling; always includes `DEFAULT`.
  public var virtualAccounts: [String]

  public init(
    identifier: String, name: String, type: AccountType, partner: String = "",
    virtualAccounts: [String]
  ) {
    self.identifier = identifier.lowercased()
    self.name = name
    self.type = type
    self.partner = partner
    var names = ["DEFAULT"]
    names.reserveCapacity(virtualAccounts.count + 1)
    var seen: Set<String> = ["default"]
    seen.reserveCapacity(virtualAccounts.count + 1)
    for virtualAccount in virtualAccounts where seen.insert(virtualAccount.lowercased()).inserted {
      names.append(virtualAccount)
    }
    self.virtualAccounts = names
  }

  /// The registry's spelling of a Virtual Account name, compared case-insensitively.
  public func virtualAccount(named name: String) -> String? {
    let key = name.lowercased()
    return virtualAccounts.first { $0.lowercased() == key }
  }
}

/// The Smart Accounts that exist, indexed for the per-line lookups of a run.
public struct Registry: Sendable {
  /// An account and the spellings of its VAs, found with one lookup.
  final class Entry: Sendable {
    let account: SmartAccount
    /// Keyed by the lower-case name and by the registry's own spelling, so
    /// that the common exact spelling needs no lower-casing per line.
    let spelling: [String: String]

    init(_ account: SmartAccount) {
      self.account = account
      var names: [String: String] = [:]
      names.reserveCapacity(2 * account.virtualAccounts.count)
      for name in account.virtualAccounts {
        names[name.lowercased()] = name
        names[name] = name
      }
      spelling = names
    }

    /// The registry's spelling of one of this account's VAs, or nil.
    func virtualAccount(_ name: String) -> String? {
      spelling[name] ?? spelling[name.lowercased()]
    }
  }

  private var entries: [String: Entry]

  public init(_ accounts: [SmartAccount]) {
    var entries: [String: Entry] = [:]
    entries.reserveCapacity(accounts.count)
    for account in accounts { entries[account.identifier] = Entry(account) }
    self.entries = entries
  }

  /// Every account, ordered by identifier.
  public var all: [SmartAccount] { entries.values.map(\.account).sorted { $0.identifier < $1.identifier } }

  public var count: Int { entries.count }

  /// The entry of an account, its identifier compared case-insensitively.
  func entry(_ identifier: String) -> Entry? {
    entries[identifier] ?? entries[identifier.lowercased()]
  }

  /// The account with this identifier, compared case-insensitively.
  public func account(_ identifier: String) -> SmartAccount? {
    entry(identifier)?.account
  }

  /// The registry's spelling of a VA of an account, or nil when the account has none of that name.
  public func virtualAccount(_ name: String, in identifier: String) -> String? {
    entry(identifier)?.virtualAccount(name)
  }
}

/// Mail domains that identify no company: customer and holding accounts may
/// not use them, limited-use accounts must.
public struct PublicMailDomains: Sendable {
  /// The domains every installation treats as public.
  public static let builtIn: [String] = [
    "gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com", "aol.com",
    "proton.me", "gmx.com", "mail.com", "yandex.com",
  ]

  private let domains: Set<String>

  /// The built-in list plus the domains configured in pipeline.conf.
  public init(configured: [String] = []) {
    domains = Set((Self.builtIn + configured).map { $0.lowercased() })
  }

  public func contains(_ domain: String) -> Bool { domains.contains(domain.lowercased()) }
}
