/// HTML building blocks shared by the run report and the reconciliation report.
public enum HTML {
  /// Escapes text for an element body or a quoted attribute.
  public static func escape(_ text: String) -> String {
    // Byte by byte: the five characters are ASCII, so no UTF-8 sequence can
    // hold one, and most texts (ids, SKUs, accounts) have none at all.
    func special(_ byte: UInt8) -> Bool {
      byte == 0x26 || byte == 0x3C || byte == 0x3E || byte == 0x22 || byte == 0x27
    }
    guard text.utf8.contains(where: special) else { return text }
    var result: [UInt8] = []
    result.reserveCapacity(text.utf8.count + 16)
    for byte in text.utf8 {
      switch byte {
      case 0x26: result.append(contentsOf: "&amp;".utf8)
      case 0x3C: result.append(contentsOf: "&lt;".utf8)
      case 0x3E: result.append(contentsOf: "&gt;".utf8)
      case 0x22: result.append(contentsOf: "&quot;".utf8)
      case 0x27: result.append(contentsOf: "&#39;".utf8)
      default: result.append(byte)
      }
    }
    return String(decoding: result, as: UTF8.self)
  }

  /// A complete page with the house stylesheet; no external assets.
  public static func page(title: String, body: String) -> String {
    """
    <!DOCTYPE html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>\(escape(title))</title>
    <style>
    body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2733; margin: 2rem auto; max-width: 1400px; padding: 0 1rem; }
    h1 { font-size: 1.6rem; margin-bottom: .2rem; }
    h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #d5dbe1; padding-bottom: .2rem; }
    .meta { color: #5b6975; margin-top: 0; }
    .status { display: inline-block; padding: .2rem .6rem; border-radius: .3rem; font-weight: 600; }
    .ok { background: #e3f4e8; color: #17613a; }
    .warn { background: #fff3d6; color: #7a5200; }
    .bad { background: #fde4e4; color: #8f1d1d; }
    .cards { display: flex; flex-wrap: wrap; gap: .8rem; margin: 1rem 0; }
    .card { border: 1px solid #d5dbe1; border-radius: .4rem; padding: .6rem .9rem; min-width: 8.5rem; }
    .card .value { font-size: 1.4rem; font-weight: 650; }
    .card .label { color: #5b6975; font-size: .85rem; }
    table { border-collapse: collapse; width: 100%; margin: .6rem 0; }
    th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #e6eaee; vertical-align: top; }
    th { background: #f3f5f7; font-weight: 600; }
    td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
    td.nowrap { white-space: nowrap; }
    dl.legend { display: grid; grid-template-columns: max-content 1fr; gap: .15rem .8rem; font-size: .9rem; color: #3d4a56; }
    dl.legend dt { font-weight: 600; }
    dl.legend dd { margin: 0; }
    tr.problem td { background: #fff6f6; }
    code { font-size: .9em; }
    .note { color: #5b6975; font-size: .9rem; }
    svg text { font: 12px system-ui, sans-serif; fill: #1d2733; }
    @media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; } tr { break-inside: avoid; } }
    </style>
    </head>
    <body>
    \(body)
    </body>
    </html>

    """
  }

  /// A whole number with thousands separators, as a person reads it: `49,381,768`.
  public static func number(_ value: Int) -> String {
    let digits = String(value.magnitude)
    var grouped = ""
    for (index, digit) in digits.enumerated() {
      if index > 0 && (digits.count - index) % 3 == 0 { grouped.append(",") }
      grouped.append(digit)
    }
    return value < 0 ? "−" + grouped : grouped
  }

  /// A list of terms and what they mean, under a table that uses them.
  public static func legend(_ entries: [(term: String, meaning: String)]) -> String {
    var html = "<dl class=\"legend\">\n"
    for entry in entries { html += "<dt>\(escape(entry.term))</dt><dd>\(escape(entry.meaning))</dd>\n" }
    return html + "</dl>\n"
  }

  /// A table; `numeric` marks the columns to right-align, `nowrap` those
  /// never to break (SKUs, ids), `problem` the rows to highlight.
  public static func table(
    headers: [String], rows: [[String]], numeric: Set<Int> = [], nowrap: Set<Int> = [],
    problem: (Int) -> Bool = { _ in false }
  ) -> String {
    var html = "<table>\n<thead><tr>"
    for (index, header) in headers.enumerated() {
      html += numeric.contains(index) ? "<th class=\"num\">" : "<th>"
      html += escape(header) + "</th>"
    }
    html += "</tr></thead>\n<tbody>\n"
    for (rowIndex, row) in rows.enumerated() {
      html += problem(rowIndex) ? "<tr class=\"problem\">" : "<tr>"
      for (index, cell) in row.enumerated() {
        html +=
          numeric.contains(index) ? "<td class=\"num\">" : nowrap.contains(index) ? "<td class=\"nowrap\">" : "<td>"
        html += escape(cell) + "</td>"
      }
      html += "</tr>\n"
    }
    return html + "</tbody>\n</table>\n"
  }

