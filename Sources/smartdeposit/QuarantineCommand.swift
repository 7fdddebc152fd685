import ArgumentParser
import Foundation
import SmartDeposit

struct QuarantineCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "quarantine", abstract: "The files refused whole, remembered by their content.",
    subcommands: [List.self, Release.self])

  struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Show the quarantined files a run remembers: name, run, time and reason.")

    @OptionGroup var options: ConfigOption

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
      let config = try options.load()
      let files: [QuarantinedFile]
      do {
        let ledger = try LedgerOpener.open(config, access: .read)
        defer { ledger.close() }
        files = try ledger.quarantinedFiles()
      } catch {
        throw fail(error)
      }
      if json {
        print(CommandSupport.json(files))
        return
      }
      let rows = files.map { [$0.name, $0.runID, $0.recordedAt, $0.reason] }
      print(CommandSupport.table(["file", "run", "quarantined", "reason"], rows), terminator: "")
    }
  }

  struct Release: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Put a quarantined file (fixed) back into its inbox, and forget its quarantine.",
      discussion: """
        NAME is the file's name as the run reported it (globalnet/bulk.xml for a partner's file). The copy in \
        the quarantine folder (fix it there first) moves back into the inbox, replacing the refused original \
        left there with on_success = "keep"; the next run takes it. Exits 66 when no quarantine of NAME is \
        remembered, 73 when the inbox holds another file of that name.
        """)

    @OptionGroup var options: ConfigOption

    @Argument(help: "The quarantined file's name, as the run reported it.")
    var name: String

    func run() throws {
      let config = try options.load()
      let ledger: Ledger
      do {
        ledger = try LedgerOpener.open(config, access: .write)
      } catch {
        throw fail(error)
      }
      defer { ledger.close() }
      do {
        guard let record = try ledger.quarantinedFiles().first(where: { $0.name == name }) else {
          CommandSupport.printError(
            "smartdeposit: no quarantined file named \(name) is remembered (see quarantine list)")
          throw ExitCode(.noInput)
        }
        let copy = ((config.quarantine as NSString).appendingPathComponent(record.runID) as NSString)
          .appendingPathComponent(name)
        let inbox = (config.inbox as NSString).appendingPathComponent(name)
        let fileManager = FileManager.default
        if fileManager.fileExists(atPath: copy) {
          if fileManager.fileExists(atPath: inbox) {
            // Only the refused original (with on_success = "keep") may be replaced.
            guard try sha256OfFile(atPath: inbox) == record.sha256 else {
              CommandSupport.printError(
                "smartdeposit: \(inbox) already holds another file; move it away before releasing \(name)")
              throw ExitCode(.cannotCreate)
            }
            try fileManager.removeItem(atPath: inbox)
          }
          try fileManager.createDirectory(
            atPath: (inbox as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
          try fileManager.moveItem(atPath: copy, toPath: inbox)
          try? fileManager.removeItem(atPath: copy + ".reason.txt")
        } else if !fileManager.fileExists(atPath: inbox) {
          CommandSupport.printError(
            "smartdeposit: the quarantined copy of \(name) is gone (\(copy)) and the inbox has none; drop the fixed file into the inbox"
          )
          throw ExitCode(.noInput)
        }
        try ledger.releaseQuarantine(sha256: record.sha256)
        print("released \(name): \(inbox); the next run takes it")
      } catch let exit as ExitCode {
        throw exit
      } catch {
        throw fail(error)
      }
    }
  }
}
