import Foundation

/// Renders the reconciliation report as CSV, JSON or HTML.
public enum ReconciliationRenderer {
  /// The rows of each list the HTML page shows; CSV and JSON list them all.
  public static let htmlRowLimit = 5000

  public static let csvHeader = [
    "section", "web_order_id", "line_number", "smart_account", "virtual_account", "sku", "ordered", "deposited",
    "transferred", "held", "status", "ledger", "ssm", "difference", "age_days", "date", "available",
    "from_smart_account", "from_virtual_account", "transfer_id", "source", "file", "ssm_order_lines",
  ]

  /// Where each column is, by name.
  private static let columnIndex = Dictionary(uniqueKeysWithValues: csvHeader.enumerated().map { ($1, $0) })

  /// One row, its cells named by column: a row can never put a value under
  /// another column's header. (Placed by index, not looked up per header
  /// column: a ledger's millions of lines each make a row.)
  private static func row(_ section: String, _ cells: KeyValuePairs<String, String>) -> String {
    var values = [String](repeating: "", count: csvHeader.count)
    values[0] = section
    for (name, value) in cells {
      guard let index = columnIndex[name] else { preconditionFailure("no reconcile column \(name)") }
      values[index] = value
    }
    return CSVFormatter.row(values)
  }

  /// One CSV: a `section` column (`line`, `transfer`, `balance`, `source`,
  /// `difference`, `aging`, `double-deposit`) says what each row is. Every
  /// number is written as a plain number, so a spreadsheet can add it up.
  public static func csv(_ report: ReconciliationReport) -> String {
    var text = CSVFormatter.row(csvHeader)
    for line in report.lines { text += csvRow(line) }
    for transfer in report.transfers { text += csvRow(transfer) }
    for balance in report.balances { text += csvRow(balance) }
    for sourced in report.balancesBySource { text += csvRow(sourced) }
    for difference in report.differences { text += csvRow(difference) }
    for aged in report.overAge { text += csvRow(aged: aged) }
    for double in report.doubleDeposits { text += csvRow(double) }
    return text
  }

  /// Writes the CSV as the stream reads the ledger; returns whether everything reconciles.
  public static func writeCSV(_ stream: ReconciliationStream, to output: BufferedFileWriter) throws -> Bool {
    try output.write(CSVFormatter.row(csvHeader))
    _ = try stream.lines { try output.write(csvRow($0)) }
    try stream.ledger.forEachTransfer { try output.write(csvRow($0)) }
    let differences = try stream.balances { try output.write(csvRow($0)) }
    try stream.ledger.forEachSourcedBalance { try output.write(csvRow($0)) }
    for difference in differences { try output.write(csvRow(difference)) }
    var overAge = false
    try stream.overAge {
      overAge = true
      try output.write(csvRow(aged: $0))
    }
    for double in stream.doubleDeposits { try output.write(csvRow(double)) }
    return differences.isEmpty && !overAge && stream.ssmProblems.isEmpty && stream.doubleDeposits.isEmpty
  }

  private static func csvRow(_ line: ReconciliationLine) -> String {
    row(
      "line",
      [
        "web_order_id": line.webOrderID, "line_number": line.lineNumber, "smart_account": line.smartAccount,
        "virtual_account": line.virtualAccount, "sku": line.sku, "ordered": "\(line.ordered)",
        "deposited": "\(line.deposited)", "transferred": "\(line.transferred)", "held": "\(line.held)",
        "status": line.status.isEmpty ? "" : line.status + (line.reason.isEmpty ? "" : ":" + line.reason),
        "date": line.date, "source": line.source,
      ])
  }

  /// Where held licenses went: the line they came from, the account they went to.
  private static func csvRow(_ transfer: TransferTrace) -> String {
    row(
      "transfer",
      [
        "web_order_id": transfer.webOrderID, "line_number": transfer.lineNumber,
        "smart_account": transfer.toSmartAccount, "virtual_account": transfer.toVirtualAccount, "sku": transfer.sku,
        "transferred": "\(transfer.quantity)", "status": "transferred", "date": transfer.date,
        "from_smart_account": transfer.fromSmartAccount, "from_virtual_account": transfer.fromVirtualAccount,
        "transfer_id": transfer.transferID, "source": transfer.source, "file": transfer.file,
      ])
  }

