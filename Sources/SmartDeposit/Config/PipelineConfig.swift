import Foundation
import TOMLKit

/// What to do with an input file once its deposits are committed.
public enum OnSuccess: String, Sendable, Equatable {
  /// Move it to the archive folder (production).
  case move
  /// Leave it in the inbox; its content hash still prevents a second deposit.
  case keep
}

/// When a file in the inbox counts as completely written.
public enum ReadyRule: String, Sendable, Equatable {
  /// Size and mtime unchanged for `settle_seconds`.
  case settle
  /// A `NAME.done` file exists beside it (and the settle rule holds too).
  case marker
}

/// Whether one bad line rejects its whole order.
public enum Atomicity: String, Sendable, Equatable {
  case order
  case line
}

/// A partner that drops files into its own inbox sub-folder.
public struct PartnerConfig: Sendable, Equatable {
  public var name: String
  /// The sub-folder of the inbox, relative to it.
  public var inbox: String

  public init(name: String, inbox: String) {
    self.name = name
    self.inbox = inbox
  }
}

/// Bounds that protect a run from oversized or hostile files.
public struct InputLimits: Sendable, Equatable {
  public var maxFileBytes: Int64 = 8 << 30
  public var maxFieldBytes: Int = 64 << 10
  public var maxDepth: Int = 32

  public init() {}
}

/// pipeline.conf, with every path made absolute against the file's own folder.
public struct PipelineConfig: Sendable, Equatable {
  public var configFile: String
  public var inbox: String
  public var archive: String
  public var quarantine: String
  public var onSuccess: OnSuccess = .keep
  public var settleSeconds: Double = 0
  public var ready: ReadyRule = .settle
  /// Names in the inbox that are never taken (reference files kept beside the orders).
  public var ignore: [String] = []
  /// The SQLite ledger's path (the default; also where its run lock lives).
  public var ledgerPath: String
  /// The environment variable a PostgreSQL password is read from (`[ledger] password_env`).
  public var ledgerPasswordVariable = "PGPASSWORD"
  /// Set when the ledger is a PostgreSQL database instead (`[ledger] url`).
  public var ledgerPostgres: PostgresLocation?
  /// Where the ledger is.
  public var ledger: LedgerLocation { ledgerPostgres.map { .postgres($0) } ?? .sqlite(path: ledgerPath) }
  public var accountsFile: String
  public var publicMailDomains: [String] = []
  public var reportsDir: String
  public var atomicity: Atomicity = .order
  public var maxQuantity: Int = 1_000_000
  public var holdingMaxAgeDays: Int = 90
  public var limits = InputLimits()
  public var partners: [PartnerConfig] = []
  /// A file the runs keep not taking for longer than this is stale (0: never).
  public var staleAfterHours: Double = 24
  /// A run that finds no file at all exits 66 (`[alerts] require_files`).
  public var requireFiles = false
  /// Where the Prometheus textfile goes after every run (`[metrics] textfile`); nil: none.
  public var metricsTextfile: String?
  /// Days a run's report, archive and quarantine folders are kept (0: for ever).
  public var reportsKeepDays = 0
  public var archiveKeepDays = 0
  public var quarantineKeepDays = 0
  /// `[log] format`: text or json.
  public var logFormat: LogFormat = .text
  /// `[log] level`: trace, debug, info, notice, warning, error or critical.
  public var logLevel: String = "info"

  /// A configuration rooted in `folder` with the documented defaults.
  public init(folder: String, configFile: String = "pipeline.conf") {
    func inFolder(_ path: String) -> String { PathUtilities.resolve(path, against: folder) }
    self.configFile = configFile
    inbox = inFolder("SampleOrders")
    archive = inFolder("var/archive")
    quarantine = inFolder("var/quarantine")
    ledgerPath = inFolder("var/ledger.sqlite")
    accountsFile = inFolder("SampleOrders/accounts.csv")
    reportsDir = inFolder("var/reports")
  }

  /// The public mail domains in force: the built-in list and the configured ones.
  public var mailDomains: PublicMailDomains { PublicMailDomains(configured: publicMailDomains) }

  /// The partner whose inbox is this sub-folder of the inbox, if any.
  public func partner(forSubfolder name: String) -> PartnerConfig? {
    partners.first { $0.inbox == name }
  }

