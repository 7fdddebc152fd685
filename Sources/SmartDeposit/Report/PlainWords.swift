/// What the codes in the reports mean, in words a reader outside IT
/// understands. The codes stay in CSV and JSON, where scripts read them.
public enum PlainWords {
  /// A reject code in words.
  public static func rejectCode(_ code: String) -> String {
    switch RejectCode(rawValue: code) {
    case .missingSmartAccount: "no Smart Account named"
    case .unknownSmartAccount: "Smart Account not in the registry"
    case .unknownVirtualAccount: "Virtual Account not in that Smart Account"
    case .virtualAccountNotAllowed: "limited-use account takes only DEFAULT"
    case .invalidQuantity: "quantity is not a whole number in range"
    case .missingSKU: "no SKU"
    case .invalidLicenseType: "license type is not PERPETUAL or TERM"
    case .invalidTerm: "term or start date wrong for the license type"
    case .invalidDate: "not a real calendar date"
    case .missingOrderID: "no web order id or line number"
    case .conflictingLine: "already deposited with different content"
    case .malformedRecord: "unreadable line in the file"
    case .unauthorizedAccount: "another partner's holding account"
    case .orderRejected: "valid, but another line of its order was rejected"
    case .unknownTransferSource: "no such held line to transfer"
    case .insufficientHeldQuantity: "more than is still held"
    case .invalidTransferTarget: "transfer target is not a customer account"
    case .conflictingTransfer: "transfer id used before for another movement"
    case nil: code
    }
  }

  /// What became of a file, in words.
  public static func fileOutcome(_ outcome: RunSummary.FileRunOutcome) -> String {
    switch outcome {
    case .processed: "processed"
    case .duplicate: "already processed (same content)"
    case .quarantined: "refused whole (quarantined)"
    case .notReady: "not complete yet"
    case .unreadable: "could not be read"
    case .stale: "waiting too long"
    case .recovered: "processed by an interrupted run"
    }
  }

  /// An order line's state in the reconciliation, in words.
  public static func lineStatus(_ status: String) -> String {
    switch status {
    case "deposited": "deposited, available"
    case "held": "held for a partner"
    case "partially-transferred": "partly transferred"
    case "transferred": "transferred to the customer"
    case "rejected": "rejected, not deposited"
    default: status
    }
  }

  /// How a balance differs from Smart Software Manager's export, in words.
  public static func differenceKind(_ kind: String) -> String {
    switch kind {
    case "differs": "different quantity"
    case "only-in-ledger": "in the ledger, not in SSM"
    case "only-in-ssm": "in SSM, not in the ledger"
    default: kind
    }
  }
}
