import Foundation
import SmartDeposit
import SmartDepositTestSupport
import Testing

/// A ledger made before identities compared by meaning, holding 60 lines
/// deposited twice (`1.0` and `1`), is migrated without deleting anything.
@Suite("Migrating a ledger to identities by meaning")
struct IdentityMigrationTests {
  static let folder = "ledgers/before-canonical-identity"

  /// A drop whose ledger is a copy of the fixture ledger.
  static func dropWithOldLedger() throws -> TestDrop {
    let drop = try TestDrop(
      accounts: try String(contentsOfFile: fixture("identity/accounts.csv"), encoding: .utf8))
    let ledger = URL(fileURLWithPath: drop.ledgerPath)
    try FileManager.default.createDirectory(at: ledger.deletingLastPathComponent(), withIntermediateDirectories: true)
    try FileManager.default.copyItem(at: URL(fileURLWithPath: fixture("\(folder)/ledger.sqlite")), to: ledger)
    return drop
  }

  @Test func balancesAreUnchangedAndEveryRowIsKept() throws {
    let drop = try Self.dropWithOldLedger()
    let expected = try JSONDecoder().decode(
      [Balance].self, from: Data(contentsOf: URL(fileURLWithPath: fixture("\(Self.folder)/balances.json"))))
    let ledger = try drop.sqliteLedger()
    // Quantities per account and SKU as before; SKUs are now stored upper-case.
    let upperCased = expected.map { balance -> Balance in
      var balance = balance
      balance.sku = balance.sku.uppercased()
      return balance
    }
    func sorted(_ balances: [Balance]) -> [Balance] {
      balances.sorted { ($0.smartAccount, $0.virtualAccount, $0.sku) < ($1.smartAccount, $1.virtualAccount, $1.sku) }
    }
    #expect(sorted(try ledger.balances()) == sorted(upperCased))
    #expect(try ledger.depositCount() == 181)
    #expect(try ledger.scalar("PRAGMA integrity_check") == "ok")
    #expect(try ledger.scalar("SELECT COUNT(*) FROM deposits WHERE twin > 0") == "60")
    let collisions = try ledger.identityCollisions()
    #expect(collisions.count == 60)
    for collision in collisions {
      // The first deposit (`1.0`, from the export) is kept as the identity; the re-save's `1` is its twin.
      #expect(collision.kept.lineNumber.hasSuffix(".0"))
      #expect(collision.twin.lineNumber + ".0" == collision.kept.lineNumber)
      #expect(collision.kept.file == "ccw-export.csv")
      #expect(collision.twin.file == "ccw-export.resaved-by-libreoffice.csv")
      #expect(collision.kept.runID != collision.twin.runID)
      #expect(collision.kept.quantity == collision.twin.quantity)
    }
  }

  @Test func ledgerDoctorListsEachPairAndExits65() throws {
    let drop = try Self.dropWithOldLedger()
    let output = try runCommand(["ledger", "doctor", "--config", drop.configPath, "--format", "json"])
    #expect(output.status == 65)
    let listed = try JSONDecoder().decode([IdentityCollision].self, from: Data(output.standardOutput.utf8))
    #expect(listed.count == 60)
    #expect(Set(listed.map(\.identity)).count == 60)
    let table = try runCommand(["ledger", "doctor", "--config", drop.configPath])
    #expect(table.status == 65)
    #expect(table.standardOutput.contains("60 lines are deposited twice"))
    #expect(table.standardOutput.contains("ccw-export.resaved-by-libreoffice.csv"))
  }

  @Test func reconcileShowsTheDoubleDepositsAsADifference() throws {
    let drop = try Self.dropWithOldLedger()
    let output = try runCommand([
      "reconcile", "--config", drop.configPath, "--format", "csv", "--as-of", "2026-12-01",
    ])
    #expect(output.status == 65)
    let rows = parseCSV(output.standardOutput).filter { $0.first == "double-deposit" }
    #expect(rows.count == 60)
    #expect(rows.allSatisfy { $0[10] == "deposited-twice" && Int($0[13]).map { $0 < 0 } == true })
  }

  @Test func theMigratedLedgerTakesNoLineAgainAndTransfersFindHeldLines() throws {
    let drop = try Self.dropWithOldLedger()
    // The re-saved export once more, its header spelled as another export
    // would, so that the file is new by its content and every line is met again.
    let again = try String(
      contentsOfFile: fixture("identity/ccw-export.resaved-by-libreoffice.csv"), encoding: .utf8
    ).replacingOccurrences(of: "\"web_order_id\"", with: "\"Web Order ID\"")
    try drop.drop("again.csv", again)
    try drop.drop(
      "globalnet/handover-2.transfer.csv",
      """
      transfer_id,from_smart_account,web_order_id,line_number,quantity,to_smart_account,to_virtual_account
      T2,holding.globalnet.example,500,1,6,cust00001.example,
      T3,holding.globalnet.example,500.0,1.0.0,1,cust00001.example,

      """)
    let result = try drop.run()
    #expect(result.summary.lines.deposited == 0)
    #expect(result.summary.lines.duplicate == 120)
    #expect(result.summary.transfers.applied == 1)
    #expect(result.summary.rejectsByCode == ["insufficient-held-quantity": 1])
    let balances = try drop.ledger().balances().filter { $0.sku == "C9300-NW-E-24" }
    #expect(balances.map(\.available) == [10, 0])
    #expect(balances.map(\.held) == [0, 0])
  }

  @Test func aDoctorOnALedgerThatDoesNotExistCreatesNothing() throws {
    let drop = try TestDrop()
    let output = try runCommand(["ledger", "doctor", "--config", drop.configPath])
    #expect(output.status == 66)
    #expect(output.standardError.contains(drop.ledgerPath))
    #expect(!FileManager.default.fileExists(atPath: drop.ledgerPath))
  }

  @Test func aCleanLedgerHasNothingForTheDoctor() throws {
    let drop = try TestDrop()
    try drop.dropFixture("quarantine/good.xml")
    _ = try drop.run()
    let output = try runCommand(["ledger", "doctor", "--config", drop.configPath])
    #expect(output.status == 0)
    #expect(output.standardOutput.contains("No line is held twice"))
  }
}
