import GRDB

/// The ledger's schema, versioned by GRDB migrations. The ledger is a journal
/// of movements (deposits and transfers); balances are derived from it.
enum LedgerSchema {
  static var migrator: DatabaseMigrator {
    var migrator = DatabaseMigrator()
    migrator.registerMigration("v1-journal") { db in
      try db.execute(
        sql: """
          CREATE TABLE accounts (
            smart_account TEXT PRIMARY KEY NOT NULL,
            name TEXT NOT NULL,
            type TEXT NOT NULL CHECK (type IN ('customer', 'holding', 'limited-use')),
            partner TEXT NOT NULL DEFAULT '',
            synced_at TEXT NOT NULL
          ) WITHOUT ROWID;
          CREATE TABLE virtual_accounts (
            smart_account TEXT NOT NULL REFERENCES accounts(smart_account),
            name_key TEXT NOT NULL,
            name TEXT NOT NULL,
            PRIMARY KEY (smart_account, name_key)
          ) WITHOUT ROWID;
          CREATE TABLE runs (
            id TEXT PRIMARY KEY NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL,
            exit_code INTEGER,
            pid INTEGER,
            files_processed INTEGER NOT NULL DEFAULT 0,
            lines_deposited INTEGER NOT NULL DEFAULT 0,
            lines_rejected INTEGER NOT NULL DEFAULT 0
          );
          CREATE TABLE files (
            id INTEGER PRIMARY KEY,
            sha256 TEXT NOT NULL,
            name TEXT NOT NULL,
            format TEXT NOT NULL,
            sender TEXT NOT NULL,
            run_id TEXT NOT NULL,
            outcome TEXT NOT NULL CHECK (outcome IN ('processed', 'quarantined')),
            lines INTEGER NOT NULL,
            rejected INTEGER NOT NULL,
            reason TEXT NOT NULL DEFAULT '',
            size INTEGER NOT NULL DEFAULT 0,
            disposition TEXT NOT NULL,
            recorded_at TEXT NOT NULL
          );
          -- The identity of a file is its content: one processed record per hash.
          CREATE UNIQUE INDEX files_processed_sha256 ON files(sha256) WHERE outcome = 'processed';
          -- The identity of a deposit, (web order id, line number), is the
          -- primary key: deposited once. Without a rowid, the key is the only
          -- B-tree a bulk load writes.
          CREATE TABLE deposits (
            web_order_id TEXT NOT NULL,
            line_number TEXT NOT NULL,
            sku TEXT NOT NULL,
            quantity INTEGER NOT NULL CHECK (quantity > 0),
            license_type TEXT NOT NULL,
            term_months INTEGER,
            start_date TEXT,
            smart_account TEXT NOT NULL,
            virtual_account TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('available', 'held')),
            source TEXT NOT NULL,
            file_id INTEGER NOT NULL REFERENCES files(id),
            record INTEGER NOT NULL,
            sales_order TEXT NOT NULL,
            purchase_order TEXT NOT NULL,
            order_date TEXT NOT NULL,
            end_customer TEXT NOT NULL,
            PRIMARY KEY (web_order_id, line_number)
          ) WITHOUT ROWID;
          CREATE TABLE transfers (
            id INTEGER PRIMARY KEY,
            transfer_id TEXT NOT NULL,
            source TEXT NOT NULL,
            from_smart_account TEXT NOT NULL,
            from_virtual_account TEXT NOT NULL,
            web_order_id TEXT NOT NULL,
            line_number TEXT NOT NULL,
            sku TEXT NOT NULL,
            quantity INTEGER NOT NULL CHECK (quantity > 0),
            to_smart_account TEXT NOT NULL,
            to_virtual_account TEXT NOT NULL,
            file_id INTEGER,
            run_id TEXT,
            record INTEGER NOT NULL,
            applied_at TEXT NOT NULL
          );
          CREATE UNIQUE INDEX transfers_identity ON transfers(source, transfer_id);
          CREATE INDEX transfers_deposit ON transfers(web_order_id, line_number);
          CREATE TABLE rejects (
            id INTEGER PRIMARY KEY,
            run_id TEXT NOT NULL,
            file_id INTEGER,
            file TEXT NOT NULL,
            record INTEGER NOT NULL,
            web_order_id TEXT NOT NULL,
            line_number TEXT NOT NULL,
            code TEXT NOT NULL,
            message TEXT NOT NULL,
            sku TEXT NOT NULL DEFAULT '',
            quantity INTEGER,
            smart_account TEXT NOT NULL DEFAULT ''
          );
          CREATE INDEX rejects_identity ON rejects(web_order_id, line_number);
          """)
    }
    migrator.registerMigration("v2-rejects-by-file") { db in
      // A file's rejects are read back in record order for its report: in
      // this index's order, without sorting them in memory.
      try db.execute(sql: "CREATE INDEX rejects_by_file ON rejects(file_id, record)")
    }
    migrator.registerMigration("v3-canonical-identity") { db in
      try migrateToCanonicalIdentity(db)
    }
    migrator.registerMigration("v4-run-host") { db in
      // Which machine ran each run: several hosts may share one ledger.
      try db.execute(sql: "ALTER TABLE runs ADD COLUMN host TEXT NOT NULL DEFAULT ''")
    }
    migrator.registerMigration("v5-file-totals") { db in
      // What each file added to the ledger, kept with it: ledger-wide
      // figures (the metrics) add these up instead of scanning every deposit.
      try db.execute(
        sql: """
          ALTER TABLE files ADD COLUMN deposited INTEGER NOT NULL DEFAULT 0;
          ALTER TABLE files ADD COLUMN held_quantity INTEGER NOT NULL DEFAULT 0;
          \(LedgerQueries.backfillFileTotalsSQL)
          """)
    }
    migrator.registerMigration("v6-run-counts") { db in
      try db.execute(sql: LedgerQueries.runCountsMigrationSQL)
    }
    migrator.registerMigration("v7-report-context") { db in
      try db.execute(
        sql: LedgerQueries.reportContextMigrationSQL
          + "\n" + LedgerQueries.runFilesTableSQL(idColumn: "INTEGER PRIMARY KEY"))
    }
    migrator.registerMigration("v8-registry-source") { db in
      try db.execute(sql: LedgerQueries.registrySourceTableSQL)
    }
    migrator.registerMigration("v9-files-by-size") { db in
      try db.execute(sql: LedgerQueries.filesBySizeIndexSQL)
    }
    return migrator
  }

