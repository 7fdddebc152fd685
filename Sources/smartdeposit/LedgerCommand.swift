import ArgumentParser
import Foundation
import SmartDeposit

struct LedgerCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ledger", abstract: "Look after the ledger itself.", subcommands: [Doctor.self])

  struct Doctor: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "doctor",
      abstract: "List lines the ledger holds twice under one identity.",
      discussion: """
        A ledger made before identities compared by meaning may hold one order line twice under two \
        spellings (line 1.0 and line 1, web order 0098770010 and 98770010): a double deposit. Migrating \
        the ledger keeps both rows and marks the later one; this lists each such pair with the files and \
        runs that deposited it, for a person to correct. Nothing is changed. Exits 65 while any pair is listed.
        """)

    @OptionGroup var options: ConfigOption

    @Option(help: "table or json.")
    var format: OutputFormat = .table

    func validate() throws {
      if format != .table && format != .json { throw ValidationError("--format must be table or json") }
    }

    func run() throws {
      let config = try options.load()
      let collisions: [IdentityCollision]
      do {
        collisions = try LedgerOpener.open(config, access: .read).identityCollisions()
      } catch {
        throw fail(error)
      }
      if format == .json {
        print(CommandSupport.json(collisions))
      } else if collisions.isEmpty {
        print("No line is held twice: every identity in the ledger is deposited once.")
      } else {
        let header = [
          "web_order_id", "line_number", "sku", "quantity", "smart_account", "virtual_account", "file", "run_id",
        ]
        var rows: [[String]] = []
        for collision in collisions {
          for side in [collision.kept, collision.twin] {
            rows.append([
              side.webOrderID, side.lineNumber, side.sku, "\(side.quantity)", side.smartAccount, side.virtualAccount,
              side.file, side.runID,
            ])
          }
        }
        print(
          "\(collisions.count) line\(collisions.count == 1 ? " is" : "s are") deposited twice under spellings that "
            + "mean the same line; each pair below, the first deposit then the second:\n")
        print(CommandSupport.table(header, rows, numeric: [3]), terminator: "")
        print(
          "\nNothing was changed. Correct each pair by hand (for example with a transfer or a note to finance);"
            + " `reconcile` lists them until then.")
      }
      if !collisions.isEmpty { throw ExitCode(65) }
    }
  }
}
