/// The ledger's balances summed in memory from one pass over its deposits
/// and transfers, by account, SKU and where the licenses came from: the
/// balances and the balances by source are both read from it, in the
/// order their SQL sorts them (`LedgerQueries.balancesSQL`,
/// `balancesBySourceSQL`), with the same sums.
///
/// A ledger has far fewer balances than deposits (4.8M deposits: 175,540
/// balances), and summing them in a hash table took a fraction of the
/// time of the database's GROUP BY, which sorts every deposit. It holds
/// at most `limit` bytes; a ledger with more distinct balances than fit
/// is summed by the database instead (`isComplete` false).
struct BalanceGroups {
  /// One sum: the strings are numbers in `strings`.
  private struct Group {
    var smartAccount: Int32
    var virtualAccount: Int32
    var sku: Int32
    var source: Int32
    var fromSmartAccount: Int32
    /// Into the account by a transfer from a holding account (`via` `transfer`).
    var isTransfer: Bool
    var available: Int
    var held: Int
  }

  private var strings = ByteInterner()
  private var groups: [Group] = []
  /// Open addressing: a group's index plus one, 0 for an empty slot.
  private var slots: [Int32] = Array(repeating: 0, count: 4096)
  private let limit: Int
  /// Whether every movement was summed (false once `limit` was reached).
  private(set) var isComplete = true
  private let empty: Int32

  /// At most 20 MiB (about 400,000 distinct balances), so that a report
  /// stays within 64 MiB.
  static let defaultLimit = 20 << 20

  init(limit: Int = BalanceGroups.defaultLimit) {
    self.limit = limit
    empty = strings.id(UnsafeRawBufferPointer(start: nil, count: 0))
  }

  private var footprint: Int {
    strings.footprint + MemoryLayout<Group>.stride * groups.capacity + 4 * slots.capacity
  }

  /// A deposit: its quantity, available or held, in its own account from its sender.
  mutating func addDeposit(
    smartAccount: UnsafeRawBufferPointer, virtualAccount: UnsafeRawBufferPointer, sku: UnsafeRawBufferPointer,
    source: UnsafeRawBufferPointer, quantity: Int, held: Bool
  ) {
    guard isComplete else { return }
    add(
      Group(
        smartAccount: strings.id(smartAccount), virtualAccount: strings.id(virtualAccount), sku: strings.id(sku),
        source: strings.id(source), fromSmartAccount: empty, isTransfer: false, available: held ? 0 : quantity,
        held: held ? quantity : 0))
  }

  /// A transfer: out of the holding line's held licenses (counted against
  /// `lineSource`, the sender of the line's deposit), into the customer's
  /// account from the holding account.
  mutating func addTransfer(_ transfer: TransferTrace, lineSource: String) {
    guard isComplete else { return }
    add(
      Group(
        smartAccount: strings.id(transfer.fromSmartAccount), virtualAccount: strings.id(transfer.fromVirtualAccount),
        sku: strings.id(transfer.sku), source: strings.id(lineSource), fromSmartAccount: empty, isTransfer: false,
        available: 0, held: -transfer.quantity))
    add(
      Group(
        smartAccount: strings.id(transfer.toSmartAccount), virtualAccount: strings.id(transfer.toVirtualAccount),
        sku: strings.id(transfer.sku), source: strings.id(transfer.source),
        fromSmartAccount: strings.id(transfer.fromSmartAccount), isTransfer: true, available: transfer.quantity,
        held: 0))
  }

  private static func hash(_ group: Group) -> UInt64 {
    func pair(_ high: Int32, _ low: Int32) -> UInt64 {
      UInt64(UInt32(bitPattern: high)) << 32 | UInt64(UInt32(bitPattern: low))
    }
    var hash = ByteInterner.mix(pair(group.smartAccount, group.virtualAccount))
    hash = ByteInterner.mix(hash ^ pair(group.sku, group.source))
    return ByteInterner.mix(hash ^ pair(group.fromSmartAccount, group.isTransfer ? 1 : 0))
  }

  private mutating func add(_ group: Group) {
    let mask = slots.count - 1
    var slot = Int(truncatingIfNeeded: Self.hash(group)) & mask
    while true {
      let entry = slots[slot]
      if entry == 0 { break }
      let index = Int(entry - 1)
      let found = groups[index]
      if found.smartAccount == group.smartAccount && found.virtualAccount == group.virtualAccount
        && found.sku == group.sku && found.source == group.source
        && found.fromSmartAccount == group.fromSmartAccount && found.isTransfer == group.isTransfer
      {
        groups[index].available += group.available
        groups[index].held += group.held
        return
      }
      slot = (slot + 1) & mask
    }
    // Grown by half, not doubled: the sums are most of what reconcile holds.
    if groups.count == groups.capacity { groups.reserveCapacity(groups.count + groups.count / 2 + 1024) }
    groups.append(group)
    slots[slot] = Int32(groups.count)
    if groups.count * 2 > slots.count { grow() }
    if footprint > limit { abandon() }
  }

