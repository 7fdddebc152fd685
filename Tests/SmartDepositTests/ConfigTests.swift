import SmartDeposit
import Testing

@Suite("pipeline.conf")
struct ConfigTests {
  @Test func defaultsAndRelativePaths() throws {
    let config = try PipelineConfig.parse(
      """
      [drop]
      inbox = "in"
      on_success = "move"
      settle_seconds = 2.5
      [[partner]]
      name = "globalnet"
      inbox = "gn"
      """, file: "p.conf", folder: "/srv/deposit")
    #expect(config.inbox == "/srv/deposit/in")
    #expect(config.ledgerPath == "/srv/deposit/var/ledger.sqlite")
    #expect(config.onSuccess == .move)
    #expect(config.settleSeconds == 2.5)
    #expect(config.partners == [PartnerConfig(name: "globalnet", inbox: "gn")])
    #expect(config.atomicity == .order)
  }

  static let invalid: [(String, String)] = [
    ("[drop]\ninbx = \"x\"\n", "drop.inbx"),
    ("[dorp]\n", "dorp"),
    ("[drop]\nsettle_seconds = \"10\"\n", "drop.settle_seconds"),
    ("[policy]\natomicity = \"file\"\n", "policy.atomicity"),
    ("[policy]\nmax_quantity = 0\n", "policy.max_quantity"),
    ("[accounts]\npublic_mail_domains = \"gmail.com\"\n", "accounts.public_mail_domains"),
    ("[[partner]]\ninbox = \"x\"\n", "partner[1].name"),
    ("[[partner]]\nname = \"a\"\ninbox = \"../up\"\n", "partner[1].inbox"),
    ("[drop]\non_success = \"delete\"\n", "drop.on_success"),
  ]

  @Test(arguments: invalid)
  func invalidKeysAreNamed(text: String, key: String) {
    #expect {
      _ = try PipelineConfig.parse(text, file: "p.conf", folder: "/x")
    } throws: { error in
      guard let error = error as? ConfigError else { return false }
      return error.key == key && error.description.contains("p.conf") && error.description.contains(key)
    }
  }

  @Test func invalidTOMLNamesTheLine() {
    #expect {
      _ = try PipelineConfig.parse("[drop]\ninbox = \n", file: "p.conf", folder: "/x")
    } throws: { error in
      (error as? ConfigError)?.line == 2
    }
  }
}
