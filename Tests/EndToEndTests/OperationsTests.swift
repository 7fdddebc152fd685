import Foundation
import SmartDeposit
import SmartDepositTestSupport
import Testing

/// Running from cron: a quiet run says nothing when all went well and only
/// what needs a person otherwise; stale and missing input are alerts.
@Suite("Running it from cron")
struct OperationsTests {
  static let goodLine = "91000001,SO1,PO1,2026-11-27,1.0,C9300-NW-E-24,3,PERPETUAL,,,acme.com,Campus,Acme,"
  static let badLine = "91000002,SO2,PO2,2026-11-27,1.0,C9300-NW-E-24,3,PERPETUAL,,,acme.co,Campus,Acme,"

  /// Sets a file's modification time `hours` back.
  static func age(_ url: URL, hours: Double) throws {
    let date = Date().addingTimeInterval(-hours * 3600)
    try FileManager.default.setAttributes([.modificationDate: date], ofItemAtPath: url.path)
  }

  /// Rewrites the drop's [drop] table with more keys.
  static func configure(_ drop: TestDrop, drop extra: String) throws {
    let text = try String(contentsOfFile: drop.configPath, encoding: .utf8)
      .replacingOccurrences(of: "settle_seconds = 0\n", with: "settle_seconds = 0\n\(extra)\n")
    try text.write(toFile: drop.configPath, atomically: true, encoding: .utf8)
  }

  @Test func aQuietRunThatWentWellPrintsNothing() throws {
    let drop = try TestDrop()
    try drop.drop("orders.csv", csvHeader + "\n" + Self.goodLine + "\n")
    let run = try runCommand(["run", "--quiet", "--config", drop.configPath])
    #expect(run.status == 0)
    #expect(run.standardOutput.isEmpty)
    #expect(run.standardError.isEmpty)
    // --json still prints the summary.
    try drop.drop("more.csv", csvHeader + "\n" + Self.goodLine.replacingOccurrences(of: "91000001", with: "91000003"))
    let json = try runCommand(["run", "--quiet", "--json", "--config", drop.configPath])
    #expect(json.status == 0)
    #expect(json.standardError.isEmpty)
    let summary = try #require(try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [String: Any])
    #expect((summary["lines"] as? [String: Int])?["deposited"] == 1)
  }

  @Test func aQuietRunWithProblemsSaysOneLinePerCodeAndFile() throws {
    let drop = try TestDrop()
    var lines = [csvHeader]
    for index in 0..<5 { lines.append(Self.badLine.replacingOccurrences(of: "91000002", with: "9100010\(index)")) }
    try drop.drop("orders.csv", lines.joined(separator: "\n") + "\n")
    try drop.drop("broken.xml", "<?xml version=\"1.0\"?>\n<OrderDrop><Order>")
    let run = try runCommand(["run", "--quiet", "--config", drop.configPath])
    #expect(run.status == 65)
    #expect(run.standardOutput.isEmpty)
    let said = run.standardError.split(separator: "\n").map(String.init)
    #expect(said.count == 3, "\(said)")
    #expect(said.first == "smartdeposit: rejected unknown-smart-account: 5 lines")
    #expect(said.contains { $0.hasPrefix("smartdeposit: quarantined broken.xml: ") && $0.contains("not-well-formed") })
    #expect(said.last?.hasPrefix("smartdeposit: report: \(drop.reportsDir.path)/") == true)
  }