  private mutating func grow() {
    slots = Array(repeating: 0, count: slots.count * 2)
    let mask = slots.count - 1
    for (index, group) in groups.enumerated() {
      var slot = Int(truncatingIfNeeded: Self.hash(group)) & mask
      while slots[slot] != 0 { slot = (slot + 1) & mask }
      slots[slot] = Int32(index + 1)
    }
  }

  /// Too many balances to hold: the database sums them instead.
  private mutating func abandon() {
    isComplete = false
    groups = []
    slots = []
    strings = ByteInterner()
  }

  /// The balances in account order (SA, VA without case, SKU), each with
  /// its sums by source, the rows its SQL would give.
  ///
  /// - Parameters:
  ///   - names: the registry's spelling of a VA, by SA and VA name key.
  ///   - balance: each balance, after its rows by source.
  ///   - sourced: each row by source (`via`, from SA, sender) with a non-zero sum.
  mutating func forEach(
    names: [String: String], balance: (Balance) throws -> Void = { _ in },
    sourced: (SourcedBalance) throws -> Void = { _ in }
  ) rethrows {
    precondition(isComplete, "balances summed by the database")
    // VA names compare without ASCII case, as the database's lower() does.
    var lowered = [Int32](repeating: -1, count: strings.count)
    for group in groups where lowered[Int(group.virtualAccount)] < 0 {
      let key = strings.withBytes(group.virtualAccount) { $0.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 } }
      lowered[Int(group.virtualAccount)] = key.withUnsafeBytes { strings.id($0) }
    }
    let rank = strings.ranks()
    // Sorted in place as 32-bit indexes: the order of 400,000 sums in 1.6 MiB.
    var order = Array(0..<Int32(groups.count))
    order.sort { left, right in
      let a = groups[Int(left)]
      let b = groups[Int(right)]
      if a.smartAccount != b.smartAccount { return rank[Int(a.smartAccount)] < rank[Int(b.smartAccount)] }
      let (va, vb) = (lowered[Int(a.virtualAccount)], lowered[Int(b.virtualAccount)])
      if va != vb { return rank[Int(va)] < rank[Int(vb)] }
      if a.sku != b.sku { return rank[Int(a.sku)] < rank[Int(b.sku)] }
      if a.isTransfer != b.isTransfer { return !a.isTransfer }
      if a.fromSmartAccount != b.fromSmartAccount {
        return rank[Int(a.fromSmartAccount)] < rank[Int(b.fromSmartAccount)]
      }
      if a.source != b.source { return rank[Int(a.source)] < rank[Int(b.source)] }
      return rank[Int(a.virtualAccount)] < rank[Int(b.virtualAccount)]
    }
    var text = [String?](repeating: nil, count: strings.count)
    func string(_ id: Int32) -> String {
      if let known = text[Int(id)] { return known }
      let made = strings.string(id)
      text[Int(id)] = made
      return made
    }
    var start = 0
    while start < order.count {
      // One balance: the rows of one SA, VA (without case) and SKU.
      let first = groups[Int(order[start])]
      var end = start
      var available = 0
      var held = 0
      while end < order.count {
        let group = groups[Int(order[end])]
        guard group.smartAccount == first.smartAccount, group.sku == first.sku,
          lowered[Int(group.virtualAccount)] == lowered[Int(first.virtualAccount)]
        else { break }
        available += group.available
        held += group.held
        end += 1
      }
      let smartAccount = string(first.smartAccount)
      let registered = names[smartAccount + "\u{0}" + string(lowered[Int(first.virtualAccount)])]
      var row = start
      while row < end {
        // One row by source: its VA spellings together.
        let head = groups[Int(order[row])]
        var sums = (available: 0, held: 0)
        var next = row
        while next < end {
          let group = groups[Int(order[next])]
          guard group.isTransfer == head.isTransfer, group.fromSmartAccount == head.fromSmartAccount,
            group.source == head.source
          else { break }
          sums.available += group.available
          sums.held += group.held
          next += 1
        }
        if sums.available != 0 || sums.held != 0 {
          // Sorted last by spelling: the first is the least, as MIN() takes.
          try sourced(
            SourcedBalance(
              smartAccount: smartAccount, virtualAccount: registered ?? string(head.virtualAccount),
              sku: string(head.sku), via: head.isTransfer ? "transfer" : "deposit",
              fromSmartAccount: string(head.fromSmartAccount), source: string(head.source),
              available: sums.available, held: sums.held))
        }
        row = next
      }
      var least = first.virtualAccount
      for index in start..<end where rank[Int(groups[Int(order[index])].virtualAccount)] < rank[Int(least)] {
        least = groups[Int(order[index])].virtualAccount
      }
      try balance(
        Balance(
          smartAccount: smartAccount, virtualAccount: registered ?? string(least), sku: string(first.sku),
          available: available, held: held))
      start = end
    }
  }
}
