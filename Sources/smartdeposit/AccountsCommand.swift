import ArgumentParser
import SmartDeposit

struct AccountsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "accounts", abstract: "Show or sync the registry of Smart Accounts.",
    subcommands: [List.self, Sync.self])

  struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Show the Smart Accounts and Virtual Accounts in the ledger.")

    @OptionGroup var options: ConfigOption

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
      let config = try options.load()
      do {
        let registry = try LedgerOpener.open(config, access: .read).registry()
        if json {
          print(CommandSupport.json(registry.all))
          return
        }
        let rows = registry.all.map {
          [$0.identifier, $0.type.rawValue, $0.partner, $0.name, $0.virtualAccounts.joined(separator: ";")]
        }
        print(
          CommandSupport.table(["smart_account", "type", "partner", "name", "virtual_accounts"], rows), terminator: "")
        if registry.count == 0 {
          CommandSupport.printError("smartdeposit: the registry is empty; run `smartdeposit accounts sync`")
        }
      } catch {
        throw fail(error)
      }
    }
  }

  struct Sync: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Add the accounts file's new accounts and Virtual Accounts to the ledger; nothing is removed.")

    @OptionGroup var options: ConfigOption

    func run() throws {
      let config = try options.load()
      do {
        // The embedded ledger syncs under the run lock; PostgreSQL serialises it itself.
        var lock: RunLock?
        if case .sqlite(let path) = config.ledger { lock = try RunLock(ledgerPath: path) }
        defer { withExtendedLifetime(lock) {} }
        let outcome = try RegistrySync.run(
          config: config, ledger: LedgerOpener.open(config, access: .write), always: true)
        let (problems, result) = (outcome.problems, outcome.result)
        for problem in problems { CommandSupport.printError("\(problem)") }
        print(
          "accounts: \(outcome.accounts) valid, \(problems.count) refused; \(result.accountsAdded) added, \(result.accountsUpdated) updated, \(result.virtualAccountsAdded) virtual accounts added"
        )
        if !problems.isEmpty { throw ExitCode(.dataError) }
      } catch let error as ExitCode {
        throw error
      } catch let error as IngestError where error.cause == .unreadable {
        throw fail(RunError.inputMissing(error.file))
      } catch {
        throw fail(error)
      }
    }
  }
}