  @Test func filesThatRunsKeepNotTakingBecomeStale() throws {
    let drop = try TestDrop(extraConfig: "[alerts]\nstale_after_hours = 24\n")
    try Self.configure(drop, drop: "ready = \"marker\"\nignore = [\"notes.csv\"]")
    let waiting = try drop.drop("waiting.csv", csvHeader + "\n" + Self.goodLine + "\n")
    try Self.age(waiting, hours: 30)
    let fresh = try drop.drop("fresh.csv", csvHeader + "\n" + Self.goodLine + "\n")
    try Self.age(fresh, hours: 2)
    let partial = try drop.drop("globalnet/upload.csv.part", "web_order_id")
    try Self.age(partial, hours: 50)
    for name in [".hidden.csv", "notes.csv"] { try Self.age(try drop.drop(name, "x"), hours: 100) }
    let ready = try drop.drop("ready.csv", csvHeader + "\n" + Self.goodLine + "\n")
    try Self.age(ready, hours: 40)
    try drop.drop("ready.csv.done", "")

    let run = try runCommand(["run", "--json", "--config", drop.configPath])
    #expect(run.status == 65)
    let summary = try #require(try JSONSerialization.jsonObject(with: Data(run.standardOutput.utf8)) as? [String: Any])
    let files = try #require(summary["files"] as? [String: Int])
    #expect(files["stale"] == 2)
    #expect(files["not_ready"] == 1)
    #expect(files["processed"] == 1)
    let stale = try #require(summary["stale_files"] as? [[String: Any]])
    #expect(stale.map { $0["name"] as? String } == ["globalnet/upload.csv.part", "waiting.csv"])
    let waitingEntry = try #require(stale.first { $0["name"] as? String == "waiting.csv" })
    #expect((waitingEntry["age_hours"] as? Double).map { abs($0 - 30) < 0.2 } == true)
    #expect((waitingEntry["reason"] as? String)?.contains("waiting.csv.done") == true)

    let quiet = try runCommand(["run", "--quiet", "--config", drop.configPath])
    #expect(quiet.status == 65)
    #expect(
      quiet.standardError.contains("smartdeposit: stale waiting.csv: 30 h old: its marker waiting.csv.done never came"))
    #expect(quiet.standardError.contains("smartdeposit: stale globalnet/upload.csv.part: 50 h old"))

