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
    /// The place of the account's first VA among all the registry's VAs:
    /// its VA number `index` is at `firstSlot + index` (see `AccountSlotTotals`).
    let firstSlot: Int
    /// The VA names, keyed by the lower-case name and by the registry's own
    /// spelling, so that the common exact spelling needs no lower-casing per line.
    private let numbers: [String: Int]

    init(_ account: SmartAccount, firstSlot: Int) {
      self.account = account
      self.firstSlot = firstSlot
      var numbers: [String: Int] = [:]
      numbers.reserveCapacity(2 * account.virtualAccounts.count)
      for (index, name) in account.virtualAccounts.enumerated() {
        numbers[name.lowercased()] = numbers[name.lowercased()] ?? index
        numbers[name] = numbers[name] ?? index
      }
      self.numbers = numbers
    }

    /// The number of one of this account's VAs, or nil. Most accounts have
    /// a handful: their names are compared in turn before any hashing.
    func virtualAccountNumber(_ name: String) -> Int? {
      let names = account.virtualAccounts
      if names.count <= 8, let number = names.firstIndex(of: name) { return number }
      return numbers[name] ?? numbers[name.lowercased()]
    }

    /// The registry's spelling of one of this account's VAs, or nil.
    func virtualAccount(_ name: String) -> String? {
      virtualAccountNumber(name).map { account.virtualAccounts[$0] }
    }
  }

  /// The identifiers, numbered as `bySlot` is: a line's account is found
  /// from its bytes by one probe of a flat table (a dictionary keyed by
  /// `String` hashed and compared each identifier through its own storage).
  private let identifiers: ByteInterner

  public init(_ accounts: [SmartAccount]) {
    var identifiers = ByteInterner()
    var bySlot: [Entry] = []
    bySlot.reserveCapacity(accounts.count)
    var slots = 0
    for account in accounts {
      let entry = Entry(account, firstSlot: slots)
      let number = Int(identifiers.id(account.identifier))
      // An identifier listed twice keeps its last account, at its own slots.
      if number < bySlot.count { bySlot[number] = entry } else { bySlot.append(entry) }
      slots += account.virtualAccounts.count
    }
    // The slots only ever grow, but a replaced entry may be out of order.
    let order = bySlot.indices.sorted { bySlot[$0].firstSlot < bySlot[$1].firstSlot }
    self.bySlot = order.map { bySlot[$0] }
    var numbers = [Int](repeating: 0, count: order.count)
    for (place, number) in order.enumerated() { numbers[number] = place }
    self.places = numbers
    self.identifiers = identifiers
  }

  /// The entries in the order of their slots.
  private let bySlot: [Entry]
  /// The place in `bySlot` of each identifier's number.
  private let places: [Int]

  /// The account and VA at `slot` (see `Entry.firstSlot`).
  func accountKey(slot: Int) -> AccountKey? {
    // The last entry whose first slot is at or below `slot`, found by halving.
    var low = 0
    var high = bySlot.count
    while low < high {
      let middle = (low + high) / 2
      if bySlot[middle].firstSlot <= slot { low = middle + 1 } else { high = middle }
    }
    guard low > 0 else { return nil }
    let entry = bySlot[low - 1]
    let number = slot - entry.firstSlot
    guard number < entry.account.virtualAccounts.count else { return nil }
    return AccountKey(smartAccount: entry.account.identifier, virtualAccount: entry.account.virtualAccounts[number])
  }

  /// Every account, ordered by identifier.
  public var all: [SmartAccount] { bySlot.map(\.account).sorted { $0.identifier < $1.identifier } }

  public var count: Int { bySlot.count }

  /// The entry of an account, its identifier compared case-insensitively.
  func entry(_ identifier: String) -> Entry? {
    guard let number = identifiers.find(identifier) ?? identifiers.find(identifier.lowercased()) else { return nil }
    return bySlot[places[Int(number)]]
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
