import Foundation

/// Renders the reconciliation report as CSV, JSON or HTML.
public enum ReconciliationRenderer {
  /// The rows of each list the HTML page shows; CSV and JSON list them all.
  public static let htmlRowLimit = 5000

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
