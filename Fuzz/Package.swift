// swift-tools-version:6.0
import Foundation
import PackageDescription

// A path dependency is known by its folder's name, whatever the clone is
// called: take it from where this manifest lies.
let parent = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

// libFuzzer targets for the readers that see untrusted bytes. Build and run
// them with Fuzz/run.sh; they are not part of the main package's build.
let package = Package(
  name: "smartdeposit-fuzz",
  dependencies: [.package(path: "..")],
  targets: [
    .target(name: "FuzzSupport"),
    .executableTarget(
      name: "FuzzCSV", dependencies: ["FuzzSupport", .product(name: "SmartDeposit", package: parent)],
      swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
    .executableTarget(
      name: "FuzzXLSX", dependencies: ["FuzzSupport", .product(name: "SmartDeposit", package: parent)],
      swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
    .executableTarget(
      name: "FuzzDialect", dependencies: ["FuzzSupport", .product(name: "SmartDeposit", package: parent)],
      swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
    .executableTarget(
      name: "FuzzXML", dependencies: ["FuzzSupport", .product(name: "SmartDeposit", package: parent)],
      swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
  ],
  swiftLanguageModes: [.v6]
)