  /// Reads and checks pipeline.conf; any unknown key or wrong type is an error naming it.
  public static func load(path: String) throws(ConfigError) -> PipelineConfig {
    let absolute = PathUtilities.absolute(path)
    guard let data = FileManager.default.contents(atPath: absolute) else {
      let cause = access(absolute, F_OK) == 0 ? String(cString: strerror(EACCES)) : String(cString: strerror(ENOENT))
      throw ConfigError(
        file: absolute,
        problem: "cannot read the configuration (\(cause)); give another with --config FILE or SMARTDEPOSIT_CONFIG")
    }
    guard let text = String(data: data, encoding: .utf8) else {
      throw ConfigError(file: path, problem: "the file is not UTF-8 text")
    }
    let folder = (absolute as NSString).deletingLastPathComponent
    return try parse(text, file: path, folder: folder)
  }

  /// Parses pipeline.conf's text; paths are resolved against `folder`.
  public static func parse(
    _ text: String, file: String, folder: String
  ) throws(ConfigError)
    -> PipelineConfig
  {
    let table: TOMLTable
    do {
      table = try TOMLTable(string: text)
    } catch let error as TOMLParseError {
      throw ConfigError(
        file: file, line: error.source.begin.line, problem: "not valid TOML: \(error.description)")
    } catch {
      throw ConfigError(file: file, problem: "not valid TOML: \(error)")
    }
    var reader = TableReader(file: file, folder: folder)
    return try reader.read(table)
  }
}

/// Walks the TOML tables, taking each known key once and refusing the rest.
private struct TableReader {
  let file: String
  let folder: String

