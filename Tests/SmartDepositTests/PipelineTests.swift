import Foundation
import SmartDeposit
import SmartDepositTestSupport
import Testing

@Suite("Run pipeline")
struct PipelineTests {
  static let rejectFixtures: [(String, [Int: String])] = [
    ("missing-smart-account", [3: "missing-smart-account"]),
    ("unknown-smart-account", [3: "unknown-smart-account"]),
    ("unknown-virtual-account", [3: "unknown-virtual-account"]),
    ("virtual-account-not-allowed", [3: "virtual-account-not-allowed"]),
    ("invalid-quantity", [3: "invalid-quantity"]),
    ("missing-sku", [3: "missing-sku"]),
    ("invalid-license-type", [3: "invalid-license-type"]),
    ("invalid-term", [3: "invalid-term"]),
    ("invalid-date", [3: "invalid-date"]),
    ("missing-order-id", [3: "missing-order-id"]),
    ("malformed-record", [3: "malformed-record"]),
    ("order-rejected", [2: "order-rejected", 3: "invalid-quantity"]),
    ("conflicting-line", [3: "order-rejected", 4: "conflicting-line"]),
    ("unauthorized-account", [3: "unauthorized-account"]),
  ]

  @Test(arguments: Backend.tested, rejectFixtures)
  func everyRejectCodeAtItsRecord(backend: Backend, fixture: (String, [Int: String])) throws {
    let (name, expected) = fixture
    let drop = try TestDrop(backend: backend)
    let inPartnerFolder = name == "unauthorized-account"
    let fileName = inPartnerFolder ? "globalnet/\(name).csv" : "\(name).csv"
    try drop.dropFixture("lines/\(name).csv", as: fileName)
    let result = try drop.run()
    let rejects = try drop.report(result, "rejects.csv")
    // SPEC §4's columns in their order, then the order's context and the line as written.
    #expect(
      rejects.first == [
        "file", "record", "web_order_id", "line_number", "code", "message", "purchase_order", "sales_order",
        "end_customer", "order_date", "sku", "quantity", "smart_account", "virtual_account",
      ])
    var found: [Int: String] = [:]
    for row in rejects.dropFirst() {
      #expect(row[0] == fileName)
      found[Int(row[1]) ?? -1] = row[4]
    }
    #expect(found == expected)
    #expect(result.summary.exitCode == 65)
    #expect(result.summary.lines.rejected == expected.count)
    #expect(result.summary.lines.read == (name == "conflicting-line" ? 3 : 2))
    // The good line of the other order (record 2, order 4001) is deposited in every fixture but order-rejected.
    let deposits = try drop.report(result, "deposits.csv")
    let depositedOrders = deposits.dropFirst().map { $0[2] }
    #expect(depositedOrders == (name == "order-rejected" ? [] : ["4001"]))
    for (code, count) in result.summary.rejectsByCode {
      #expect(count == expected.values.filter { $0 == code }.count)
    }
  }

  static let quarantineFixtures: [(String, String)] = [
    ("truncated.xml", "not-well-formed"),
    ("mismatched-tags.xml", "not-well-formed"),
    ("doctype.xml", "doctype-forbidden"),
    ("unknown-root.xml", "unknown-root"),
    ("garbage-after-root.xml", "not-well-formed"),
    ("too-deep.xml", "nesting-too-deep"),
    ("missing-columns.csv", "missing-columns"),
    ("duplicate-columns.csv", "duplicate-columns"),
    ("empty.csv", "empty-file"),
    ("utf16.csv", "unsupported-encoding"),
    ("not-gzip.csv.gz", "invalid-gzip"),
    ("truncated.xml.gz", "invalid-gzip"),
  ]

  @Test(arguments: Backend.tested, quarantineFixtures)
  func quarantineCauses(backend: Backend, fixture: (String, String)) throws {
    let (name, cause) = fixture
    let drop = try TestDrop(backend: backend)
    try drop.dropFixture("quarantine/\(name)")
    try drop.dropFixture("quarantine/good.xml", as: "zz-good.xml")
    let result = try drop.run()
    #expect(result.summary.files.quarantined == 1)
    #expect(result.summary.files.processed == 1)
    #expect(result.summary.lines.deposited == 1)  // the good file still deposits
    let detail = try #require(result.summary.filesDetail.first { $0.name == name })
    #expect(detail.outcome == .quarantined)
    #expect(detail.reason.hasPrefix("\(name):"))
    #expect(detail.reason.contains(cause))
    let quarantined = drop.files(in: drop.quarantine)
    #expect(quarantined.contains { $0.hasSuffix("/\(name)") })
    let reasonFile = try #require(quarantined.first { $0.hasSuffix("/\(name).reason.txt") })
    let reason = try String(contentsOf: drop.quarantine.appendingPathComponent(reasonFile), encoding: .utf8)
    #expect(reason.contains("cause: \(cause)"))
    #expect(drop.files(in: drop.inbox).isEmpty)
    #expect(try drop.ledger().depositCount() == 1)
  }

  @Test(arguments: Backend.tested)
  func redroppedFileUnderAnotherNameDepositsOnce(backend: Backend) throws {
    let drop = try TestDrop(backend: backend)
    try drop.dropFixture("quarantine/good.xml", as: "a.xml")
    let first = try drop.run()
    #expect(first.summary.lines.deposited == 1)
    try drop.dropFixture("quarantine/good.xml", as: "b-copy.xml")
    let second = try drop.run()
    #expect(second.summary.files.duplicate == 1)
    #expect(second.summary.lines.read == 0)
    #expect(second.summary.exitCode == 0)
    #expect(try drop.ledger().depositCount() == 1)
    #expect(drop.files(in: drop.archive).count == 2)  // both names archived, neither overwritten
  }

  @Test(arguments: Backend.tested)
  func aSyncUpdatesRespellsNothingAndRemovesNothing(backend: Backend) throws {
    let drop = try TestDrop(backend: backend)
    // A first sync: an account and a VA spelled one way.
    _ = try drop.ledger().syncRegistry([
      SmartAccount(identifier: "acme.com", name: "Acme", type: .customer, virtualAccounts: ["Campus"]),
      SmartAccount(identifier: "old.example", name: "Old", type: .customer, virtualAccounts: ["Lab"]),
    ])
    // A second one renames, respells a VA (the first spelling stays), adds an account and a VA,
    // and no longer lists old.example (which stays: nothing is removed).
    // holding.example is listed twice: the second row updates what the first inserted.
    let ledger = try drop.ledger()
    let result = try ledger.syncRegistry([
      SmartAccount(identifier: "ACME.com", name: "Acme Corp", type: .customer, virtualAccounts: ["CAMPUS", "Branch"]),
      SmartAccount(identifier: "holding.example", name: "Holding", type: .holding, partner: "x", virtualAccounts: []),
      SmartAccount(
        identifier: "holding.example", name: "Holding", type: .holding, partner: "globalnet", virtualAccounts: []),
    ])
    #expect(result.accountsAdded == 1)
    #expect(result.accountsUpdated == 2)
    let read = try drop.ledger().registry().all
    #expect(read.map(\.identifier) == ["acme.com", "holding.example", "old.example"])
    #expect(read.first?.virtualAccounts == ["DEFAULT", "Branch", "Campus"])
    #expect(read.first?.name == "Acme Corp")
    #expect(read.dropFirst().first?.partner == "globalnet")
  }

  /// A new ledger takes its first file under the rollback journal (each
  /// page written once) and is in WAL mode from its commit on; a ledger
  /// opened again is in WAL mode from the start.
  @Test func aNewLedgersFirstFileGoesThroughTheRollbackJournal() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("smartdeposit-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: folder) }
    let path = folder.appendingPathComponent("ledger.sqlite").path
    let record = FileRecord(
      sha256: "first", name: "first.csv", format: .csv, sender: "ccw", runID: "run", outcome: .processed, lines: 0,
      rejected: 0, reason: "", disposition: .pending)
    do {
      let ledger = try SQLiteLedger(path: path)
      defer { ledger.close() }
      #expect(try ledger.scalar("PRAGMA journal_mode") == "delete")
      #expect(try ledger.scalar("PRAGMA synchronous") == "3")  // EXTRA
      try ledger.inFileTransaction(record, pacing: .batchByBatch) { _ in
        #expect(FileManager.default.fileExists(atPath: path + "-journal"))
      }
      #expect(try ledger.scalar("PRAGMA journal_mode") == "wal")
      #expect(try ledger.scalar("PRAGMA synchronous") == "2")  // FULL
    }
    let again = try SQLiteLedger(path: path)
    defer { again.close() }
    #expect(try again.scalar("PRAGMA journal_mode") == "wal")
    #expect(try again.scalar("PRAGMA synchronous") == "2")  // FULL
    #expect(try again.scalar("SELECT count(*) FROM files WHERE name = 'first.csv'") == "1")
  }

  @Test func filesOfOneRunShareOneConsistentLedgerAndLeaveNoWAL() throws {
    let drop = try TestDrop()
    // Three files one after another; the third repeats a line of the first.
    var rows: [String] = []
    for index in 0..<300 { rows.append("\(5000 + index),S,P,2026-11-27,1.0,SKU-A,5,PERPETUAL,,,acme.com,,,") }
    try drop.drop("a.csv", "\(csvHeader)\n" + rows.joined(separator: "\n") + "\n")
    try drop.drop("b.csv", "\(csvHeader)\n6000,S,P,2026-11-27,1.0,SKU-B,2,PERPETUAL,,,acme.com,,,\n")
    try drop.drop(
      "c.csv",
      "\(csvHeader)\n5000,S,P,2026-11-27,1.0,SKU-A,5,PERPETUAL,,,acme.com,,,\n7000,S,P,2026-11-27,1.0,SKU-C,1,PERPETUAL,,,acme.com,,,\n"
    )
    let result = try drop.run()
    #expect(result.summary.files.processed == 3)
    #expect(result.summary.lines.deposited == 302)
    #expect(result.summary.lines.duplicate == 1)
    // The run's connection was the last one: it copied the WAL into the database and removed it.
    #expect(!FileManager.default.fileExists(atPath: drop.ledgerPath + "-wal"))
    // The new ledger is left in WAL mode for the readers beside later runs
    // (its first file went through the rollback journal, as the test above
    // follows): the header's write and read versions (bytes 18 and 19) are
    // 2, and no rollback journal is left behind.
    let header = try FileHandle(forReadingFrom: URL(fileURLWithPath: drop.ledgerPath)).read(upToCount: 20)
    #expect(header.map { [$0[18], $0[19]] } == [2, 2])
    #expect(!FileManager.default.fileExists(atPath: drop.ledgerPath + "-journal"))
    let ledger = try drop.sqliteLedger()
    #expect(try ledger.scalar("PRAGMA integrity_check") == "ok")
    #expect(try ledger.depositCount() == 302)
  }

  @Test(arguments: Backend.tested)
  func overlappingReexportIsDuplicateAndChangedContentConflicts(backend: Backend) throws {
    let drop = try TestDrop(backend: backend)
    try drop.drop("one.csv", "\(csvHeader)\n100,S,P,2026-11-27,1.0,SKU-A,5,PERPETUAL,,,acme.com,,,\n")
    _ = try drop.run()
    try drop.drop(
      "two.csv",
      "\(csvHeader)\n100,S,P,2026-11-27,1.0,SKU-A,5,PERPETUAL,,,ACME.com,default,,\n101,S,P,2026-11-27,1.0,SKU-B,2,PERPETUAL,,,acme.com,,,\n"
    )
    let second = try drop.run()
    #expect(second.summary.lines.duplicate == 1)
    #expect(second.summary.lines.deposited == 1)
    #expect(second.summary.exitCode == 0)
    try drop.drop("three.csv", "\(csvHeader)\n100,S,P,2026-11-27,1.0,SKU-A,6,PERPETUAL,,,acme.com,,,\n")
    let third = try drop.run()
    #expect(third.summary.rejectsByCode == ["conflicting-line": 1])
    let balances = try drop.ledger().balances()
    #expect(balances.map(\.available) == [5, 2])
  }

  @Test(arguments: Backend.tested)
  func lineAtomicityDepositsTheValidLinesOfABadOrder(backend: Backend) throws {
    let drop = try TestDrop(backend: backend, atomicity: "line")
    try drop.dropFixture("lines/order-rejected.csv")
    let result = try drop.run()
    #expect(result.summary.lines.deposited == 1)
    #expect(result.summary.rejectsByCode == ["invalid-quantity": 1])
  }

  @Test(arguments: Backend.tested)
  func nonAdjacentRowsOfARejectedOrderAreAllRejected(backend: Backend) throws {
    let drop = try TestDrop(backend: backend)
    try drop.drop(
      "orders.csv",
      """
      \(csvHeader)
      200,S,P,2026-11-27,1.0,SKU-A,5,PERPETUAL,,,acme.com,,,
      201,S,P,2026-11-27,1.0,SKU-A,5,PERPETUAL,,,acme.com,,,
      200,S,P,2026-11-27,2.0,SKU-B,5,PERPETUAL,,,nosuch.example,,,
      200,S,P,2026-11-27,3.0,SKU-C,5,PERPETUAL,,,acme.com,,,
      200,S,P,2026-11-27,4.0,SKU-D,0,PERPETUAL,,,acme.com,,,

      """)
    let result = try drop.run()
    let rejects = try drop.report(result, "rejects.csv").dropFirst().map { [$0[1], $0[3], $0[4]] }
    // Every line of the rejected order is listed; a line with its own problem keeps its own code.
    #expect(
      rejects == [
        ["2", "1.0", "order-rejected"], ["4", "2.0", "unknown-smart-account"], ["5", "3.0", "order-rejected"],
        ["6", "4.0", "invalid-quantity"],
      ])
    #expect(result.summary.lines.deposited == 1)
    #expect(result.summary.quantity.deposited == 5)
    #expect(try drop.ledger().depositCount() == 1)
    // Order 200's first row was reported before its bad line was read: the report was rewritten.
    #expect(try drop.report(result, "deposits.csv").dropFirst().map { $0[2] } == ["201"])
  }

  @Test(arguments: Backend.tested)
  func dryRunCommitsAndMovesNothing(backend: Backend) throws {
    let drop = try TestDrop(backend: backend)
    try drop.dropFixture("quarantine/good.xml")
    let result = try drop.run(dryRun: true)
    #expect(result.summary.lines.deposited == 1)
    #expect(result.summary.dryRun)
    #expect(try drop.ledger().depositCount() == 0)
    #expect(drop.files(in: drop.inbox) == ["good.xml"])
  }

  @Test(arguments: Backend.tested)
  func heldDepositsTransfersAndEveryTransferRejectCode(backend: Backend) throws {
    let drop = try TestDrop(backend: backend)
    try drop.drop(
      "globalnet/bulk.csv",
      """
      \(csvHeader)
      300,S,P,2026-11-27,1.0,SKU-H,10,PERPETUAL,,,holding.globalnet.example,Stock,,
      301,S,P,2026-11-27,1.0,SKU-H,4,PERPETUAL,,,acme.com,,,

      """)
    try drop.drop(
      "netpro/bulk.csv",
      "\(csvHeader)\n400,S,P,2026-11-27,1.0,SKU-N,7,PERPETUAL,,,holding.netpro.example,,,\n")
    try drop.drop(
      "globalnet/moves.transfer.csv",
      """
      transfer_id,from_smart_account,web_order_id,line_number,quantity,to_smart_account,to_virtual_account
      T1,holding.globalnet.example,300,1.0,3,acme.com,Campus
      T2,holding.globalnet.example,300,1.0,8,acme.com,Campus
      T3,holding.globalnet.example,999,1.0,1,acme.com,Campus
      T4,holding.globalnet.example,300,1.0,1,holding.netpro.example,
      T5,holding.netpro.example,400,1.0,1,acme.com,
      T6,holding.globalnet.example,300,1.0,1,acme.com,Nowhere
      T7,holding.globalnet.example,300,1.0,2,joe.plumbing@gmail.com,

      """)
    let result = try drop.run()
    #expect(result.summary.lines.held == 2)
    #expect(result.summary.quantity.held == 17)
    #expect(result.summary.transfers.applied == 2)
    #expect(
      result.summary.rejectsByCode == [
        "insufficient-held-quantity": 1, "unknown-transfer-source": 1, "invalid-transfer-target": 2,
        "unauthorized-account": 1,
      ])
    let balances = try drop.ledger().balances()
    func balance(_ account: String, _ sku: String) -> (Int, Int) {
      balances.filter { $0.smartAccount == account && $0.sku == sku }.reduce((0, 0)) {
        ($0.0 + $1.available, $0.1 + $1.held)
      }
    }
    #expect(balance("holding.globalnet.example", "SKU-H") == (0, 5))
    #expect(balance("acme.com", "SKU-H") == (7, 0))
    #expect(balances.first { $0.smartAccount == "acme.com" && $0.virtualAccount == "Campus" }?.available == 3)
    #expect(balance("joe.plumbing@gmail.com", "SKU-H") == (2, 0))
    #expect(balance("holding.netpro.example", "SKU-N") == (0, 7))
    #expect(balances.allSatisfy { $0.held >= 0 })

    // The same transfer ids again: same content is a no-op, a change conflicts.
    try drop.drop(
      "globalnet/moves-again.transfer.csv",
      """
      transfer_id,from_smart_account,web_order_id,line_number,quantity,to_smart_account,to_virtual_account
      T1,holding.globalnet.example,300,1.0,3,acme.com,campus
      T7,holding.globalnet.example,300,1.0,3,joe.plumbing@gmail.com,

      """)
    let again = try drop.run()
    #expect(again.summary.transfers.duplicate == 1)
    #expect(again.summary.rejectsByCode == ["conflicting-transfer": 1])
    #expect(try drop.ledger().balances() == balances)
  }

  @Test(arguments: Backend.tested)
  func unownedFoldersSymlinksAndTemporaryFilesAreNotTaken(backend: Backend) throws {
    let drop = try TestDrop(backend: backend)
    try drop.dropFixture("quarantine/good.xml", as: "stranger/orders.xml")
    try drop.dropFixture("quarantine/good.xml", as: "upload.xml.part")
    try drop.dropFixture("quarantine/good.xml", as: ".hidden.xml")
    try FileManager.default.createSymbolicLink(
      atPath: drop.inbox.appendingPathComponent("link.xml").path, withDestinationPath: "/etc/passwd")
    let result = try drop.run()
    #expect(result.summary.files.seen == 0)
    #expect(Set(result.summary.notTaken.map(\.name)) == ["stranger/", "link.xml"])
    #expect(try drop.ledger().depositCount() == 0)
  }

  @Test(arguments: Backend.tested)
  func markerModeWaitsForTheDoneFile(backend: Backend) throws {
    let drop = try TestDrop(backend: backend, extraConfig: "")
    let text = try String(contentsOfFile: drop.configPath, encoding: .utf8).replacingOccurrences(
      of: "settle_seconds = 0", with: "settle_seconds = 0\nready = \"marker\"")
    try text.write(toFile: drop.configPath, atomically: true, encoding: .utf8)
    try drop.dropFixture("quarantine/good.xml")
    let waiting = try drop.run()
    #expect(waiting.summary.files.notReady == 1)
    #expect(waiting.summary.lines.deposited == 0)
    try drop.drop("good.xml.done", "")
    let taken = try drop.run()
    #expect(taken.summary.lines.deposited == 1)
  }

  @Test(arguments: Backend.tested)
  func settleSecondsLeavesFreshFilesAlone(backend: Backend) throws {
    let drop = try TestDrop(backend: backend)
    let text = try String(contentsOfFile: drop.configPath, encoding: .utf8).replacingOccurrences(
      of: "settle_seconds = 0", with: "settle_seconds = 3600")
    try text.write(toFile: drop.configPath, atomically: true, encoding: .utf8)
    try drop.dropFixture("quarantine/good.xml")
    let result = try drop.run()
    #expect(result.summary.files.notReady == 1)
    #expect(result.summary.files.seen == 1)
    #expect(result.summary.exitCode == 0)
    #expect(drop.files(in: drop.inbox) == ["good.xml"])
  }

  @Test(arguments: Backend.tested)
  func aBadAccountsRowIsReportedWithItsLineAndTheOthersLoad(backend: Backend) throws {
    let accounts = """
      smart_account,name,type,virtual_accounts,partner
      acme.com,Acme,customer,Campus,
      gmail.com,Wrong,customer,,
      shop@outlook.com,Shop,limited-use,Extra,
      globex.example,Globex,reseller,,
      initech.example,Initech,customer,,

      """
    let drop = try TestDrop(backend: backend, accounts: accounts)
    try drop.drop("o.csv", "\(csvHeader)\n1,S,P,2026-11-27,1.0,SKU,1,PERPETUAL,,,initech.example,,,\n")
    let result = try drop.run()
    #expect(result.summary.accountProblems.count == 3)
    #expect(
      result.summary.accountProblems[0].hasSuffix(
        "accounts.csv:3: 'gmail.com' is a public mail domain; a customer account needs a company domain (use type limited-use with an email address instead)"
      ))
    #expect(result.summary.accountProblems[1].contains("accounts.csv:4: "))
    #expect(result.summary.accountProblems[2].contains("accounts.csv:5: type 'reseller'"))
    #expect(result.summary.lines.deposited == 1)
    #expect(try drop.ledger().registry().all.map(\.identifier) == ["acme.com", "initech.example"])
  }

  @Test(arguments: Backend.tested)
  func anUnchangedAccountsFileIsNotSyncedAgainAndAnyChangeIs(backend: Backend) throws {
    let accounts = """
      smart_account,name,type,virtual_accounts,partner
      acme.com,Acme,customer,Campus,
      gmail.com,Wrong,customer,,
      initech.example,Initech,customer,,

      """
    let drop = try TestDrop(backend: backend, accounts: accounts)
    let order = "\(csvHeader)\n1,S,P,2026-11-27,1.0,SKU,1,PERPETUAL,,,initech.example,,,\n"
    try drop.drop("o.csv", order)
    let first = try drop.run()
    #expect(first.summary.accountProblems.count == 1)
    // Changed behind the program's back: a run that syncs puts the file's name back.
    try drop.changeLedger("UPDATE accounts SET name = 'Renamed' WHERE smart_account = 'acme.com'")
    func name() throws -> String? {
      try drop.ledger().registry().all.first { $0.identifier == "acme.com" }?.name
    }
    // The same file: not read, not synced; its problem is reported as before.
    let second = try drop.run()
    #expect(second.summary.accountProblems == first.summary.accountProblems)
    #expect(try name() == "Renamed")
    // One byte more: read and synced, and a line for the new account deposits.
    try (accounts + "globex.example,Globex,customer,,\n").write(
      toFile: drop.root.appendingPathComponent("accounts.csv").path, atomically: true, encoding: .utf8)
    try drop.drop("p.csv", "\(csvHeader)\n2,S,P,2026-11-27,1.0,SKU,1,PERPETUAL,,,globex.example,,,\n")
    let third = try drop.run()
    #expect(third.summary.lines.deposited == 1)
    #expect(third.summary.accountProblems == first.summary.accountProblems)
    #expect(try name() == "Acme")
    // The same file read under other settings is synced again: here a
    // configured public domain refuses one more row.
    try drop.changeLedger("UPDATE accounts SET name = 'Renamed' WHERE smart_account = 'acme.com'")
    var config = try String(contentsOfFile: drop.configPath, encoding: .utf8)
    config = config.replacingOccurrences(
      of: "file = \"accounts.csv\"", with: "file = \"accounts.csv\"\npublic_mail_domains = [\"globex.example\"]")
    try config.write(toFile: drop.configPath, atomically: true, encoding: .utf8)
    let fourth = try drop.run()
    #expect(fourth.summary.accountProblems.count == 2)
    #expect(try name() == "Acme")
    // A sync that records no source (a tool that syncs other accounts) makes the next run read the file.
    try drop.changeLedger("UPDATE accounts SET name = 'Renamed' WHERE smart_account = 'acme.com'")
    _ = try drop.ledger().syncRegistry([])
    _ = try drop.run()
    #expect(try name() == "Acme")
    // `accounts sync` reads the file whatever was recorded.
    try drop.changeLedger("UPDATE accounts SET name = 'Renamed' WHERE smart_account = 'acme.com'")
    let forced = try RegistrySync.run(config: try drop.loadConfig(), ledger: try drop.ledger(), always: true)
    #expect(!forced.unchanged && forced.accounts == 2 && forced.result.accountsUpdated == 1)
    #expect(try name() == "Acme")
    let again = try RegistrySync.run(config: try drop.loadConfig(), ledger: try drop.ledger())
    #expect(again.unchanged && again.problems.count == 2)
  }

  @Test(arguments: Backend.tested)
  func transferRowsInARunHonourTheConfiguredMaximumQuantity(backend: Backend) throws {
    let drop = try TestDrop(backend: backend, extraConfig: "max_quantity = 5")
    try drop.drop(
      "globalnet/bulk.csv", "\(csvHeader)\n1,S,P,2026-11-27,1.0,SKU,5,PERPETUAL,,,holding.globalnet.example,Stock,,\n")
    try drop.drop(
      "globalnet/moves.transfer.csv",
      """
      transfer_id,from_smart_account,web_order_id,line_number,quantity,to_smart_account,to_virtual_account
      T1,holding.globalnet.example,1,1.0,6,acme.com,

      """)
    let result = try drop.run()
    #expect(result.summary.rejectsByCode == ["invalid-quantity": 1])
  }
}
