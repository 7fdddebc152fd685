/// Line and quantity counts of one file (or a whole run).
public struct LineCounts: Sendable, Equatable {
  public var read = 0
  public var deposited = 0
  public var held = 0
  public var duplicate = 0
  public var rejected = 0
  public var quantityDeposited = 0
  public var quantityHeld = 0
  public var rejectsByCode: [RejectCode: Int] = [:]

  public init() {}

  mutating func add(_ deposit: Deposit, sign: Int = 1) {
    add(quantity: deposit.quantity, held: deposit.status == .held, sign: sign)
  }

  mutating func add(quantity: Int, held isHeld: Bool, sign: Int = 1) {
    deposited += sign
    quantityDeposited += sign * quantity
    if isHeld {
      held += sign
      quantityHeld += sign * quantity
    }
  }
}