  mutating func read(_ root: TOMLTable) throws(ConfigError) -> PipelineConfig {
    var config = PipelineConfig(folder: folder, configFile: file)
    let sections: Set<String> = [
      "drop", "ledger", "accounts", "reports", "policy", "limits", "partner", "alerts", "metrics", "log",
    ]
    for key in root.keys where !sections.contains(key) {
      throw ConfigError(
        file: file, key: key,
        problem: "unknown key (known sections: \(sections.sorted().joined(separator: ", ")))")
    }
    if let drop = try section(root, "drop") {
      try only(
        drop, "drop",
        [
          "inbox", "archive", "quarantine", "on_success", "settle_seconds", "ready", "ignore", "archive_keep_days",
          "quarantine_keep_days",
        ])
      if let value = try integer(drop, "drop.archive_keep_days", range: 0...36_500) { config.archiveKeepDays = value }
      if let value = try integer(drop, "drop.quarantine_keep_days", range: 0...36_500) {
        config.quarantineKeepDays = value
      }
      if let value = try stringArray(drop, "drop.ignore") { config.ignore = value }
      if let value = try string(drop, "drop.inbox") { config.inbox = path(value) }
      if let value = try string(drop, "drop.archive") { config.archive = path(value) }
      if let value = try string(drop, "drop.quarantine") { config.quarantine = path(value) }
      if let value = try string(drop, "drop.on_success") {
        guard let rule = OnSuccess(rawValue: value) else {
          throw ConfigError(
            file: file, key: "drop.on_success", problem: "must be \"move\" or \"keep\", not \"\(value)\"")
        }
        config.onSuccess = rule
      }
      if let value = try number(drop, "drop.settle_seconds") {
        guard value >= 0 else {
          throw ConfigError(file: file, key: "drop.settle_seconds", problem: "must not be negative")
        }
        config.settleSeconds = value
      }
      if let value = try string(drop, "drop.ready") {
        guard let rule = ReadyRule(rawValue: value) else {
          throw ConfigError(
            file: file, key: "drop.ready", problem: "must be \"settle\" or \"marker\", not \"\(value)\"")
        }
        config.ready = rule
      }
    }
    if let ledger = try section(root, "ledger") {
      try only(ledger, "ledger", ["path", "url", "password_env", "claim_timeout_seconds"])
      let pathValue = try string(ledger, "ledger.path")
      let urlValue = try string(ledger, "ledger.url")
      if pathValue != nil && urlValue != nil {
        throw ConfigError(file: file, key: "ledger.url", problem: "give either ledger.path or ledger.url, not both")
      }
      if pathValue == nil && urlValue == nil {
        throw ConfigError(
          file: file, key: "ledger.path",
          problem: "[ledger] needs path (an SQLite file) or url (a PostgreSQL database)")
      }
      if let value = pathValue { config.ledgerPath = path(value) }
      let passwordVariable = try string(ledger, "ledger.password_env") ?? "PGPASSWORD"
      config.ledgerPasswordVariable = passwordVariable
      let claimTimeout = try number(ledger, "ledger.claim_timeout_seconds") ?? 60
      guard claimTimeout >= 1 else {
        throw ConfigError(file: file, key: "ledger.claim_timeout_seconds", problem: "must be at least 1 second")
      }
      if let url = urlValue {
        switch PostgresLocation.parse(url, passwordVariable: passwordVariable, claimTimeoutSeconds: claimTimeout) {
        case .success(let location): config.ledgerPostgres = location
        case .failure(let problem): throw ConfigError(file: file, key: "ledger.url", problem: problem.description)
        }
      }
    }
    if let accounts = try section(root, "accounts") {
      try only(accounts, "accounts", ["file", "public_mail_domains"])
      if let value = try string(accounts, "accounts.file") { config.accountsFile = path(value) }
      if let value = try stringArray(accounts, "accounts.public_mail_domains") {
        config.publicMailDomains = value.map { $0.lowercased() }
      }
    }
    if let reports = try section(root, "reports") {
      try only(reports, "reports", ["dir", "keep_days"])
      if let value = try string(reports, "reports.dir") { config.reportsDir = path(value) }
      if let value = try integer(reports, "reports.keep_days", range: 0...36_500) { config.reportsKeepDays = value }
    }
    if let policy = try section(root, "policy") {
      try only(policy, "policy", ["atomicity", "max_quantity", "holding_max_age_days"])
      if let value = try string(policy, "policy.atomicity") {
        guard let rule = Atomicity(rawValue: value) else {
          throw ConfigError(
            file: file, key: "policy.atomicity", problem: "must be \"order\" or \"line\", not \"\(value)\"")
        }
        config.atomicity = rule
      }
      if let value = try integer(policy, "policy.max_quantity", range: 1...1_000_000_000) {
        config.maxQuantity = value
      }
      if let value = try integer(policy, "policy.holding_max_age_days", range: 0...36_500) {
        config.holdingMaxAgeDays = value
      }
    }
    if let alerts = try section(root, "alerts") {
      try only(alerts, "alerts", ["stale_after_hours", "require_files"])
      if let value = try number(alerts, "alerts.stale_after_hours") {
        guard value >= 0 else {
          throw ConfigError(file: file, key: "alerts.stale_after_hours", problem: "must not be negative (0 = off)")
        }
        config.staleAfterHours = value
      }
      if let value = try bool(alerts, "alerts.require_files") { config.requireFiles = value }
    }
    if let log = try section(root, "log") {
      try only(log, "log", ["format", "level"])
      if let value = try string(log, "log.format") {
        guard let format = LogFormat(rawValue: value) else {
          throw ConfigError(file: file, key: "log.format", problem: "must be \"text\" or \"json\", not \"\(value)\"")
        }
        config.logFormat = format
      }
      if let value = try string(log, "log.level") {
        guard LogLevels.all.contains(value) else {
          throw ConfigError(
            file: file, key: "log.level",
            problem: "must be one of \(LogLevels.all.joined(separator: ", ")), not \"\(value)\"")
        }
        config.logLevel = value
      }
    }
    if let metrics = try section(root, "metrics") {
      try only(metrics, "metrics", ["textfile"])
      if let value = try string(metrics, "metrics.textfile") {
        guard !value.isEmpty else {
          throw ConfigError(file: file, key: "metrics.textfile", problem: "must name a file")
        }
        config.metricsTextfile = path(value)
      }
    }
    if let limits = try section(root, "limits") {
      try only(limits, "limits", ["max_file_bytes", "max_field_bytes", "max_depth"])
      if let value = try integer(limits, "limits.max_file_bytes", range: 1...Int.max) {
        config.limits.maxFileBytes = Int64(value)
      }
      if let value = try integer(limits, "limits.max_field_bytes", range: 16...(1 << 30)) {
        config.limits.maxFieldBytes = value
      }
      if let value = try integer(limits, "limits.max_depth", range: 4...256) {
        config.limits.maxDepth = value
      }
    }
    if let partners = root["partner"] {
      guard let array = partners.array else {
        throw ConfigError(file: file, key: "partner", problem: "must be an array of tables, written [[partner]]")
      }
      var names: Set<String> = []
      var inboxes: Set<String> = []
      for (index, element) in array.enumerated() {
        let key = "partner[\(index + 1)]"
        guard let entry = element.table else {
          throw ConfigError(file: file, key: key, problem: "must be a table, written [[partner]]")
        }
        try only(entry, key, ["name", "inbox"])
        guard let name = try string(entry, "\(key).name"), !name.isEmpty else {
          throw ConfigError(file: file, key: "\(key).name", problem: "is required")
        }
        let inbox = try string(entry, "\(key).inbox") ?? name
        guard !inbox.isEmpty, !inbox.contains("/"), inbox != ".", inbox != "..", !inbox.hasPrefix(".") else {
          throw ConfigError(file: file, key: "\(key).inbox", problem: "must be the name of one sub-folder of the inbox")
        }
        guard names.insert(name.lowercased()).inserted else {
          throw ConfigError(file: file, key: "\(key).name", problem: "partner '\(name)' is configured twice")
        }
        guard inboxes.insert(inbox).inserted else {
          throw ConfigError(
            file: file, key: "\(key).inbox", problem: "sub-folder '\(inbox)' belongs to another partner")
        }
        config.partners.append(PartnerConfig(name: name, inbox: inbox))
      }
    }
    return config
  }