  private static func csvRow(_ balance: Balance) -> String {
    row(
      "balance",
      [
        "smart_account": balance.smartAccount, "virtual_account": balance.virtualAccount, "sku": balance.sku,
        "available": "\(balance.available)", "held": "\(balance.held)",
        "ledger": "\(balance.available + balance.held)",
      ])
  }

  /// Where an account's licenses came from: a sender's deposits, or a holding account's transfers.
  private static func csvRow(_ sourced: SourcedBalance) -> String {
    row(
      "source",
      [
        "smart_account": sourced.smartAccount, "virtual_account": sourced.virtualAccount, "sku": sourced.sku,
        "available": "\(sourced.available)", "held": "\(sourced.held)",
        "ledger": "\(sourced.available + sourced.held)", "status": sourced.via,
        "from_smart_account": sourced.fromSmartAccount, "source": sourced.source,
      ])
  }

  private static func csvRow(_ difference: BalanceDifference) -> String {
    row(
      "difference",
      [
        "smart_account": difference.smartAccount, "virtual_account": difference.virtualAccount,
        "sku": difference.sku, "status": difference.kind, "ledger": "\(difference.ledger)",
        "ssm": "\(difference.ssm)", "difference": "\(difference.difference)",
        "ssm_order_lines": difference.ssmOrderLines.joined(separator: "; "),
      ])
  }

  private static func csvRow(aged: HeldLicenses) -> String {
    row(
      "aging",
      [
        "web_order_id": aged.webOrderID, "line_number": aged.lineNumber, "smart_account": aged.smartAccount,
        "virtual_account": aged.virtualAccount, "sku": aged.sku, "held": "\(aged.held)", "status": "over-age",
        "age_days": "\(aged.ageDays)", "date": aged.depositedOn,
      ])
  }

  /// The second deposit of a line: licences the ledger holds beyond what was ordered.
  private static func csvRow(_ double: IdentityCollision) -> String {
    let twin = double.twin
    return row(
      "double-deposit",
      [
        "web_order_id": twin.webOrderID, "line_number": twin.lineNumber, "smart_account": twin.smartAccount,
        "virtual_account": twin.virtualAccount, "sku": twin.sku, "deposited": "\(twin.quantity)",
        "status": "deposited-twice", "difference": "\(-twin.quantity)", "file": twin.file,
      ])
  }

  public static func json(_ report: ReconciliationReport) -> String {
    CommandSupport.json(report) + "\n"
  }

