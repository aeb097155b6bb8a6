// Package ledger keeps headroom's history in SQLite (WAL mode): every decision with the state it was
// taken in (observations, forecast, prediction, SLO books, cost), so the API can answer "what did
// headroom decide, and why" across restarts. Old rows are pruned by a retention.
package ledger

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/headroom-oss/headroom/control"

	_ "modernc.org/sqlite" // the pure-Go SQLite driver

	"github.com/headroom-oss/headroom/internal/app/loop"
)

// Ledger is the history store.
type Ledger struct {
	db        *sql.DB
	retention time.Duration
}

const schema = `
CREATE TABLE IF NOT EXISTS decisions (
	id       INTEGER PRIMARY KEY,
	service  TEXT    NOT NULL,
	at_ms    INTEGER NOT NULL,
	replicas INTEGER NOT NULL,
	desired  INTEGER NOT NULL,
	reason   TEXT    NOT NULL,
	state    TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS decisions_service_at ON decisions (service, at_ms);
`

// Open opens (or creates) the ledger file; retention 0 keeps 30 days.
func Open(path string, retention time.Duration) (*Ledger, error) {
	if path == "" {
		return nil, errors.New("open ledger: a file path is required")
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_pragma=synchronous(NORMAL)")
	if err != nil {
		return nil, fmt.Errorf("open ledger %s: %w", path, err)
	}
	db.SetMaxOpenConns(1) // one writer; SQLite serialises anyway
	if _, err := db.Exec(schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("open ledger %s: %w", path, err)
	}
	if retention == 0 {
		retention = 30 * 24 * time.Hour
	}
	return &Ledger{db: db, retention: retention}, nil
}

// Close closes the file.
func (l *Ledger) Close() error { return l.db.Close() }

// Record stores a decision and its state.
func (l *Ledger) Record(ctx context.Context, st loop.State) error {
	state, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("record decision: %w", err)
	}
	_, err = l.db.ExecContext(ctx, `INSERT INTO decisions (service, at_ms, replicas, desired, reason, state) VALUES (?, ?, ?, ?, ?, ?)`,
		st.Service, st.At.UnixMilli(), st.Replicas, st.Desired, st.Reason, string(state))
	if err != nil {
		return fmt.Errorf("record decision: %w", err)
	}
	return nil
}

// Decisions returns a service's decisions since a time, oldest first, at most limit of the newest.
func (l *Ledger) Decisions(ctx context.Context, service string, since time.Time, limit int) ([]control.Decision, error) {
	if limit <= 0 {
		limit = 1000
	}
	rows, err := l.db.QueryContext(ctx, `SELECT at_ms, replicas, desired, reason FROM (
		SELECT at_ms, replicas, desired, reason FROM decisions WHERE service = ? AND at_ms >= ? ORDER BY at_ms DESC LIMIT ?
	) ORDER BY at_ms`, service, since.UnixMilli(), limit)
	if err != nil {
		return nil, fmt.Errorf("read decisions: %w", err)
	}
	defer rows.Close()
	out := []control.Decision{}
	for rows.Next() {
		var ms int64
		d := control.Decision{Service: service}
		if err := rows.Scan(&ms, &d.From, &d.To, &d.Reason); err != nil {
			return nil, fmt.Errorf("read decisions: %w", err)
		}
		d.At = time.UnixMilli(ms).UTC()
		out = append(out, d)
	}
	return out, rows.Err()
}

// States returns a service's recorded states (forecasts, predictions, budgets, cost) in a span,
// oldest first.
func (l *Ledger) States(ctx context.Context, service string, from, to time.Time) ([]loop.State, error) {
	rows, err := l.db.QueryContext(ctx, `SELECT state FROM decisions WHERE service = ? AND at_ms BETWEEN ? AND ? ORDER BY at_ms`,
		service, from.UnixMilli(), to.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("read states: %w", err)
	}
	defer rows.Close()
	out := []loop.State{}
	for rows.Next() {
		var raw string
		if err := rows.Scan(&raw); err != nil {
			return nil, fmt.Errorf("read states: %w", err)
		}
		var st loop.State
		if err := json.Unmarshal([]byte(raw), &st); err != nil {
			return nil, fmt.Errorf("read states: a corrupt row: %w", err)
		}
		out = append(out, st)
	}
	return out, rows.Err()
}

// Prune deletes what is older than the retention at now, and says how many rows went.
func (l *Ledger) Prune(ctx context.Context, now time.Time) (int64, error) {
	res, err := l.db.ExecContext(ctx, `DELETE FROM decisions WHERE at_ms < ?`, now.Add(-l.retention).UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("prune ledger: %w", err)
	}
	return res.RowsAffected()
}
