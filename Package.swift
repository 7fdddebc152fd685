// swift-tools-version:6.0
import PackageDescription

let package = Package(
  name: "smartdeposit",
  platforms: [.macOS(.v13)],
  products: [
    .executable(name: "smartdeposit", targets: ["smartdeposit"]),
    .library(name: "SmartDeposit", targets: ["SmartDeposit"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
    .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
    .package(url: "https://github.com/apple/swift-crypto", "3.0.0"..<"5.0.0"),
    .package(url: "https://github.com/vapor/postgres-nio", from: "1.30.0"),
    .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.19"),
    .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
    .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
  ],
  targets: [
    .systemLibrary(
      name: "CLibXML2",
      pkgConfig: "libxml-2.0",
      providers: [.apt(["libxml2-dev"])]
    ),
    .systemLibrary(
      name: "CSmartDepositZlib",
      providers: [.apt(["zlib1g-dev"])]
    ),
    .systemLibrary(
      name: "CSmartDepositSystem",
      providers: [.apt(["libsqlite3-dev"])]
    ),
    .target(
      name: "SmartDeposit",
      dependencies: [
        "CLibXML2",
        "CSmartDepositZlib",
        "CSmartDepositSystem",
        .product(name: "GRDB", package: "GRDB.swift"),
        .product(name: "GRDBSQLite", package: "GRDB.swift"),
        .product(name: "TOMLKit", package: "TOMLKit"),
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "PostgresNIO", package: "postgres-nio"),
        .product(name: "ZIPFoundation", package: "ZIPFoundation"),
        .product(name: "Prometheus", package: "swift-prometheus"),
        .product(name: "Logging", package: "swift-log"),
      ]
    ),
    .executableTarget(
      name: "smartdeposit",
      dependencies: [
        "SmartDeposit",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Logging", package: "swift-log"),
      ],
      // The Swift runtime and Foundation linked in: the loader has far
      // fewer relocations to apply at start, and only the pages the
      // program uses are read in.
      linkerSettings: [
        .unsafeFlags(
          [
            "-static-stdlib", "-Xlinker", "--start-group", "-lFoundation", "-lFoundationInternationalization",
            "-lFoundationEssentials", "-lCoreFoundation", "-l_FoundationICU", "-l_FoundationCShims",
            "-l_FoundationCollections", "-Xlinker", "--end-group",
          ], .when(platforms: [.linux]))
      ]
    ),
    .target(
      name: "SmartDepositTestSupport",
      dependencies: ["SmartDeposit"],
      path: "Tests/SmartDepositTestSupport"
    ),
    .testTarget(
      name: "SmartDepositTests",
      dependencies: ["SmartDeposit", "SmartDepositTestSupport"],
      exclude: []
    ),
    .testTarget(
      name: "EndToEndTests",
      dependencies: ["SmartDeposit", "SmartDepositTestSupport"]
    ),
  ],
  swiftLanguageModes: [.v6]
)
