"""Versioned schema migrations for the ledger.

Each migration is applied once, in order, inside a transaction, and recorded
in ``schema_migrations``. Append new migrations; never edit a released one.
SQL is written in the common subset of SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Final

MIGRATIONS: Final[list[tuple[int, str, str]]] = [
    (
        1,
        "exchanges and tool calls",
        """
        CREATE TABLE IF NOT EXISTS exchanges (
            id TEXT PRIMARY KEY,
            created_at DOUBLE PRECISION NOT NULL,
            endpoint TEXT NOT NULL,
            model TEXT,
            requested_model TEXT,
            status TEXT NOT NULL,
            http_status INTEGER,
            attempt INTEGER NOT NULL DEFAULT 1,
            stream INTEGER NOT NULL DEFAULT 0,
            latency_ms DOUBLE PRECISION,
            input_tokens INTEGER NOT NULL DEFAULT 0,
            cached_input_tokens INTEGER NOT NULL DEFAULT 0,
            audio_input_tokens INTEGER NOT NULL DEFAULT 0,
            output_tokens INTEGER NOT NULL DEFAULT 0,
            reasoning_tokens INTEGER NOT NULL DEFAULT 0,
            audio_output_tokens INTEGER NOT NULL DEFAULT 0,
            images INTEGER NOT NULL DEFAULT 0,
            audio_seconds DOUBLE PRECISION NOT NULL DEFAULT 0,
            characters INTEGER NOT NULL DEFAULT 0,
            usage_json TEXT,
            estimated_input_tokens INTEGER,
            estimate_usd TEXT,
            cost_usd TEXT,
            cost_nanousd BIGINT,
            price_source TEXT,
            price_version TEXT,
            project TEXT,
            user_id TEXT,
            session TEXT,
            request_id TEXT,
            upstream TEXT,
            error_class TEXT,
            error_message TEXT,
            note TEXT
        );
        CREATE INDEX IF NOT EXISTS exchanges_created_at ON exchanges (created_at);
        CREATE INDEX IF NOT EXISTS exchanges_session ON exchanges (session);
        CREATE TABLE IF NOT EXISTS tool_calls (
            id TEXT PRIMARY KEY,
            created_at DOUBLE PRECISION NOT NULL,
            server TEXT NOT NULL,
            tool TEXT NOT NULL,
            status TEXT NOT NULL,
            duration_ms DOUBLE PRECISION,
            output_bytes INTEGER,
            error TEXT,
            session TEXT,
            exchange_id TEXT
        );
        CREATE INDEX IF NOT EXISTS tool_calls_created_at ON tool_calls (created_at);
        """,
    ),
    (
        2,
        "retry attempts: exchange_id, wait_ms, fallback_from",
        """
        ALTER TABLE exchanges ADD COLUMN exchange_id TEXT;
        ALTER TABLE exchanges ADD COLUMN wait_ms DOUBLE PRECISION;
        ALTER TABLE exchanges ADD COLUMN fallback_from TEXT;
        CREATE INDEX IF NOT EXISTS exchanges_exchange_id ON exchanges (exchange_id)
        """,
    ),
    (
        3,
        "budgets: definitions, usage per period window, reservations, alerts",
        """
        CREATE TABLE IF NOT EXISTS budgets (
            scope TEXT NOT NULL,
            period TEXT NOT NULL,
            limit_nanousd BIGINT NOT NULL,
            alerts TEXT NOT NULL,
            action TEXT NOT NULL,
            timezone TEXT NOT NULL,
            webhook TEXT,
            created_at DOUBLE PRECISION NOT NULL,
            updated_at DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (scope, period)
        );
        CREATE TABLE IF NOT EXISTS budget_usage (
            budget TEXT NOT NULL,
            period_key TEXT NOT NULL,
            spent_nanousd BIGINT NOT NULL DEFAULT 0,
            reserved_nanousd BIGINT NOT NULL DEFAULT 0,
            settled_count INTEGER NOT NULL DEFAULT 0,
            first_at DOUBLE PRECISION,
            last_at DOUBLE PRECISION,
            PRIMARY KEY (budget, period_key)
        );
        CREATE TABLE IF NOT EXISTS budget_reservations (
            id TEXT PRIMARY KEY,
            exchange_id TEXT,
            label TEXT,
            created_at DOUBLE PRECISION NOT NULL,
            expires_at DOUBLE PRECISION NOT NULL,
            host TEXT NOT NULL,
            pid INTEGER NOT NULL,
            state TEXT NOT NULL,
            estimate_nanousd BIGINT NOT NULL,
            extra_nanousd BIGINT NOT NULL DEFAULT 0,
            actual_nanousd BIGINT,
            charges TEXT NOT NULL,
            settled_at DOUBLE PRECISION
        );
        CREATE INDEX IF NOT EXISTS budget_reservations_state ON budget_reservations (state, expires_at);
        CREATE TABLE IF NOT EXISTS budget_alerts (
            budget TEXT NOT NULL,
            period_key TEXT NOT NULL,
            kind TEXT NOT NULL,
            threshold INTEGER NOT NULL,
            fired_at DOUBLE PRECISION NOT NULL,
            spent_nanousd BIGINT NOT NULL,
            reserved_nanousd BIGINT NOT NULL,
            limit_nanousd BIGINT NOT NULL,
            PRIMARY KEY (budget, period_key, kind, threshold)
        )
        """,
    ),
    (
        4,
        "shared client-side rate limits (token buckets per base URL and model)",
        """
        CREATE TABLE IF NOT EXISTS rate_limit_buckets (
            key TEXT PRIMARY KEY,
            requests DOUBLE PRECISION,
            tokens DOUBLE PRECISION,
            stamp DOUBLE PRECISION NOT NULL
        )
        """,
    ),
    (
        5,
        "opt-in response cache and MCP tool pins",
        """
        CREATE TABLE IF NOT EXISTS response_cache (
            key TEXT PRIMARY KEY,
            endpoint TEXT NOT NULL,
            model TEXT,
            created_at DOUBLE PRECISION NOT NULL,
            expires_at DOUBLE PRECISION NOT NULL,
            content_type TEXT NOT NULL,
            body TEXT NOT NULL,
            exchange_id TEXT NOT NULL,
            cost_usd TEXT,
            hits INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX IF NOT EXISTS response_cache_expires ON response_cache (expires_at);
        CREATE TABLE IF NOT EXISTS mcp_tool_pins (
            server TEXT NOT NULL,
            tool TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            definition TEXT NOT NULL,
            approved_at DOUBLE PRECISION NOT NULL,
            source TEXT NOT NULL,
            PRIMARY KEY (server, tool)
        )
        """,
    ),
]
