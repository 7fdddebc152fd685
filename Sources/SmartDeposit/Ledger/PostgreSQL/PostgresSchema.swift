/// The PostgreSQL ledger's schema, versioned: the same tables, keys and
/// unique constraints as the SQLite ledger's, born with identities by
/// meaning (`order_key`, `line_key`, `twin`), plus what several runners
/// need: file claims and run leases.
enum PostgresSchema {
  /// Migrations in order; each runs once, in its own transaction, recorded in `schema_migrations`.
  static let migrations: [(version: String, sql: String)] = [
    (
      "v1-ledger",
      """
      CREATE TABLE accounts (
        smart_account TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        type TEXT NOT NULL CHECK (type IN ('customer', 'holding', 'limited-use')),
        partner TEXT NOT NULL DEFAULT '',
        synced_at TEXT NOT NULL
      );
      CREATE TABLE virtual_accounts (
        smart_account TEXT NOT NULL REFERENCES accounts(smart_account),
        name_key TEXT NOT NULL,
        name TEXT NOT NULL,
        PRIMARY KEY (smart_account, name_key)
      );
      CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        status TEXT NOT NULL,
        exit_code INTEGER,
        pid INTEGER,
        host TEXT NOT NULL DEFAULT '',
        files_processed INTEGER NOT NULL DEFAULT 0,
        lines_deposited INTEGER NOT NULL DEFAULT 0,
        lines_rejected INTEGER NOT NULL DEFAULT 0,
        -- A running run is alive while it keeps pushing this forward.
        lease_until TIMESTAMPTZ
      );
      CREATE TABLE files (
        id BIGSERIAL PRIMARY KEY,
        sha256 TEXT NOT NULL,
        name TEXT NOT NULL,
        format TEXT NOT NULL,
        sender TEXT NOT NULL,
        run_id TEXT NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ('processed', 'quarantined')),
        lines INTEGER NOT NULL,
        rejected INTEGER NOT NULL,
        reason TEXT NOT NULL DEFAULT '',
        size BIGINT NOT NULL DEFAULT 0,
        disposition TEXT NOT NULL,
        recorded_at TEXT NOT NULL
      );
      CREATE UNIQUE INDEX files_processed_sha256 ON files(sha256) WHERE outcome = 'processed';
      CREATE INDEX files_size ON files(size) WHERE outcome = 'processed';
      CREATE TABLE deposits (
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
        -- No foreign key: a check per deposited row, and every row references
        -- the file record its own transaction inserted first.
        file_id BIGINT NOT NULL,
        record INTEGER NOT NULL,
        sales_order TEXT NOT NULL,
        purchase_order TEXT NOT NULL,
        order_date TEXT NOT NULL,
        end_customer TEXT NOT NULL,
        PRIMARY KEY (order_key, line_key, twin)
      );
      CREATE INDEX deposits_twins ON deposits(order_key, line_key) WHERE twin > 0;
      CREATE TABLE transfers (
        id BIGSERIAL PRIMARY KEY,
        transfer_id TEXT NOT NULL,
        source TEXT NOT NULL,
        from_smart_account TEXT NOT NULL,
        from_virtual_account TEXT NOT NULL,
        web_order_id TEXT NOT NULL,
        line_number TEXT NOT NULL,
        order_key TEXT NOT NULL,
        line_key TEXT NOT NULL,
        sku TEXT NOT NULL,
        quantity INTEGER NOT NULL CHECK (quantity > 0),
        to_smart_account TEXT NOT NULL,
        to_virtual_account TEXT NOT NULL,
        file_id BIGINT,
        run_id TEXT,
        record INTEGER NOT NULL,
        applied_at TEXT NOT NULL
      );
      CREATE UNIQUE INDEX transfers_identity ON transfers(source, transfer_id);
      CREATE INDEX transfers_deposit ON transfers(order_key, line_key);
      CREATE TABLE rejects (
        id BIGSERIAL PRIMARY KEY,
        run_id TEXT NOT NULL,
        file_id BIGINT,
        file TEXT NOT NULL,
        record INTEGER NOT NULL,
        web_order_id TEXT NOT NULL,
        line_number TEXT NOT NULL,
        order_key TEXT NOT NULL DEFAULT '',
        line_key TEXT NOT NULL DEFAULT '',
        code TEXT NOT NULL,
        message TEXT NOT NULL,
        sku TEXT NOT NULL DEFAULT '',
        quantity INTEGER,
        smart_account TEXT NOT NULL DEFAULT ''
      );
      CREATE INDEX rejects_identity ON rejects(order_key, line_key);
      CREATE INDEX rejects_by_file ON rejects(file_id, record);
      -- A file in an inbox claimed by one runner, by path, size and
      -- modification time; the claim lapses when its holder stops renewing it.
      CREATE TABLE file_claims (
        path TEXT NOT NULL,
        size BIGINT NOT NULL,
        modified DOUBLE PRECISION NOT NULL,
        run_id TEXT NOT NULL,
        expires_at TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (path, size, modified)
      );
      CREATE INDEX file_claims_by_run ON file_claims(run_id);
      """
    ),
    (
      "v2-file-totals",
      """
      ALTER TABLE files ADD COLUMN deposited BIGINT NOT NULL DEFAULT 0;
      ALTER TABLE files ADD COLUMN held_quantity BIGINT NOT NULL DEFAULT 0;
      \(LedgerQueries.backfillFileTotalsSQL)
      """
    ),
    ("v3-run-counts", LedgerQueries.runCountsMigrationSQL),
    (
      "v4-report-context",
      LedgerQueries.reportContextMigrationSQL + "\n" + LedgerQueries.runFilesTableSQL(idColumn: "BIGSERIAL PRIMARY KEY")
        // Runs in the order they started, also within one second (SQLite has its rowid).
        + "\nALTER TABLE runs ADD COLUMN seq BIGSERIAL;\n"
    ),
    ("v5-registry-source", LedgerQueries.registrySourceTableSQL),
    // The size of quarantined files is asked too: the partial index on
    // processed files could not answer that.
    ("v6-files-by-size", "DROP INDEX files_size;\n" + LedgerQueries.filesBySizeIndexSQL + ";"),
    // A check per row, each a locking look-up: 17,500 Virtual Accounts took
    // the first sync 135 ms. Virtual Accounts are written only by the
    // registry's sync and `ledger copy`, each after its accounts in the
    // same transaction.
    (
      "v7-virtual-accounts-unchecked",
      "ALTER TABLE virtual_accounts DROP CONSTRAINT IF EXISTS virtual_accounts_smart_account_fkey;"
    ),
  ]
}