  /// Writes the JSON as the stream reads the ledger: the keys of
  /// `ReconciliationReport` in their sorted order, each list's elements
  /// one per line; returns whether everything reconciles.
  public static func writeJSON(_ stream: ReconciliationStream, to output: BufferedFileWriter) throws -> Bool {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    encoder.keyEncodingStrategy = .convertToSnakeCase
    func value<T: Encodable>(_ value: T) throws -> String { String(decoding: try encoder.encode(value), as: UTF8.self) }
    var first = true
    func key(_ name: String) throws {
      try output.write((first ? "{\n" : ",\n") + "  \"\(name)\" : ")
      first = false
    }
    func list(_ name: String, _ elements: ((Encodable) throws -> Void) throws -> Void) throws {
      try key(name)
      var count = 0
      try elements { element in
        try output.write((count == 0 ? "[\n    " : ",\n    ") + (try value(AnyEncodable(element))))
        count += 1
      }
      try output.write(count == 0 ? "[]" : "\n  ]")
    }
    let options = stream.options
    if let against = options.against {
      try key("against")
      try output.write(try value(against))
    }
    try key("as_of")
    try output.write(try value(options.asOf))
    var differences: [BalanceDifference] = []
    try list("balances") { emit in differences = try stream.balances { try emit($0) } }
    try list("balances_by_source") { emit in try stream.ledger.forEachSourcedBalance { try emit($0) } }
    try list("differences") { emit in for difference in differences { try emit(difference) } }
    try list("double_deposits") { emit in for double in stream.doubleDeposits { try emit(double) } }
    try key("generated_at")
    try output.write(try value(stream.generatedAt))
    var totals = ReconciliationReport.Totals()
    try list("held") { emit in totals = try stream.held { licenses, _ in try emit(licenses) } }
    try key("holding_max_age_days")
    try output.write(String(options.holdingMaxAgeDays))
    var lineTotals = ReconciliationStream.LineTotals()
    try list("lines") { emit in lineTotals = try stream.lines { try emit($0) } }
    try list("over_age") { emit in try stream.overAge { try emit($0) } }
    if let since = options.since {
      try key("since")
      try output.write(try value(since))
    }
    try list("ssm_problems") { emit in for problem in stream.ssmProblems { try emit(problem) } }
    totals.ordered = lineTotals.ordered
    totals.deposited = lineTotals.deposited
    totals.transferred = lineTotals.transferred
    totals.held = lineTotals.held
    totals.rejectedLines = lineTotals.rejectedLines
    totals.differences = differences.count
    totals.doubleDepositedLicenses = stream.doubleDeposits.reduce(0) { $0 + $1.twin.quantity }
    try key("totals")
    try output.write(try value(totals))
    try list("transfers") { emit in try stream.ledger.forEachTransfer { try emit($0) } }
    if let until = options.until {
      try key("until")
      try output.write(try value(until))
    }
    try output.write("\n}\n")
    return differences.isEmpty && totals.overAgeLicenses == 0 && stream.ssmProblems.isEmpty
      && stream.doubleDeposits.isEmpty
  }

