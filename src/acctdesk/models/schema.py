"""The workspace schema: canonical entities and their ordered, named migrations.

Every table of DESIGN.md lives here. Conventions (the contract for importers and analytics):

* dates are ISO-8601 text (``YYYY-MM-DD``; timestamps ``YYYY-MM-DDTHH:MM:SS``);
* money is REAL in the workspace currency (``meta.currency``), per month for ``mrr``, per
  year for ``arr``;
* ``batch_id`` names the import batch that last wrote a row (NULL for demo/generated data
  and user edits, which go to the audit log);
* ``custom`` holds a JSON object of columns an import kept that have no canonical field.

Migrations are appended, never edited: a released workspace file records the names of the
migrations it has run (table ``_migrations``) and ``PRAGMA user_version`` holds their count.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable
import sqlite3


#: canonical fields per entity, in display order; importers map source columns onto these.
ENTITY_FIELDS: dict[str, tuple[str, ...]] = {
    "accounts": (
        "account_id", "name", "domain", "industry", "segment", "region", "owner", "arr",
        "seats", "contract_start", "contract_end", "renewal_date", "status", "churn_date",
    ),
    "subscriptions": (
        "sub_id", "account_id", "product", "plan", "quantity", "mrr", "arr", "start_date",
        "end_date", "status", "source",
    ),
    "usage": ("account_id", "date", "metric", "value"),
    "tickets": (
        "source", "ticket_id", "account_id", "created_at", "solved_at", "priority", "status",
        "csat", "subject", "requester_email",
    ),
    "surveys": (
        "source", "response_id", "account_id", "contact_email", "date", "kind", "score",
        "comment",
    ),
    "contacts": ("account_id", "email", "name", "title", "role", "last_contact"),
    "activities": ("activity_id", "account_id", "date", "kind", "text", "author"),
    # CRM deals / opportunities: pipeline, never revenue (no MRR, no product, no NRR)
    "opportunities": (
        "source", "opp_id", "account_id", "name", "stage", "status", "amount", "close_date",
        "created_date", "type", "owner", "probability",
    ),
}

#: primary keys of the canonical entities (used by upserts and history).
ENTITY_KEYS: dict[str, tuple[str, ...]] = {
    "accounts": ("account_id",),
    "subscriptions": ("sub_id",),
    "usage": ("account_id", "metric", "date"),
    "tickets": ("source", "ticket_id"),
    "surveys": ("source", "response_id"),
    "contacts": ("account_id", "email"),
    "activities": ("activity_id",),
    "opportunities": ("source", "opp_id"),
}


def run_script(conn: sqlite3.Connection, script: str) -> None:
    """Execute a multi-statement script inside the caller's transaction.

    ``Connection.executescript`` would COMMIT first, breaking the all-or-nothing migration;
    this splits the script on complete statements (so trigger bodies stay whole).
    """
    buf = ""
    for line in script.splitlines(keepends=True):
        if not buf and line.strip().startswith("--"):
            continue
        buf += line
        if sqlite3.complete_statement(buf):
            conn.execute(buf)
            buf = ""
    if buf.strip():
        raise ValueError(f"incomplete SQL statement in migration: {buf[:80]!r}")


#: the first schema, as it was created (a migration never changes once released)
_M001_SQL = """
    CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT
    );

    CREATE TABLE accounts (
        account_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        domain TEXT,
        industry TEXT,
        segment TEXT,
        region TEXT,
        owner TEXT,
        arr REAL,
        seats INTEGER,
        contract_start TEXT,
        contract_end TEXT,
        renewal_date TEXT,
        status TEXT NOT NULL DEFAULT 'active',
        churn_date TEXT,
        custom TEXT,
        batch_id INTEGER
    );
    CREATE INDEX idx_accounts_owner ON accounts(owner);
    CREATE INDEX idx_accounts_domain ON accounts(domain);
    CREATE INDEX idx_accounts_renewal ON accounts(renewal_date);
    CREATE INDEX idx_accounts_status ON accounts(status);

    CREATE TABLE subscriptions (
        sub_id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL,
        product TEXT NOT NULL,
        plan TEXT,
        quantity REAL,
        mrr REAL,
        arr REAL,
        start_date TEXT,
        end_date TEXT,
        status TEXT,
        source TEXT,
        custom TEXT,
        batch_id INTEGER
    );
    CREATE INDEX idx_subscriptions_account ON subscriptions(account_id, product, start_date);

    CREATE TABLE usage (
        account_id TEXT NOT NULL,
        metric TEXT NOT NULL,
        date TEXT NOT NULL,
        value REAL,
        batch_id INTEGER,
        PRIMARY KEY (account_id, metric, date)
    ) WITHOUT ROWID;

    CREATE TABLE tickets (
        source TEXT NOT NULL,
        ticket_id TEXT NOT NULL,
        account_id TEXT,
        created_at TEXT,
        solved_at TEXT,
        priority TEXT,
        status TEXT,
        csat REAL,
        subject TEXT,
        requester_email TEXT,
        custom TEXT,
        batch_id INTEGER,
        PRIMARY KEY (source, ticket_id)
    );
    CREATE INDEX idx_tickets_account ON tickets(account_id, created_at);

    CREATE TABLE surveys (
        source TEXT NOT NULL,
        response_id TEXT NOT NULL,
        account_id TEXT,
        contact_email TEXT,
        date TEXT,
        kind TEXT,
        score REAL,
        comment TEXT,
        custom TEXT,
        batch_id INTEGER,
        PRIMARY KEY (source, response_id)
    );
    CREATE INDEX idx_surveys_account ON surveys(account_id, date);

    CREATE TABLE contacts (
        account_id TEXT NOT NULL,
        email TEXT NOT NULL,
        name TEXT,
        title TEXT,
        role TEXT,
        last_contact TEXT,
        custom TEXT,
        batch_id INTEGER,
        PRIMARY KEY (account_id, email)
    );

    CREATE TABLE activities (
        activity_id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL,
        date TEXT,
        kind TEXT,
        text TEXT,
        author TEXT,
        custom TEXT,
        batch_id INTEGER
    );
    CREATE INDEX idx_activities_account ON activities(account_id, date);

    CREATE TABLE score_history (
        account_id TEXT NOT NULL,
        scorecard TEXT NOT NULL,
        as_of TEXT NOT NULL,
        score REAL,
        band TEXT,
        coverage REAL,
        points TEXT,
        PRIMARY KEY (account_id, scorecard, as_of)
    );

    CREATE TABLE import_batches (
        batch_id INTEGER PRIMARY KEY,
        file_name TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        profile TEXT,
        entity TEXT,
        mapping TEXT,
        counts TEXT,
        started_at TEXT,
        finished_at TEXT,
        user TEXT,
        status TEXT NOT NULL DEFAULT 'applied'
    );
    CREATE INDEX idx_import_batches_sha ON import_batches(sha256);

    CREATE TABLE rejected_rows (
        batch_id INTEGER NOT NULL,
        row_number INTEGER,
        column_name TEXT,
        value TEXT,
        reason TEXT,
        raw TEXT
    );
    CREATE INDEX idx_rejected_batch ON rejected_rows(batch_id);

    -- Rows an import replaced or inserted, so a batch can be undone exactly.
    -- op = 'insert' (undo deletes the row) or 'update' (undo restores `before`).
    CREATE TABLE row_history (
        id INTEGER PRIMARY KEY,
        batch_id INTEGER NOT NULL,
        table_name TEXT NOT NULL,
        row_key TEXT NOT NULL,
        op TEXT NOT NULL,
        before TEXT
    );
    CREATE INDEX idx_row_history_batch ON row_history(batch_id);

    CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        user TEXT,
        action TEXT NOT NULL,
        entity TEXT,
        entity_id TEXT,
        before TEXT,
        after TEXT,
        detail TEXT
    );
    CREATE INDEX idx_audit_entity ON audit_log(entity, entity_id);

    CREATE TABLE external_ids (
        source TEXT NOT NULL,
        external_id TEXT NOT NULL,
        account_id TEXT NOT NULL,
        confirmed INTEGER NOT NULL DEFAULT 0,
        batch_id INTEGER,
        PRIMARY KEY (source, external_id)
    );
    CREATE INDEX idx_external_ids_account ON external_ids(account_id);

    -- Column mappings the user confirmed, keyed by a signature of the file's header.
    CREATE TABLE saved_mappings (
        header_signature TEXT PRIMARY KEY,
        profile TEXT,
        entity TEXT,
        mapping TEXT NOT NULL,
        saved_at TEXT
    );
