package jobs

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/riverqueue/river/rivermigrate"

	"github.com/efactura-gateway/efactura/internal/store"
)

// BackupSchema is River's part of the database for store.Backup and
// store.Restore: its tables are backed up with the store's, and a restore
// creates them at the backup's River version before loading them.
func BackupSchema() store.SchemaPart {
	return store.SchemaPart{
		Name:         "river",
		VersionTable: "river_migration",
		VersionQuery: `SELECT COALESCE(MAX(version), 0) FROM river_migration WHERE line = 'main'`,
		MigrateTo: func(ctx context.Context, st *store.Store, version int64) error {
			m, err := rivermigrate.New(driverFor(st), &rivermigrate.Config{Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				return fmt.Errorf("jobs: river migrator: %w", err)
			}
			if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, &rivermigrate.MigrateOpts{TargetVersion: int(version)}); err != nil {
				return fmt.Errorf("jobs: migrating River's schema to version %d: %w", version, err)
			}
			return nil
		},
	}
}
