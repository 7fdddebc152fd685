/// A row of the accounts file that the registry refused.
public struct AccountProblem: Sendable, Equatable, Codable, CustomStringConvertible {
  public var file: String
  public var line: Int
  public var message: String

  public var description: String { "\(file):\(line): \(message)" }
}

/// Reads `accounts.csv` (`smart_account,name,type,virtual_accounts[,partner]`).
/// A bad row is reported with its line number and skipped; the others load.
public enum AccountsFile {
  private enum Column: Int, CaseIterable {
    case smartAccount, name, type, virtualAccounts, partner

    var canonicalName: String {
      switch self {
      case .smartAccount: "smart_account"
      case .name: "name"
      case .type: "type"
      case .virtualAccounts: "virtual_accounts"
      case .partner: "partner"
      }
    }
    var aliases: [String] {
      switch self {
      case .smartAccount: ["smartaccount", "smartaccountdomain", "domain"]
      case .name: ["name", "accountname"]
      case .type: ["type", "accounttype"]
      case .virtualAccounts: ["virtualaccounts", "virtualaccount"]
      case .partner: ["partner"]
      }
    }
  }

  /// The configured accounts file, read with the configured mail domains and limits.
  public static func read(
    config: PipelineConfig
  ) throws(IngestError) -> (
    accounts: [SmartAccount], problems: [AccountProblem]
  ) {
    try read(
      path: config.accountsFile, displayName: config.accountsFile, publicDomains: config.mailDomains,
      limits: config.limits)
  }

  /// The valid accounts and the problems of the rest. Throws when the file
  /// itself cannot be read or lacks the required columns.
  public static func read(
    path: String, displayName: String, publicDomains: PublicMailDomains, limits: InputLimits = InputLimits()
  ) throws(IngestError) -> (accounts: [SmartAccount], problems: [AccountProblem]) {
    let source = try ByteSource(path: path, displayName: displayName, maxBytes: limits.maxFileBytes)
    let reader = CSVReader(source: source, maxFieldBytes: limits.maxFieldBytes)
    guard let first = try reader.next() else {
      throw IngestError(.emptyFile, file: displayName, line: 1, message: "the accounts file is empty: no header row")
    }
    let header = try HeaderMap(
      header: first, columns: Column.self, aliases: { $0.aliases }, canonical: { $0.canonicalName },
      required: [.smartAccount, .type], file: displayName)
    var accounts: [SmartAccount] = []
    var problems: [AccountProblem] = []
    var seen: [String: Int] = [:]
    while let record = try reader.next() {
      func problem(_ message: String) {
        problems.append(AccountProblem(file: displayName, line: record.line, message: message))
      }
      if let issue = record.problem {
        problem(issue)
        continue
      }
      if record.fields.count != header.width {
        problem("the row has \(record.fields.count) fields; the header has \(header.width)")
        continue
      }
      let fields = record.fields
      let identifier = header.value(Column.smartAccount.rawValue, in: fields).lowercased()
      let typeText = header.value(Column.type.rawValue, in: fields).lowercased()
      guard let type = AccountType(rawValue: typeText) else {
        problem(AccountRuleViolation.unknownType(typeText).description)
        continue
      }
      let virtualAccounts = header.value(Column.virtualAccounts.rawValue, in: fields)
        .split(separator: ";").map { trimmed(String($0)) }.filter { !$0.isEmpty }
      let account = SmartAccount(
        identifier: identifier, name: header.value(Column.name.rawValue, in: fields), type: type,
        partner: header.value(Column.partner.rawValue, in: fields), virtualAccounts: virtualAccounts)
      if let violation = account.violation(publicDomains: publicDomains) {
        problem(violation.description)
        continue
      }
      if let earlier = seen[identifier] {
        problem("Smart Account '\(identifier)' is listed again (first on line \(earlier)); this row is ignored")
        continue
      }
      seen[identifier] = record.line
      accounts.append(account)
    }
    return (accounts, problems)
  }
}
