import ArgumentParser
import Foundation
import SmartDeposit

struct LedgerCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ledger", abstract: "Look after the ledger itself.", subcommands: [Doctor.self, Copy.self])

  struct Copy: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "copy",
      abstract: "Copy the configured SQLite ledger, everything in it, into an empty PostgreSQL ledger.",
      discussion: """
        Reads the SQLite ledger that [ledger] path names and copies the registry, runs, files, deposits, \
        transfers and rejects into the PostgreSQL database at --to, in one transaction. The database must \
        hold no ledger yet, or an empty one. The password comes from the environment variable named by \
        [ledger] password_env (PGPASSWORD by default). Then point [ledger] url at it.
        """)

    @OptionGroup var options: ConfigOption

    @Option(help: "The PostgreSQL ledger to copy into: postgresql://user@host:port/database[?sslmode=disable].")
    var to: String

    func run() throws {
      let config = try options.load()
      guard case .sqlite(let path) = config.ledger else {
        CommandSupport.printError(
          "smartdeposit: ledger copy reads an SQLite ledger; [ledger] in \(options.path) names none")
        throw ExitCode(.usage)
      }
      let target: PostgresLocation
      switch PostgresLocation.parse(to, passwordVariable: config.ledgerPasswordVariable) {
      case .success(let location): target = location
      case .failure(let problem):
        CommandSupport.printError("smartdeposit: --to \(problem)")
        throw ExitCode(.usage)
      }
      do {
        guard FileManager.default.fileExists(atPath: path) else {
          throw RunError.ledgerMissing(path: path, key: "[ledger] path", config: options.path)
        }
        let source = try SQLiteLedger(path: path)
        let result = try LedgerCopy.copy(from: source, to: target)
        let counts = LedgerCopy.tables.map { "\(result.rows[$0.name] ?? 0) \($0.name)" }.joined(separator: ", ")
        print("copied \(path) to \(target): \(counts)")
      } catch {
        throw fail(error)
      }
    }
  }

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

    /// What `ledger doctor --format` takes: exactly these.
    enum Format: String, ExpressibleByArgument, CaseIterable {
      case table, json
    }

    @Option(help: "How to print the pairs.")
    var format: Format = .table

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
      if !collisions.isEmpty { throw ExitCode(.dataError) }
    }
  }
}