    // Off: nothing is stale.
    let text = try String(contentsOfFile: drop.configPath, encoding: .utf8)
      .replacingOccurrences(of: "stale_after_hours = 24", with: "stale_after_hours = 0")
    try text.write(toFile: drop.configPath, atomically: true, encoding: .utf8)
    #expect(try runCommand(["run", "--quiet", "--config", drop.configPath]).status == 0)
  }

  @Test func anEmptyInboxIsAnAlertOnlyWhenFilesAreRequired() throws {
    let drop = try TestDrop()
    #expect(try runCommand(["run", "--quiet", "--config", drop.configPath]).status == 0)
    let required = try TestDrop(extraConfig: "[alerts]\nrequire_files = true\n")
    let run = try runCommand(["run", "--quiet", "--config", required.configPath])
    #expect(run.status == 66)
    #expect(run.standardError.contains("no file at all in the inbox"))
  }

  @Test func versionAndAMissingConfiguration() throws {
    let version = try runCommand(["--version"])
    #expect(version.status == 0)
    #expect(version.standardOutput.hasPrefix("smartdeposit \(SmartDepositVersion.current)"))
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("no-config-\(UUID())")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let missing = try runCommand(["balances"], in: folder)
    #expect(missing.status == 78)
    #expect(missing.standardError.contains(folder.appendingPathComponent("pipeline.conf").path))
    #expect(missing.standardError.contains("--config") && missing.standardError.contains("SMARTDEPOSIT_CONFIG"))
    #expect(missing.standardError.contains("No such file or directory"))
  }

  @Test func readOnlyCommandsNeverCreateALedger() throws {
    let drop = try TestDrop()
    for command in [["balances"], ["runs"], ["reconcile"], ["ledger", "doctor"]] {
      let run = try runCommand(command + ["--config", drop.configPath])
      #expect(run.status == 66, "\(command)")
      #expect(run.standardError.contains(drop.ledgerPath), "\(command)")
    }
    #expect(!FileManager.default.fileExists(atPath: drop.ledgerPath))
  }

  /// The textfile's samples: `name{labels}` to value.
  static func samples(_ text: String) -> [String: Double] {
    var values: [String: Double] = [:]
    for line in text.split(separator: "\n") where !line.hasPrefix("#") {
      let parts = line.split(separator: " ")
      if parts.count == 2, let value = Double(parts[1]) { values[String(parts[0])] = value }
    }
    return values
  }

  /// `promtool check metrics` on the text: its exit status and what it said.
  static func promtool(_ text: String) throws -> (Int32, String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["promtool", "check", "metrics"]
    let input = Pipe()
    let output = Pipe()
    process.standardInput = input
    process.standardOutput = output
    process.standardError = output
    try process.run()
    input.fileHandleForWriting.write(Data(text.utf8))
    try input.fileHandleForWriting.close()
    let said = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, said)
  }

  static var hasPromtool: Bool {
    ProcessInfo.processInfo.environment["CI"] != nil
      || (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").contains {
        FileManager.default.isExecutableFile(atPath: "\($0)/promtool")
      }
  }

  @Test(
    .enabled(if: hasPromtool, "needs Prometheus's promtool (apt-get install prometheus)"), arguments: Backend.tested)
  func theMetricsFilePassesPromtoolAndMatchesTheSummary(backend: Backend) throws {
    let drop = try TestDrop(backend: backend, extraConfig: "[metrics]\ntextfile = \"var/metrics/smartdeposit.prom\"\n")
    let metrics = drop.root.appendingPathComponent("var/metrics/smartdeposit.prom")
    var lines = [csvHeader, Self.goodLine, Self.badLine]
    lines.append(
      "91000005,SO5,PO5,2026-11-27,1.0,C9300-NW-E-24,40,PERPETUAL,,,holding.globalnet.example,Stock,,globalnet")
    try drop.drop("orders.csv", lines.joined(separator: "\n") + "\n")
    try drop.drop("broken.xml", "<OrderDrop>")
    let before = Date()
    let run = try runCommand(["run", "--json", "--config", drop.configPath])
    #expect(run.status == 65)
    let summary = try #require(try JSONSerialization.jsonObject(with: Data(run.standardOutput.utf8)) as? [String: Any])
    let text = try String(contentsOf: metrics, encoding: .utf8)
    let (status, said) = try Self.promtool(text)
    #expect(status == 0, "\(said)\n\(text)")
    for name in [
      "smartdeposit_last_run_timestamp_seconds", "smartdeposit_last_success_timestamp_seconds",
      "smartdeposit_last_run_exit_code", "smartdeposit_last_run_duration_seconds", "smartdeposit_last_run_files",
      "smartdeposit_last_run_lines", "smartdeposit_deposits_total", "smartdeposit_held_licenses",
      "smartdeposit_held_over_age_licenses",
    ] {
      #expect(text.contains("# HELP \(name) "), "\(name)")
      #expect(text.contains("# TYPE \(name) "), "\(name)")
    }
    let values = Self.samples(text)
    let files = try #require(summary["files"] as? [String: Int])
    let lineCounts = try #require(summary["lines"] as? [String: Int])
    for outcome in ["processed", "duplicate", "quarantined", "not_ready", "stale"] {
      #expect(
        values["smartdeposit_last_run_files{outcome=\"\(outcome)\"}"] == Double(files[outcome] ?? -1), "\(outcome)")
    }
    for outcome in ["deposited", "held", "duplicate", "rejected"] {
      #expect(
        values["smartdeposit_last_run_lines{outcome=\"\(outcome)\"}"] == Double(lineCounts[outcome] ?? -1), "\(outcome)"
      )
    }
    #expect(values["smartdeposit_last_run_exit_code"] == 65)
    #expect(values["smartdeposit_deposits_total"] == Double(try drop.ledger().depositCount()))
    #expect(values["smartdeposit_deposits_total"] == 2)
    #expect(values["smartdeposit_held_licenses"] == 40)
    #expect(values["smartdeposit_held_over_age_licenses"] == 0)
    let ended = try #require(values["smartdeposit_last_run_timestamp_seconds"])
    #expect(ended >= before.timeIntervalSince1970.rounded(.down) && ended <= Date().timeIntervalSince1970 + 1)
    let success = try #require(values["smartdeposit_last_success_timestamp_seconds"])
    #expect(abs(success - ended) < 2)

    // A transfer of 15 held licences: held goes down; the totals still come from the ledger.
    try drop.drop(
      "globalnet/handover.transfer.csv",
      "transfer_id,from_smart_account,web_order_id,line_number,quantity,to_smart_account,to_virtual_account\n"
        + "T1,holding.globalnet.example,91000005,1.0,15,acme.com,Campus\n")
    #expect(try runCommand(["run", "--quiet", "--config", drop.configPath]).status == 0)
    let after = Self.samples(try String(contentsOf: metrics, encoding: .utf8))
    #expect(after["smartdeposit_held_licenses"] == 25)
    #expect(after["smartdeposit_deposits_total"] == 2)
    #expect(after["smartdeposit_last_run_exit_code"] == 0)

    // A dry run writes no metrics.
    let unchanged = try String(contentsOf: metrics, encoding: .utf8)
    _ = try runCommand(["run", "--dry-run", "--quiet", "--config", drop.configPath])
    #expect(try String(contentsOf: metrics, encoding: .utf8) == unchanged)
  }

  @Test(.enabled(if: hasPromtool, "needs Prometheus's promtool (apt-get install prometheus)"))
  func theExampleAlertRulesAreValidAndFireWhenTheyShould() throws {
    for arguments in [
      ["check", "rules", packageRoot.appendingPathComponent("docs/alerts/smartdeposit-rules.yml").path],
      ["test", "rules", "rules-test.yml"],
    ] {
      let process = Process()
      process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
      process.arguments = ["promtool"] + arguments
      process.currentDirectoryURL = packageRoot.appendingPathComponent("Tests/Fixtures/alerts")
      let output = Pipe()
      process.standardOutput = output
      process.standardError = output
      try process.run()
      let said = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      process.waitUntilExit()
      #expect(process.terminationStatus == 0, "promtool \(arguments.joined(separator: " ")): \(said)")
    }
  }

  @Test func shellCompletionsAreGeneratedForEveryShell() throws {
    for shell in ["bash", "zsh", "fish"] {
      let script = try runCommand(["--generate-completion-script", shell])
      #expect(script.status == 0, "\(shell)")
      for command in ["run", "check", "balances", "reconcile", "runs", "ledger"] {
        #expect(script.standardOutput.contains(command), "\(shell): \(command)")
      }
      if shell == "bash" {
        // The bash script parses.
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("completion-\(UUID()).bash")
        try script.standardOutput.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let check = Process()
        check.executableURL = URL(fileURLWithPath: "/bin/bash")
        check.arguments = ["-n", file.path]
        try check.run()
        check.waitUntilExit()
        #expect(check.terminationStatus == 0)
      }
    }
  }

  @Test func logLinesCarryTheirTimeLevelAndRunID() throws {
    let drop = try TestDrop(extraConfig: "[log]\nformat = \"json\"\nlevel = \"info\"\n")
    try drop.drop("orders.csv", csvHeader + "\n" + Self.goodLine + "\n")
    try drop.drop("broken.xml", "<OrderDrop>")
    try drop.drop("readme.txt", "not an order file")
    let run = try runCommand(["run", "--json", "--config", drop.configPath])
    #expect(run.status == 65)
    let summary = try #require(try JSONSerialization.jsonObject(with: Data(run.standardOutput.utf8)) as? [String: Any])
    let runID = try #require(summary["run_id"] as? String)
    let lines = run.standardError.split(separator: "\n")
    #expect(lines.count >= 2)
    for line in lines {
      let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
      #expect(object["run_id"] as? String == runID)
      #expect(["info", "notice", "warning"].contains(object["level"] as? String ?? ""))
      let time = try #require(object["ts"] as? String)
      #expect(time.hasSuffix("Z") && time.count == 24 && time.hasPrefix(String(runID.prefix(4))), "\(time)")
      #expect(!(object["message"] as? String ?? "").isEmpty)
    }
    #expect(lines.contains { $0.contains("quarantined") && $0.contains("broken.xml") })
    #expect(lines.contains { $0.contains("not taken: readme.txt") })

    // Text, from the command line over the configuration; notice and above only.
    try drop.drop("broken2.xml", "<OrderDrop>")
    let text = try runCommand(
      ["run", "--log-format", "text", "--log-level", "notice", "--json", "--config", drop.configPath])
    let second = try #require(try JSONSerialization.jsonObject(with: Data(text.standardOutput.utf8)) as? [String: Any])
    let secondID = try #require(second["run_id"] as? String)
    let said = text.standardError.split(separator: "\n").map(String.init)
    #expect(said.contains { $0.contains(" notice [\(secondID)] quarantined: broken2.xml") }, "\(said)")
    #expect(!said.contains { $0.contains("not taken") })
    #expect(
      said.allSatisfy { $0.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z "#, options: .regularExpression) != nil }
    )

    // Values the options do not take are refused with 64, naming what they take.
    let wrong = try runCommand(["run", "--log-level", "loud", "--config", drop.configPath])
    #expect(wrong.status == 64)
    #expect(wrong.standardError.contains("trace, debug, info, notice, warning, error, critical"))
  }

  @Test(arguments: Backend.tested)
  func theRunHistoryKeepsEveryRunNestedLikeTheSummary(backend: Backend) throws {
    let drop = try TestDrop(backend: backend)
    try drop.drop("orders.csv", [csvHeader, Self.goodLine, Self.badLine].joined(separator: "\n") + "\n")
    try drop.drop("broken.xml", "<OrderDrop>")
    let first = try runCommand(["run", "--json", "--config", drop.configPath])
    #expect(first.status == 65)
    let summary = try #require(
      try JSONSerialization.jsonObject(with: Data(first.standardOutput.utf8)) as? [String: Any])
    // A run that fails once it has its id: the accounts file is a folder.
    let config = try String(contentsOfFile: drop.configPath, encoding: .utf8)
      .replacingOccurrences(of: "file = \"accounts.csv\"", with: "file = \"not-a-file\"")
    try FileManager.default.createDirectory(
      at: drop.root.appendingPathComponent("not-a-file"), withIntermediateDirectories: true)
    let broken = drop.root.appendingPathComponent("broken.conf")
    try config.write(to: broken, atomically: true, encoding: .utf8)
    #expect(try runCommand(["run", "--quiet", "--config", broken.path]).status == 74)

    let history = try runCommand(["runs", "--json", "--config", drop.configPath])
    #expect(history.status == 0)
    let runs = try #require(
      try JSONSerialization.jsonObject(with: Data(history.standardOutput.utf8)) as? [[String: Any]])
    #expect(runs.count == 2)
    // Both runs may start within the same second: found by id, not by place.
    let runID = try #require(summary["run_id"] as? String)
    guard runs.count == 2, let completed = runs.first(where: { $0["run_id"] as? String == runID }),
      let failed = runs.first(where: { $0["run_id"] as? String != runID })
    else { return }
    #expect(failed["status"] as? String == "failed")
    #expect(failed["exit_code"] as? Int == 74)
    #expect((failed["cause"] as? String)?.contains("not-a-file") == true)
    #expect(completed["status"] as? String == "completed")
    #expect(completed["exit_code"] as? Int == 65)
    #expect(completed["started_at"] as? String == summary["started_at"] as? String)
    #expect(completed["finished_at"] as? String == summary["finished_at"] as? String)
    #expect(!(completed["host"] as? String ?? "").isEmpty)
    let files = try #require(completed["files"] as? [String: Int])
    let lines = try #require(completed["lines"] as? [String: Int])
    let summaryFiles = try #require(summary["files"] as? [String: Int])
    let summaryLines = try #require(summary["lines"] as? [String: Int])
    for key in ["processed", "duplicate", "quarantined", "not_ready", "stale"] {
      #expect(files[key] == summaryFiles[key], "\(key)")
    }
    for key in ["read", "deposited", "held", "duplicate", "rejected"] {
      #expect(lines[key] == summaryLines[key], "\(key)")
    }
    #expect(files["quarantined"] == 1)
    #expect(lines["rejected"] == 1)
    // Every key is snake_case.
    for key in completed.keys { #expect(key == key.lowercased() && !key.contains("-"), "\(key)") }
  }

  @Test func runFoldersPastTheirKeepTimeAreRemovedAndNothingElse() throws {
    let drop = try TestDrop()
    try Self.configure(drop, drop: "archive_keep_days = 30\nquarantine_keep_days = 10")
    let text = try String(contentsOfFile: drop.configPath, encoding: .utf8)
      .replacingOccurrences(of: "dir = \"var/reports\"", with: "dir = \"var/reports\"\nkeep_days = 60")
    try text.write(toFile: drop.configPath, atomically: true, encoding: .utf8)
    func runID(daysAgo: Double) -> String {
      RunPipeline.makeRunID(now: Date().addingTimeInterval(-daysAgo * 86_400))
    }
    let old = runID(daysAgo: 90)
    let middle = runID(daysAgo: 45)
    let recent = runID(daysAgo: 5)
    let fm = FileManager.default
    for folder in [drop.reportsDir, drop.archive, drop.quarantine] {
      for id in [old, middle, recent, "not-a-run", "20261130T010000Z-notahexsuffix"] {
        let path = folder.appendingPathComponent(id)
        try fm.createDirectory(at: path, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: path.appendingPathComponent("file.csv"))
      }
    }
    try drop.drop("orders.csv", csvHeader + "\n" + Self.goodLine + "\n")
    let run = try runCommand(["run", "--quiet", "--config", drop.configPath])
    #expect(run.status == 0)
    func kept(_ folder: URL) -> Set<String> { Set((try? fm.contentsOfDirectory(atPath: folder.path)) ?? []) }
    // Reports: 60 days. Archive: 30. Quarantine: 10. Anything not named like a run id stays.
    #expect(!kept(drop.reportsDir).contains(old))
    #expect(kept(drop.reportsDir).isSuperset(of: [middle, recent, "not-a-run", "20261130T010000Z-notahexsuffix"]))
    #expect(!kept(drop.archive).contains(old) && !kept(drop.archive).contains(middle))
    #expect(kept(drop.archive).isSuperset(of: [recent, "not-a-run"]))
    #expect(kept(drop.quarantine).isDisjoint(with: [old, middle]))
    #expect(kept(drop.quarantine).isSuperset(of: [recent, "not-a-run"]))
    // This run's own folders are there.
    #expect(kept(drop.reportsDir).count == 5)
    #expect(try drop.ledger().depositCount() == 1)
  }

  @Test func failuresNameThePathAndTheOSCause() throws {
    let drop = try TestDrop()
    try Data("a file, not a folder".utf8).write(to: drop.root.appendingPathComponent("blocked"))
    let text = try String(contentsOfFile: drop.configPath, encoding: .utf8)
      .replacingOccurrences(of: "dir = \"var/reports\"", with: "dir = \"blocked/reports\"")
    try text.write(toFile: drop.configPath, atomically: true, encoding: .utf8)
    try drop.drop("orders.csv", csvHeader + "\n" + Self.goodLine + "\n")
    let run = try runCommand(["run", "--quiet", "--config", drop.configPath])
    #expect(run.status == 74)
    #expect(run.standardError.contains(drop.root.appendingPathComponent("blocked/reports").path))
    #expect(run.standardError.contains("Not a directory (ENOTDIR)"), "\(run.standardError)")
    #expect(!run.standardError.contains("NSCocoaErrorDomain"))
    #expect(try drop.ledger().depositCount() == 0)
  }

  @Test(arguments: Backend.tested)
  func aQuarantinedFileIsRememberedUntilItIsReleased(backend: Backend) throws {
    let drop = try TestDrop(backend: backend, onSuccess: "keep")
    let broken = csvHeader.replacingOccurrences(of: "smart_account,", with: "") + "\n" + Self.goodLine + "\n"
    try drop.drop("globalnet/orders.csv", broken)
    let first = try runCommand(["run", "--json", "--config", drop.configPath])
    #expect(first.status == 65)
    // The next nights: remembered, not refused again, no alert.
    let second = try runCommand(["run", "--json", "--config", drop.configPath])
    #expect(second.status == 0, "\(second.standardOutput)")
    let summary = try #require(
      try JSONSerialization.jsonObject(with: Data(second.standardOutput.utf8)) as? [String: Any])
    #expect((summary["files"] as? [String: Int])?["duplicate"] == 1)
    #expect((summary["files"] as? [String: Int])?["quarantined"] == 0)

    let list = try runCommand(["quarantine", "list", "--json", "--config", drop.configPath])
    #expect(list.status == 0)
    let listed = try #require(
      try JSONSerialization.jsonObject(with: Data(list.standardOutput.utf8)) as? [[String: Any]])
    #expect(listed.count == 1)
    #expect(listed.first?["name"] as? String == "globalnet/orders.csv")
    #expect((listed.first?["reason"] as? String)?.contains("missing-columns") == true)
    let runID = try #require(listed.first?["run_id"] as? String)

    // Fixed in the quarantine folder, then released: back in its inbox, taken by the next run.
    let copy = drop.quarantine.appendingPathComponent("\(runID)/globalnet/orders.csv")
    #expect(FileManager.default.fileExists(atPath: copy.path))
    try Data((csvHeader + "\n" + Self.goodLine + "\n").utf8).write(to: copy)
    #expect(try runCommand(["quarantine", "release", "nothing.csv", "--config", drop.configPath]).status == 66)
    let release = try runCommand(["quarantine", "release", "globalnet/orders.csv", "--config", drop.configPath])
    #expect(release.status == 0, "\(release.standardError)")
    #expect(!FileManager.default.fileExists(atPath: copy.path))
    let third = try runCommand(["run", "--json", "--config", drop.configPath])
    #expect(third.status == 0, "\(third.standardOutput)")
    let lines = try #require(
      (try JSONSerialization.jsonObject(with: Data(third.standardOutput.utf8)) as? [String: Any])?["lines"]
        as? [String: Int])
    #expect(lines["deposited"] == 1)
    let after = try runCommand(["quarantine", "list", "--json", "--config", drop.configPath])
    #expect((try JSONSerialization.jsonObject(with: Data(after.standardOutput.utf8)) as? [Any])?.isEmpty == true)
  }
}
