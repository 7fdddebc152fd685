import Foundation
import SmartDeposit
import SmartDepositTestSupport
import Testing

/// Opens the HTML reports in a real headless Chromium and checks that they
/// render: the page loads, its content is in the DOM, nothing is reported on
/// the console. `.ci/run` installs Chromium; on a machine without it the
/// test runs only when CI is not set, and then fails to say what is missing.
@Suite("HTML reports in a browser", .serialized)
struct HTMLRenderTests {
  static let chromium: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
    .first { FileManager.default.isExecutableFile(atPath: $0) }

  static var shouldRun: Bool { chromium != nil || ProcessInfo.processInfo.environment["CI"] != nil }

  /// The DOM Chromium built from the page, and what it logged.
  private func render(_ page: URL) throws -> (dom: String, log: String) {
    let chromium = try #require(Self.chromium, "Chromium is not installed (apt-get install chromium)")
    let profile = FileManager.default.temporaryDirectory.appendingPathComponent("chromium-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: profile) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: chromium)
    process.arguments = [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--user-data-dir=\(profile.path)",
      "--enable-logging=stderr", "--v=0", "--virtual-time-budget=2000", "--dump-dom", page.absoluteString,
    ]
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    let watchdog = DispatchWorkItem { process.terminate() }
    DispatchQueue.global().asyncAfter(deadline: .now() + 90, execute: watchdog)
    let dom = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    let log = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    watchdog.cancel()
    #expect(process.terminationStatus == 0, "\(log)")
    return (dom, log)
  }

  @Test(.enabled(if: HTMLRenderTests.shouldRun))
  func runReportAndReconciliationRender() throws {
    let drop = try TestDrop()
    try drop.drop(
      "globalnet/bulk.csv",
      "\(csvHeader)\n1,S,P,2026-11-27,1.0,SKU-H,10,PERPETUAL,,,holding.globalnet.example,Stock,,\n2,S,P,2026-11-27,1.0,SKU-A,4,PERPETUAL,,,acme.com,Campus,<b>Acme</b>,\n3,S,P,2026-11-27,1.0,SKU-A,4,PERPETUAL,,,nosuch.example,,,\n"
    )
    let result = try drop.run()
    let run = try render(URL(fileURLWithPath: result.reportFolder + "/report.html"))
    #expect(run.dom.contains("Deposit run \(result.summary.runID)"))
    #expect(run.dom.contains("<svg"))
    #expect(run.dom.contains("unknown-smart-account"))
    #expect(!run.log.contains(":CONSOLE"), "\(run.log)")
    #expect(!run.log.contains("Uncaught"), "\(run.log)")

    let export = drop.root.appendingPathComponent("ssm.csv")
    try "smart_account,virtual_account,sku,quantity\nacme.com,Campus,SKU-A,3\n".write(
      to: export, atomically: true, encoding: .utf8)
    let report = try ReconciliationReport.build(
      ledger: drop.ledger(), against: export.path, since: nil, until: nil, asOf: "2099-01-01", holdingMaxAgeDays: 90)
    let page = drop.root.appendingPathComponent("reconcile.html")
    try ReconciliationRenderer.html(report).write(to: page, atomically: true, encoding: .utf8)
    let reconcile = try render(page)
    #expect(reconcile.dom.contains("Deposit reconciliation"))
    #expect(reconcile.dom.contains("Held longer than 90 days"))
    #expect(reconcile.dom.contains("in the ledger, not in SSM"))
    #expect(!reconcile.log.contains(":CONSOLE"), "\(reconcile.log)")
  }

  /// A ledger of 5,000 accounts: the pages keep their caps and say so, and
  /// still render whole.
  @Test(.enabled(if: HTMLRenderTests.shouldRun))
  func pagesOfALargeLedgerKeepTheirCaps() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("smartdeposit-html-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: folder) }
    try generateDrop(
      into: folder,
      [
        "--lines", "12000", "--partner-lines", "1000", "--files", "2", "--accounts", "5000", "--mistakes", "--seed",
        "3",
      ])
    let run = try runCommand(["run", "--json"], in: folder)
    #expect(run.status == 65)
    let summary = try #require(try JSONSerialization.jsonObject(with: Data(run.standardOutput.utf8)) as? [String: Any])
    let runID = try #require(summary["run_id"] as? String)
    let page = try render(folder.appendingPathComponent("var/reports/\(runID)/report.html"))
    #expect(page.dom.contains("The 40 largest of"))
    #expect(page.dom.contains("13,000"))
    #expect(!page.log.contains(":CONSOLE"), "\(page.log)")

    let out = folder.appendingPathComponent("reconcile.html")
    let reconcile = try runCommand(
      ["reconcile", "--format", "html", "--out", out.path, "--as-of", "2026-12-01"], in: folder)
    #expect(reconcile.status == 0 || reconcile.status == 65, "\(reconcile.standardError)")
    let rendered = try render(out)
    #expect(rendered.dom.contains("The first 5,000 of"))
    #expect(rendered.dom.contains("Order lines"))
    // The page holds at most the capped rows of each list, not the ledger.
    let rows = rendered.dom.components(separatedBy: "<tr").count - 1
    #expect(rows < 4 * ReconciliationRenderer.htmlRowLimit, "\(rows) table rows")
    #expect(!rendered.log.contains(":CONSOLE"), "\(rendered.log)")
  }
}
