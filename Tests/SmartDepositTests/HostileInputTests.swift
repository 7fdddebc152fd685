import Foundation
import SmartDeposit
import SmartDepositTestSupport
import Testing

/// Files from outside the company are untrusted: each hostile case is either
/// quarantined with a reason or rejected line by line, the good files beside
/// it still deposit, and no local file's content ever reaches an output.
@Suite("Hostile and broken input")
struct HostileInputTests {
  /// Text from /etc/passwd that must never appear in a report, reason or log.
  static let secret = "root:x:0:0"

  static let quarantined: [(String, String)] = [
    ("billion-laughs.xml", "doctype-forbidden"),
    ("quadratic-blowup.xml", "doctype-forbidden"),
    ("xxe-file.xml", "doctype-forbidden"),
    ("xxe-http.xml", "doctype-forbidden"),
    ("external-dtd.xml", "doctype-forbidden"),
    ("parameter-entities.xml", "doctype-forbidden"),
    ("doctype-utf16.xml", "doctype-forbidden"),
    ("xinclude.xml", "xinclude-forbidden"),
    ("invalid-utf8.xml", "not-well-formed"),
    ("nul-byte.xml", "not-well-formed"),
    ("utf16-bom.csv", "unsupported-encoding"),
  ]

  private func everythingWritten(_ drop: TestDrop) throws -> String {
    var text = ""
    for folder in [drop.reportsDir, drop.quarantine] {
      for name in drop.files(in: folder)
      where name.hasSuffix(".csv") || name.hasSuffix(".json") || name.hasSuffix(".html") || name.hasSuffix(".txt") {
        text += (try? String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)) ?? ""
      }
    }
    return text
  }

  @Test(arguments: Backend.tested, quarantined)
  func attacksAndBrokenFilesAreQuarantined(backend: Backend, fixture: (String, String)) throws {
    let (name, cause) = fixture
    let drop = try TestDrop(backend: backend)
    try drop.dropFixture("hostile/\(name)")
    try drop.dropFixture("quarantine/good.xml", as: "zz-good.xml")
    let started = Date()
    let result = try drop.run()
    #expect(Date().timeIntervalSince(started) < 30)
    let detail = try #require(result.summary.filesDetail.first { $0.name == name })
    #expect(detail.outcome == .quarantined)
    #expect(detail.reason.contains(cause), "\(detail.reason)")
    #expect(result.summary.lines.deposited == 1)
    #expect(try drop.ledger().depositCount() == 1)
    #expect(!(try everythingWritten(drop)).contains(Self.secret))
  }

  static let workbooks: [(String, String)] = [
    ("xlsx-zip-bomb.xlsx", "file-too-large"),
    ("xlsx-lying-sizes.xlsx", "file-too-large"),
    ("xlsx-doctype.xlsx", "doctype-forbidden"),
    ("xlsx-truncated.xlsx", "invalid-workbook"),
    ("xlsx-not-a-zip.xlsx", "invalid-workbook"),
    ("xlsx-no-worksheet.xlsx", "invalid-workbook"),
    ("cxml-internal-subset.xml", "doctype-forbidden"),
    ("pip3a4-billion-laughs.xml", "doctype-forbidden"),
  ]

  /// With `max_file_bytes` at 16 MiB, a workbook inflating past it is a zip bomb.
  @Test(arguments: workbooks)
  func brokenWorkbooksAndPurchaseOrdersAreQuarantined(fixture: (String, String)) throws {
    let (name, cause) = fixture
    let drop = try TestDrop(extraConfig: "[limits]\nmax_file_bytes = 16777216\n")
    try drop.dropFixture("hostile/\(name)")
    try drop.dropFixture("quarantine/good.xml", as: "zz-good.xml")
    let result = try drop.run()
    let detail = try #require(result.summary.filesDetail.first { $0.name == name })
    #expect(detail.outcome == .quarantined)
    #expect(detail.reason.contains(cause), "\(detail.reason)")
    #expect(result.summary.lines.deposited == 1)
    #expect(drop.files(in: drop.quarantine).contains { $0.hasSuffix(name) })
  }

  @Test func windows1252BytesFrom0x80To0x9FAreDecoded() throws {
    let drop = try TestDrop()
    try drop.dropFixture("hostile/windows-1252-c1.csv")
    let result = try drop.run()
    #expect(result.summary.lines.deposited == 1)
    let customer = try drop.sqliteLedger().scalar("SELECT end_customer FROM deposits")
    #expect(customer == "\u{201C}Caf\u{E9}\u{201D} \u{2013} \u{20AC}5 \u{2122} \u{0152}uvre\u{2026}")
  }

  static let readable: [(String, Int, Int, [String])] = [
    // name, lines read, deposited, reject codes
    ("latin1.xml", 1, 1, []),
    ("utf16.xml", 1, 1, []),
    ("comment-with-doctype-text.xml", 1, 1, []),
    ("ragged.csv", 3, 1, ["malformed-record", "malformed-record"]),
    ("unterminated-quote.csv", 2, 1, ["malformed-record"]),
    ("nul-in-row.csv", 2, 1, ["malformed-record"]),
    ("invalid-utf8-row.csv", 2, 1, ["malformed-record"]),
    ("header-only.csv", 0, 0, []),
    ("formula-injection.csv", 1, 0, ["unknown-smart-account"]),
  ]

  @Test(arguments: readable)
  func brokenRowsAreRejectedAndTheRestDeposits(name: String, read: Int, deposited: Int, codes: [String]) throws {
    let drop = try TestDrop()
    try drop.dropFixture("hostile/\(name)")
    let result = try drop.run()
    #expect(result.summary.files.quarantined == 0)
    #expect(result.summary.lines.read == read)
    #expect(result.summary.lines.deposited == deposited)
    let rejects = try drop.report(result, "rejects.csv").dropFirst().map { $0[4] }
    #expect(rejects == codes)
    for row in try drop.report(result, "rejects.csv") + drop.report(result, "deposits.csv") {
      for cell in row {
        if let first = cell.unicodeScalars.first { #expect(!"=+-@\t\r".unicodeScalars.contains(first), "\(cell)") }
      }
    }
  }

  @Test func otherEncodingsAreReadCorrectly() throws {
    for name in ["latin1.xml", "utf16.xml"] {
      let drop = try TestDrop()
      try drop.dropFixture("hostile/\(name)")
      _ = try drop.run()
      let customer = try drop.sqliteLedger().scalar("SELECT end_customer FROM deposits")
      #expect(customer == "Société Générale", "\(name)")
    }
  }

  @Test func hugeTextNodeAndHugeFieldAreBounded() throws {
    let drop = try TestDrop()
    let xml = drop.inbox.appendingPathComponent("huge-text.xml")
    FileManager.default.createFile(atPath: xml.path, contents: nil)
    let handle = try FileHandle(forWritingTo: xml)
    try handle.write(contentsOf: Data("<?xml version=\"1.0\"?>\n<OrderDrop><Order webOrderId=\"1\"><EndCustomer>".utf8))
    let chunk = Data(repeating: 0x41, count: 1 << 20)
    for _ in 0..<100 { try handle.write(contentsOf: chunk) }
    try handle.write(contentsOf: Data("</EndCustomer></Order></OrderDrop>\n".utf8))
    try handle.close()
    let csv = drop.inbox.appendingPathComponent("huge-field.csv")
    var text = csvHeader + "\n1,S,P,2026-11-27,1.0,"
    text += String(repeating: "x", count: 10 << 20)
    text += ",1,PERPETUAL,,,acme.com,,,\n"
    try text.write(to: csv, atomically: false, encoding: .utf8)
    let started = Date()
    let result = try drop.run()
    #expect(Date().timeIntervalSince(started) < 60)
    #expect(result.summary.files.quarantined == 2)
    let causes = result.summary.filesDetail.map(\.reason)
    #expect(causes.allSatisfy { $0.contains("field-too-long") || $0.contains("not-well-formed") }, "\(causes)")
  }

  @Test func specialFilesAndOddNamesInTheInbox() throws {
    let drop = try TestDrop()
    #expect(mkfifo(drop.inbox.appendingPathComponent("pipe.xml").path, 0o644) == 0)
    try FileManager.default.createDirectory(
      at: drop.inbox.appendingPathComponent("globalnet/nested"), withIntermediateDirectories: true)
    let names = ["with space.csv", "new\nline.csv", "quote\"d.csv", "naïve-ü.csv", "-leading-dash.csv"]
    for (index, name) in names.enumerated() {
      try drop.drop(name, "\(csvHeader)\n\(700 + index),S,P,2026-11-27,1.0,SKU,1,PERPETUAL,,,acme.com,,,\n")
    }
    let result = try drop.run()
    #expect(result.summary.files.processed == names.count)
    #expect(result.summary.lines.deposited == names.count)
    #expect(Set(result.summary.notTaken.map(\.name)) == ["pipe.xml", "globalnet/nested/"])
    let archived = drop.files(in: drop.archive).map { String($0.split(separator: "/", maxSplits: 1)[1]) }
    #expect(Set(archived) == Set(names))
    // Every CSV the program wrote parses back to the right shape.
    let deposits = try drop.report(result, "deposits.csv")
    #expect(deposits.count == names.count + 1)
    #expect(deposits.allSatisfy { $0.count == DepositRowFormatter.header.count })
  }

  @Test func aNameClashInTheArchiveNeverOverwrites() throws {
    let drop = try TestDrop()
    try drop.drop("orders.csv", "\(csvHeader)\n801,S,P,2026-11-27,1.0,SKU,1,PERPETUAL,,,acme.com,,,\n")
    _ = try drop.run()
    try drop.drop("orders.csv", "\(csvHeader)\n802,S,P,2026-11-27,1.0,SKU,1,PERPETUAL,,,acme.com,,,\n")
    _ = try drop.run()
    let archived = drop.files(in: drop.archive)
    #expect(archived.count == 2)
    let contents = Set(
      try archived.map { try String(contentsOf: drop.archive.appendingPathComponent($0), encoding: .utf8) })
    #expect(contents.count == 2)
  }
}