  public static func html(_ report: ReconciliationReport) -> String {
    var body = "<h1>Deposit reconciliation</h1>\n"
    var scope = "As of \(report.asOf)"
    if let since = report.since { scope += ", deposits from \(since)" }
    if let until = report.until { scope += ", deposits until \(until)" }
    if let against = report.against { scope += ", compared with SSM export \((against as NSString).lastPathComponent)" }
    body += "<p class=\"meta\">\(HTML.escape(scope)). Generated \(HTML.escape(report.generatedAt)).</p>\n"
    if report.reconciles {
      body += "<p><span class=\"status ok\">Everything reconciles</span></p>\n"
    } else {
      var problems: [String] = []
      if !report.differences.isEmpty {
        problems.append(
          "\(report.differences.count) balance difference\(report.differences.count == 1 ? "" : "s") with SSM")
      }
      if !report.overAge.isEmpty {
        problems.append(
          "\(report.totals.overAgeLicenses) held license\(report.totals.overAgeLicenses == 1 ? "" : "s") older than \(report.holdingMaxAgeDays) days"
        )
      }
      if !report.doubleDeposits.isEmpty {
        problems.append(
          "\(report.doubleDeposits.count) order line\(report.doubleDeposits.count == 1 ? "" : "s") deposited twice")
      }
      if !report.ssmProblems.isEmpty {
        problems.append("\(report.ssmProblems.count) unreadable SSM row\(report.ssmProblems.count == 1 ? "" : "s")")
      }
      body += "<p><span class=\"status warn\">\(HTML.escape(problems.joined(separator: "; ")))</span></p>\n"
    }
    body += HTML.cards([
      ("licenses ordered", HTML.number(report.totals.ordered)),
      ("deposited", HTML.number(report.totals.deposited)),
      ("transferred from holding", HTML.number(report.totals.transferred)),
      ("still held", HTML.number(report.totals.held)),
      ("rejected lines", HTML.number(report.totals.rejectedLines)),
      ("differences with SSM", report.against == nil ? "—" : HTML.number(report.totals.differences)),
      ("over-age held licenses", HTML.number(report.totals.overAgeLicenses)),
    ])
    if report.against != nil {
      body += "<h2>Differences with Smart Software Manager</h2>\n"
      if report.differences.isEmpty {
        body += "<p>Every Smart Account, Virtual Account and SKU matches the export.</p>\n"
      } else {
        body +=
          "<p class=\"note\">difference = SSM − ledger: positive when SSM shows more licenses than were deposited.</p>\n"
        body += HTML.table(
          headers: [
            "smart account", "virtual account", "SKU", "ledger", "SSM", "difference", "what differs",
            "SSM's order lines",
          ],
          rows: report.differences.map {
            [
              $0.smartAccount, $0.virtualAccount, $0.sku, HTML.number($0.ledger), HTML.number($0.ssm),
              signed($0.difference), PlainWords.differenceKind($0.kind), $0.ssmOrderLines.joined(separator: ", "),
            ]
          },
          numeric: [3, 4, 5], nowrap: [2], problem: { _ in true })
      }
      for problem in report.ssmProblems { body += "<p class=\"note\">\(HTML.escape(problem))</p>\n" }
    }
    if !report.doubleDeposits.isEmpty {
      body += "<h2>Order lines deposited twice</h2>\n"
      body +=
        "<p class=\"note\">Each line below was deposited twice under two spellings of one identity (before spellings were compared by meaning). Nothing was removed: correct each by hand; <code>smartdeposit ledger doctor</code> lists them too.</p>\n"
      body += HTML.table(
        headers: [
          "web order", "line", "smart account", "virtual account", "SKU", "quantity", "first file", "second file",
        ],
        rows: report.doubleDeposits.map {
          [
            "\($0.kept.webOrderID) / \($0.twin.webOrderID)", "\($0.kept.lineNumber) / \($0.twin.lineNumber)",
            $0.twin.smartAccount, $0.twin.virtualAccount, $0.twin.sku, HTML.number($0.twin.quantity), $0.kept.file,
            $0.twin.file,
          ]
        }, numeric: [5], nowrap: [4], problem: { _ in true })
    }
    body += "<h2>Held licenses by age</h2>\n"
    if report.held.isEmpty {
      body += "<p>No licenses are held in partner holding accounts.</p>\n"
    } else {
      let bars = report.totals.heldByAge.map { bucket -> (label: String, first: Int, second: Int) in
        let label = bucket.toDays.map { "\(bucket.fromDays)–\($0) days" } ?? "\(bucket.fromDays)+ days"
        let overAge = bucket.fromDays > report.holdingMaxAgeDays
        return (label, overAge ? 0 : bucket.licenses, overAge ? bucket.licenses : 0)
      }
      body += HTML.barChart(
        title: "Held licenses by age", bars: bars, firstName: "within limit",
        secondName: "over \(report.holdingMaxAgeDays) days")
      if !report.overAge.isEmpty {
        body += "<h2>Held longer than \(report.holdingMaxAgeDays) days</h2>\n"
        body += HTML.table(
          headers: [
            "holding account", "virtual account", "SKU", "web order", "line", "held", "deposited on", "age (days)",
          ],
          rows: report.overAge.map {
            [
              $0.smartAccount, $0.virtualAccount, $0.sku, $0.webOrderID, $0.lineNumber, HTML.number($0.held),
              $0.depositedOn, HTML.number($0.ageDays),
            ]
          },
          numeric: [5, 7], nowrap: [2, 3, 4, 6], problem: { _ in true })
      }
    }
    if !report.transfers.isEmpty {
      body += "<h2>Where held licenses went</h2>\n"
      let shown = report.transfers.prefix(htmlRowLimit)
      body += HTML.table(
        headers: [
          "holding account", "web order / line", "SKU", "quantity", "to smart account / virtual account",
          "transfer id", "partner", "date", "file",
        ],
        rows: shown.map {
          [
            $0.fromSmartAccount, "\($0.webOrderID) / \($0.lineNumber)", $0.sku, HTML.number($0.quantity),
            "\($0.toSmartAccount) / \($0.toVirtualAccount)", $0.transferID, $0.source, $0.date, $0.file,
          ]
        }, numeric: [3], nowrap: [1, 2, 5, 7])
      if report.totals.transferRows > shown.count {
        body +=
          "<p class=\"note\">The first \(HTML.number(shown.count)) of \(HTML.number(report.totals.transferRows)) transfers are shown; --format csv or json lists them all.</p>\n"
      }
      let received = report.balancesBySource.filter { $0.via == "transfer" }
      body += "<h2>Where customers' licenses came from</h2>\n"
      body +=
        "<p class=\"note\">Licenses that reached a customer's account from a partner's holding account; the rest of each balance was deposited directly (balances --by-source shows both).</p>\n"
      let receivedShown = received.prefix(htmlRowLimit)
      body += HTML.table(
        headers: ["smart account", "virtual account", "SKU", "licenses", "from holding account", "partner"],
        rows: receivedShown.map {
          [
            $0.smartAccount, $0.virtualAccount, $0.sku, HTML.number($0.available + $0.held), $0.fromSmartAccount,
            $0.source,
          ]
        }, numeric: [3], nowrap: [2])
      if received.count > receivedShown.count {
        body +=
          "<p class=\"note\">The first \(HTML.number(receivedShown.count)) of \(HTML.number(received.count)) are shown; --format csv or json lists them all.</p>\n"
      }
    }
    body += "<h2>Balances per account</h2>\n"
    var perAccount: [String: (Int, Int)] = [:]
    for balance in report.balances {
      let value = perAccount[balance.smartAccount] ?? (0, 0)
      perAccount[balance.smartAccount] = (value.0 + balance.available, value.1 + balance.held)
    }
    let accountBars = perAccount.sorted { ($0.value.0 + $0.value.1, $1.key) > ($1.value.0 + $1.value.1, $0.key) }
      .prefix(40)
      .map { (label: $0.key, first: $0.value.0, second: $0.value.1) }
    body += HTML.barChart(
      title: "Licenses per Smart Account", bars: Array(accountBars), firstName: "available", secondName: "held")
    body += HTML.table(
      headers: ["smart account", "virtual account", "SKU", "available", "held"],
      rows: report.balances.map {
        [$0.smartAccount, $0.virtualAccount, $0.sku, HTML.number($0.available), HTML.number($0.held)]
      },
      numeric: [3, 4], nowrap: [2])
    if report.totals.balanceRows > report.balances.count {
      body +=
        "<p class=\"note\">The first \(HTML.number(report.balances.count)) of \(HTML.number(report.totals.balanceRows)) balances are shown; --format csv or json lists them all.</p>\n"
    }
    body += "<h2>Order lines</h2>\n"
    let shown = report.lines.prefix(htmlRowLimit)
    body += HTML.table(
      headers: [
        "web order", "line", "smart account", "virtual account", "SKU", "ordered", "deposited", "transferred", "held",
        "status",
      ],
      rows: shown.map {
        [
          $0.webOrderID, $0.lineNumber, $0.smartAccount, $0.virtualAccount, $0.sku, HTML.number($0.ordered),
          HTML.number($0.deposited), HTML.number($0.transferred), HTML.number($0.held),
          PlainWords.lineStatus($0.status)
            + ($0.reason.isEmpty ? "" : ": \(PlainWords.rejectCode($0.reason)) (\($0.reason))"),
        ]
      }, numeric: [5, 6, 7, 8], nowrap: [0, 1, 4], problem: { shown[shown.startIndex + $0].status == "rejected" })
    body += HTML.legend([
      ("deposited, available", "in a customer's or limited-use account, usable"),
      ("held for a partner", "in a partner's holding account, not yet transferred to the end customer"),
      ("partly transferred", "some of the held licenses went to the customer, the rest are still held"),
      ("transferred to the customer", "every held license of the line went to a customer account"),
      ("rejected, not deposited", "the line was refused; rejects.csv of its run says why"),
    ])
    if report.totals.orderLines > shown.count {
      body +=
        "<p class=\"note\">The first \(HTML.number(shown.count)) of \(HTML.number(report.totals.orderLines)) lines are shown; --format csv lists them all.</p>\n"
    }
    return HTML.page(title: "smartdeposit reconciliation \(report.asOf)", body: body)
  }

  private static func signed(_ value: Int) -> String { value > 0 ? "+" + HTML.number(value) : HTML.number(value) }
}

/// Any encodable value, so that one list writer takes every element type.
private struct AnyEncodable: Encodable {
  let value: Encodable
  init(_ value: Encodable) { self.value = value }
  func encode(to encoder: Encoder) throws { try value.encode(to: encoder) }
}