  /// Summary figures as cards.
  public static func cards(_ items: [(label: String, value: String)]) -> String {
    var html = "<div class=\"cards\">\n"
    for item in items {
      html +=
        "<div class=\"card\"><div class=\"value\">\(escape(item.value))</div><div class=\"label\">\(escape(item.label))</div></div>\n"
    }
    return html + "</div>\n"
  }

  /// A horizontal stacked bar chart as inline SVG: one bar per label with two series.
  public static func barChart(
    title: String, bars: [(label: String, first: Int, second: Int)], firstName: String, secondName: String
  ) -> String {
    guard !bars.isEmpty else { return "<p class=\"note\">Nothing to chart.</p>\n" }
    let rowHeight = 22
    let labelWidth = 300
    let barWidth = 560
    let height = bars.count * rowHeight + 40
    let maximum = max(1, bars.map { $0.first + $0.second }.max() ?? 1)
    var svg =
      "<svg role=\"img\" aria-label=\"\(escape(title))\" width=\"\(labelWidth + barWidth + 90)\" height=\"\(height)\" xmlns=\"http://www.w3.org/2000/svg\">\n"
    svg += "<title>\(escape(title))</title>\n"
    for (index, bar) in bars.enumerated() {
      let y = index * rowHeight + 4
      let firstWidth = bar.first * barWidth / maximum
      let secondWidth = bar.second * barWidth / maximum
      let label = bar.label.count > 44 ? String(bar.label.prefix(43)) + "…" : bar.label
      svg += "<text x=\"\(labelWidth - 6)\" y=\"\(y + 14)\" text-anchor=\"end\">\(escape(label))</text>\n"
      svg +=
        "<rect x=\"\(labelWidth)\" y=\"\(y)\" width=\"\(firstWidth)\" height=\"16\" fill=\"#2f7bbf\"><title>\(escape(firstName)): \(number(bar.first))</title></rect>\n"
      svg +=
        "<rect x=\"\(labelWidth + firstWidth)\" y=\"\(y)\" width=\"\(secondWidth)\" height=\"16\" fill=\"#e0a030\"><title>\(escape(secondName)): \(number(bar.second))</title></rect>\n"
      svg +=
        "<text x=\"\(labelWidth + firstWidth + secondWidth + 6)\" y=\"\(y + 14)\">\(number(bar.first + bar.second))</text>\n"
    }
    let legendY = bars.count * rowHeight + 16
    svg +=
      "<rect x=\"\(labelWidth)\" y=\"\(legendY)\" width=\"12\" height=\"12\" fill=\"#2f7bbf\"/><text x=\"\(labelWidth + 16)\" y=\"\(legendY + 11)\">\(escape(firstName))</text>\n"
    svg +=
      "<rect x=\"\(labelWidth + 110)\" y=\"\(legendY)\" width=\"12\" height=\"12\" fill=\"#e0a030\"/><text x=\"\(labelWidth + 126)\" y=\"\(legendY + 11)\">\(escape(secondName))</text>\n"
    return svg + "</svg>\n"
  }
}

/// The run's `report.html`: what a person reads the morning after.
struct RunReportPage {
  var summary: RunSummary
  var totalsByAccount: [String: (available: Int, held: Int)]
  var rejects: [Reject]