  /// Re-keys every stored identity by meaning (`LineIdentity`): deposits,
  /// rejects and transfers get the keys of their web order id and line
  /// number beside the spelling their file used, and SKUs are stored
  /// upper-case.
  ///
  /// A ledger made before these rules may hold one line twice under two
  /// spellings (`1.0` and `1`): a double deposit. The migration does not
  /// guess which one is right and deletes nothing: the first deposit (by
  /// file, then record) keeps `twin = 0`, the identity every later lookup
  /// finds; the others are kept as twins 1, 2, … so that the unique key
  /// holds and balances do not change. `ledger doctor` and `reconcile` list
  /// them for a person to correct.
  static func migrateToCanonicalIdentity(_ db: Database) throws {
    func function(_ name: String, _ body: @escaping @Sendable (String) -> String) -> DatabaseFunction {
      DatabaseFunction(name, argumentCount: 1, pure: true) { values in
        guard let text = String.fromDatabaseValue(values[0]) else { return nil }
        return body(text)
      }
    }
    db.add(function: function("smartdeposit_order_key", LineIdentity.orderKey))
    db.add(function: function("smartdeposit_line_key", LineIdentity.lineKey))
    db.add(function: function("smartdeposit_sku_key", LineIdentity.skuKey))
    try db.execute(
      sql: """
        CREATE TABLE deposits_canonical (
          order_key TEXT NOT NULL,
          line_key TEXT NOT NULL,
          twin INTEGER NOT NULL DEFAULT 0 CHECK (twin >= 0),
          web_order_id TEXT NOT NULL,
          line_number TEXT NOT NULL,
          sku TEXT NOT NULL,
          quantity INTEGER NOT NULL CHECK (quantity > 0),
          license_type TEXT NOT NULL,
          term_months INTEGER,
          start_date TEXT,
          smart_account TEXT NOT NULL,
          virtual_account TEXT NOT NULL,
          status TEXT NOT NULL CHECK (status IN ('available', 'held')),
          source TEXT NOT NULL,
          file_id INTEGER NOT NULL REFERENCES files(id),
          record INTEGER NOT NULL,
          sales_order TEXT NOT NULL,
          purchase_order TEXT NOT NULL,
          order_date TEXT NOT NULL,
          end_customer TEXT NOT NULL,
          PRIMARY KEY (order_key, line_key, twin)
        ) WITHOUT ROWID;
        INSERT INTO deposits_canonical(
          order_key, line_key, twin, web_order_id, line_number, sku, quantity, license_type, term_months, start_date,
          smart_account, virtual_account, status, source, file_id, record, sales_order, purchase_order, order_date,
          end_customer)
        SELECT order_key, line_key,
               ROW_NUMBER() OVER (PARTITION BY order_key, line_key ORDER BY file_id, record, web_order_id, line_number)
                 - 1,
               web_order_id, line_number, smartdeposit_sku_key(sku), quantity, license_type, term_months, start_date,
               smart_account, virtual_account, status, source, file_id, record, sales_order, purchase_order,
               order_date, end_customer
          FROM (SELECT *, smartdeposit_order_key(web_order_id) AS order_key,
                       smartdeposit_line_key(line_number) AS line_key
                  FROM deposits);
        DROP TABLE deposits;
        ALTER TABLE deposits_canonical RENAME TO deposits;
        -- The few rows a migration had to keep twice, found without a scan.
        CREATE INDEX deposits_twins ON deposits(order_key, line_key) WHERE twin > 0;

        ALTER TABLE rejects ADD COLUMN order_key TEXT NOT NULL DEFAULT '';
        ALTER TABLE rejects ADD COLUMN line_key TEXT NOT NULL DEFAULT '';
        UPDATE rejects SET order_key = smartdeposit_order_key(web_order_id),
                           line_key = smartdeposit_line_key(line_number);
        DROP INDEX rejects_identity;
        CREATE INDEX rejects_identity ON rejects(order_key, line_key);

        ALTER TABLE transfers ADD COLUMN order_key TEXT NOT NULL DEFAULT '';
        ALTER TABLE transfers ADD COLUMN line_key TEXT NOT NULL DEFAULT '';
        UPDATE transfers SET order_key = smartdeposit_order_key(web_order_id),
                             line_key = smartdeposit_line_key(line_number),
                             sku = smartdeposit_sku_key(sku);
        DROP INDEX transfers_deposit;
        CREATE INDEX transfers_deposit ON transfers(order_key, line_key);
        """)
  }
}
