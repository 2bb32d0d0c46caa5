package store_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/efactura-gateway/efactura/internal/store"
	"github.com/efactura-gateway/efactura/internal/store/storetest"
)

// TestTracedPool: with PoolConfig.Trace a store's statements under a
// traced parent become child spans with the database system and the query
// text (never the arguments); statements outside any trace make none; and
// what needs the driver's own connection (the native PostgreSQL backup)
// still reaches it through the wrapper. Not parallel: the tracer provider
// is global.
func TestTracedPool(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	prev := otel.GetTracerProvider()
	otel.SetTracerProvider(tp)
	t.Cleanup(func() { otel.SetTracerProvider(prev); _ = tp.Shutdown(context.Background()) })

	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			_, url := storetest.Fresh(t, d)
			st, err := store.Open(ctx, url, store.PoolConfig{Trace: true})
			require.NoError(t, err)
			defer st.Close()
			require.NoError(t, st.Migrate(ctx))
			exp.Reset()

			_, err = st.CreateCompany(ctx, "12345674", "UNTRACED SRL")
			require.NoError(t, err)
			require.Empty(t, exp.GetSpans(), "no parent, no database span")

			pctx, parent := tp.Tracer("test").Start(ctx, "parent")
			_, err = st.CreateCompany(pctx, "18547290", "SECRET-ARGUMENT SRL")
			require.NoError(t, err)
			parent.End()

			var child sdktrace.ReadOnlySpan
			for _, s := range exp.GetSpans().Snapshots() {
				if s.Parent().SpanID() == parent.SpanContext().SpanID() && s.Name() != "parent" {
					child = s
				}
				for _, kv := range s.Attributes() {
					require.NotContains(t, kv.Value.String(), "SECRET-ARGUMENT", "arguments are never recorded")
				}
			}
			require.NotNil(t, child, "a database span under the parent")
			attrs := map[string]string{}
			for _, kv := range child.Attributes() {
				attrs[string(kv.Key)] = kv.Value.String()
			}
			want := map[store.Dialect]string{store.SQLite: "sqlite", store.Postgres: "postgresql"}[d]
			require.Equal(t, want, attrs["db.system.name"], "%v", attrs)
			require.Contains(t, attrs["db.query.text"], "companies", "%v", attrs)

			if d == store.Postgres {
				out := filepath.Join(t.TempDir(), "traced.bak")
				_, err := store.Backup(ctx, st, out, store.BackupOptions{Parts: parts})
				require.NoError(t, err, "the native backup reaches pgx through otelsql's connection")
			}
		})
	}
}