  func render() -> String {
    var body = ""
    let problems = summary.lines.rejected + summary.files.quarantined + summary.transfers.rejected
    let (statusClass, statusText): (String, String) =
      summary.exitCode == 0
      ? ("ok", "Everything taken was deposited")
      : (summary.exitCode == 65
        ? ("warn", "\(problems) problem\(problems == 1 ? "" : "s") need attention")
        : ("bad", "The run stopped with exit code \(summary.exitCode)"))
    body += "<h1>Deposit run \(HTML.escape(summary.runID))</h1>\n"
    body +=
      "<p class=\"meta\">Started \(HTML.escape(summary.startedAt)), finished \(HTML.escape(summary.finishedAt))\(summary.dryRun ? " — dry run, nothing was committed" : "")</p>\n"
    body += "<p><span class=\"status \(statusClass)\">\(HTML.escape(statusText))</span></p>\n"
    body += HTML.cards([
      ("lines read", HTML.number(summary.lines.read)),
      ("lines deposited", HTML.number(summary.lines.deposited)),
      ("of them held", HTML.number(summary.lines.held)),
      ("already deposited (no change)", HTML.number(summary.lines.duplicate)),
      ("lines rejected", HTML.number(summary.lines.rejected)),
      ("licenses deposited", HTML.number(summary.quantity.deposited)),
      ("licenses held", HTML.number(summary.quantity.held)),
      ("files processed", HTML.number(summary.files.processed)),
      ("files quarantined", HTML.number(summary.files.quarantined)),
      ("transfers applied", HTML.number(summary.transfers.applied)),
    ])
    if !summary.recoveredRuns.isEmpty {
      body +=
        "<p class=\"note\">Recovered after interrupted run(s): \(HTML.escape(summary.recoveredRuns.joined(separator: ", "))).</p>\n"
    }
    if !summary.rejectsByCode.isEmpty {
      body += "<h2>Rejects by code</h2>\n"
      let rows = summary.rejectsByCode.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map {
        [PlainWords.rejectCode($0.key), $0.key, HTML.number($0.value)]
      }
      body += HTML.table(headers: ["why", "code", "lines"], rows: rows, numeric: [2], nowrap: [1])
    }
    body += "<h2>Files</h2>\n"
    let fileRows = summary.filesDetail.map {
      [
        $0.name, $0.sender, $0.format, PlainWords.fileOutcome($0.outcome), HTML.number($0.lines),
        HTML.number($0.deposited), HTML.number($0.rejected), $0.reason,
      ]
    }
    body += HTML.table(
      headers: ["file", "from", "format", "outcome", "lines", "deposited", "rejected", "reason"], rows: fileRows,
      numeric: [4, 5, 6],
      problem: { summary.filesDetail[$0].outcome == .quarantined || summary.filesDetail[$0].rejected > 0 })
    if !summary.notTaken.isEmpty {
      body += "<h2>Not taken from the inbox</h2>\n"
      body += HTML.table(headers: ["name", "why"], rows: summary.notTaken.map { [$0.name, $0.reason] })
    }
    body += "<h2>Licenses deposited per account</h2>\n"
    let bars = totalsByAccount.sorted {
      ($0.value.available + $0.value.held, $1.key) > ($1.value.available + $1.value.held, $0.key)
    }
    .prefix(40).map { (label: $0.key, first: $0.value.available, second: $0.value.held) }
    body += HTML.barChart(
      title: "Licenses deposited per Smart Account / Virtual Account", bars: Array(bars), firstName: "available",
      secondName: "held")
    if totalsByAccount.count > 40 {
      body +=
        "<p class=\"note\">The 40 largest of \(HTML.number(totalsByAccount.count)) accounts are shown; deposits.csv lists every line.</p>\n"
    }
    body += HTML.legend([
      ("available", "deposited into a customer's or a limited-use account: the customer can use the licenses"),
      ("held", "deposited into a partner's holding account: waiting to be transferred to the end customer"),
    ])
    if !rejects.isEmpty {
      body += "<h2>Rejected lines</h2>\n"
      body += HTML.table(
        headers: [
          "file, line", "web order / line", "purchase order", "end customer", "SKU", "quantity",
          "smart account / virtual account", "why (code)",
        ],
        rows: rejects.map {
          let account = [$0.written.smartAccount, $0.written.virtualAccount].filter { !$0.isEmpty }
          return [
            "\($0.file):\($0.record)", "\($0.webOrderID) / \($0.lineNumber)", $0.written.purchaseOrder,
            $0.written.endCustomer, $0.written.sku, $0.written.quantity, account.joined(separator: " / "),
            "\($0.message) (\($0.code.rawValue))",
          ]
        },
        nowrap: [1, 2, 4], problem: { _ in true })
      if summary.lines.rejected + summary.transfers.rejected > rejects.count {
        body +=
          "<p class=\"note\">The first \(HTML.number(rejects.count)) are shown; rejects.csv lists all \(HTML.number(summary.lines.rejected + summary.transfers.rejected)).</p>\n"
      }
    }
    if !summary.accountProblems.isEmpty {
      body += "<h2>Accounts file problems</h2>\n<ul>\n"
      for problem in summary.accountProblems { body += "<li>\(HTML.escape(problem))</li>\n" }
      body += "</ul>\n"
    }
    return HTML.page(title: "smartdeposit run \(summary.runID)", body: body)
  }
}