  private func path(_ value: String) -> String { PathUtilities.resolve(value, against: folder) }

  private func section(_ root: TOMLTable, _ name: String) throws(ConfigError) -> TOMLTable? {
    guard let value = root[name] else { return nil }
    guard let table = value.table else {
      throw ConfigError(file: file, key: name, problem: "must be a table, written [\(name)]")
    }
    return table
  }

  private func only(_ table: TOMLTable, _ prefix: String, _ known: [String]) throws(ConfigError) {
    for key in table.keys where !known.contains(key) {
      throw ConfigError(
        file: file, key: "\(prefix).\(key)",
        problem: "unknown key (known: \(known.joined(separator: ", ")))")
    }
  }

  private func leaf(_ key: String) -> String { String(key.split(separator: ".").last ?? Substring(key)) }

  private func string(_ table: TOMLTable, _ key: String) throws(ConfigError) -> String? {
    guard let value = table[leaf(key)] else { return nil }
    guard let text = value.string else {
      throw ConfigError(file: file, key: key, problem: "must be a string, not \(value.type)")
    }
    return text
  }

  private func stringArray(_ table: TOMLTable, _ key: String) throws(ConfigError) -> [String]? {
    guard let value = table[leaf(key)] else { return nil }
    guard let array = value.array else {
      throw ConfigError(file: file, key: key, problem: "must be an array of strings, not \(value.type)")
    }
    var strings: [String] = []
    for element in array {
      guard let text = element.string else {
        throw ConfigError(file: file, key: key, problem: "must be an array of strings")
      }
      strings.append(text)
    }
    return strings
  }

  private func integer(_ table: TOMLTable, _ key: String, range: ClosedRange<Int>) throws(ConfigError) -> Int? {
    guard let value = table[leaf(key)] else { return nil }
    guard let number = value.int else {
      throw ConfigError(file: file, key: key, problem: "must be a whole number, not \(value.type)")
    }
    guard range.contains(number) else {
      throw ConfigError(
        file: file, key: key, problem: "must be from \(range.lowerBound) to \(range.upperBound), not \(number)")
    }
    return number
  }

  private func bool(_ table: TOMLTable, _ key: String) throws(ConfigError) -> Bool? {
    guard let value = table[leaf(key)] else { return nil }
    guard let flag = value.bool else {
      throw ConfigError(file: file, key: key, problem: "must be true or false, not \(value.type)")
    }
    return flag
  }

  private func number(_ table: TOMLTable, _ key: String) throws(ConfigError) -> Double? {
    guard let value = table[leaf(key)] else { return nil }
    if let number = value.int { return Double(number) }
    if let number = value.double { return number }
    throw ConfigError(file: file, key: key, problem: "must be a number, not \(value.type)")
  }
}