"""


def _m001_initial(conn: sqlite3.Connection) -> None:
    run_script(conn, _M001_SQL)


def _m002_identity_and_opportunities(conn: sqlite3.Connection) -> None:
    """External ids get a kind; CRM deals move from subscriptions to their own table.

    One id may belong to several accounts (two billing customers that carry the same product
    workspace id are still two companies; the id is then ambiguous and never links alone).
    ``external_ids.source`` is the system whose id it is (``salesforce``, ``stripe``, and
    ``product`` for the product's own workspace/tenant ids, whichever export carried them);
    ``kind`` says what the id names there (``record``, ``customer``, ``workspace`` ...).
    Deals imported before this version were stored as subscriptions with status
    won / lost / open (they never counted as revenue); they move to ``opportunities``.
    Rows an import held for review are kept with the batch like rejected rows
    (``rejected_rows.outcome`` = ``held``).
    """
    run_script(
        conn,
        """
        CREATE TABLE external_ids_new (
            source TEXT NOT NULL,
            external_id TEXT NOT NULL,
            account_id TEXT NOT NULL,
            confirmed INTEGER NOT NULL DEFAULT 0,
            batch_id INTEGER,
            kind TEXT,
            PRIMARY KEY (source, external_id, account_id)
        );
        INSERT INTO external_ids_new(source, external_id, account_id, confirmed, batch_id)
            SELECT source, external_id, account_id, confirmed, batch_id FROM external_ids;
        DROP TABLE external_ids;
        ALTER TABLE external_ids_new RENAME TO external_ids;
        CREATE INDEX idx_external_ids_account ON external_ids(account_id);
        CREATE INDEX idx_external_ids_value ON external_ids(external_id);
        ALTER TABLE rejected_rows ADD COLUMN outcome TEXT NOT NULL DEFAULT 'rejected';

        CREATE TABLE opportunities (
            source TEXT NOT NULL,
            opp_id TEXT NOT NULL,
            account_id TEXT,
            name TEXT,
            stage TEXT,
            status TEXT,
            amount REAL,
            close_date TEXT,
            created_date TEXT,
            type TEXT,
            owner TEXT,
            probability REAL,
            custom TEXT,
            batch_id INTEGER,
            PRIMARY KEY (source, opp_id)
        );
        CREATE INDEX idx_opportunities_account ON opportunities(account_id, close_date);

        INSERT OR IGNORE INTO opportunities(source, opp_id, account_id, name, stage, status,
                                            amount, close_date, custom, batch_id)
            SELECT COALESCE(source, 'crm'), sub_id, account_id, product, status, status,
                   arr, start_date, custom, batch_id
            FROM subscriptions WHERE status IN ('won', 'lost', 'open');
        DELETE FROM subscriptions WHERE status IN ('won', 'lost', 'open');
        """
    )


def _m003_usage_custom_and_audit_chain(conn: sqlite3.Connection) -> None:
    """Extra columns kept on usage rows; exact undo of overlapping batches; a hash-chained
    audit trail; a random per-workspace salt for the ids of accounts first seen in an import.

    * ``usage.custom``: columns an import kept that have no canonical field (as on the other
      entities).
    * ``row_history.after``: the values a batch brought for a row (``op = 'update'``, and
      ``op = 'touch'`` for a row it brought unchanged; ``op = 'set'`` for values set outright,
      such as ARR a billing import computed). ``before`` of a touch holds only the row's ``batch_id`` then.
      An index on (table_name, row_key) finds every batch that brought a row.
    * ``audit_log.prev_hash`` / ``hash`` (see :mod:`acctdesk.models.audit`), computed here
      for the entries already there; ``meta.audit_head`` marks the end of the chain.
    * ``meta.id_salt``: 128 random bits mixed into new account ids, so an id does not
      confirm a guessed company name.
    """
    import secrets

    from .audit import rechain

    run_script(
        conn,
        """
        ALTER TABLE usage ADD COLUMN custom TEXT;
        ALTER TABLE row_history ADD COLUMN after TEXT;
        CREATE INDEX idx_row_history_row ON row_history(table_name, row_key);
        ALTER TABLE audit_log ADD COLUMN prev_hash TEXT;
        ALTER TABLE audit_log ADD COLUMN hash TEXT;
        """
    )
    rechain(conn, 0)
    conn.execute("INSERT OR IGNORE INTO meta(key, value) VALUES ('id_salt', ?)",
                 (secrets.token_hex(16),))


@dataclass(frozen=True)
class Migration:
    name: str
    apply: Callable[[sqlite3.Connection], None]


#: Ordered. Append only: never rename, reorder or edit a released migration.
MIGRATIONS: tuple[Migration, ...] = (
    Migration("001_initial", _m001_initial),
    Migration("002_identity_and_opportunities", _m002_identity_and_opportunities),
    Migration("003_usage_custom_and_audit_chain", _m003_usage_custom_and_audit_chain),
)

SCHEMA_VERSION = len(MIGRATIONS)
