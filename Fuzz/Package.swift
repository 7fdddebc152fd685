// swift-tools-version:6.0
import PackageDescription

// libFuzzer targets for the readers that see untrusted bytes. Build and run
// them with Fuzz/run.sh; they are not part of the main package's build.
let package = Package(
  name: "smartdeposit-fuzz",
  dependencies: [.package(path: "..")],
  targets: [
    .target(name: "FuzzSupport"),
    .executableTarget(
      name: "FuzzCSV", dependencies: ["FuzzSupport", .product(name: "SmartDeposit", package: "main")],
      swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
    .executableTarget(
      name: "FuzzXML", dependencies: ["FuzzSupport", .product(name: "SmartDeposit", package: "main")],
      swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
  ],
  swiftLanguageModes: [.v6]
)
