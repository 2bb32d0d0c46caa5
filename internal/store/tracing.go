package store

import (
	"context"
	"database/sql"
	"database/sql/driver"

	"github.com/XSAM/otelsql"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// openDB opens the pool of driverName, wrapped in OpenTelemetry spans
// (otelsql) when trace is set (PoolConfig.Trace). The spans follow the
// global tracer provider, so a provider installed after Open still gets
// them. Only work that is already traced (a request, a job, a sync step:
// a valid span in the context) makes database spans; the query text is
// recorded, the arguments never are.
func openDB(driverName, dsn string, trace bool, system attribute.KeyValue) (*sql.DB, error) {
	if !trace {
		return sql.Open(driverName, dsn)
	}
	return otelsql.Open(driverName, dsn,
		otelsql.WithAttributes(system),
		otelsql.WithSpanOptions(otelsql.SpanOptions{
			OmitConnResetSession: true,
			OmitRows:             true,
			OmitConnectorConnect: true,
			SpanFilter:           tracedOnly,
		}))
}

// tracedOnly is the span filter: a database span only under a parent.
func tracedOnly(ctx context.Context, _ otelsql.Method, _ string, _ []driver.NamedValue) bool {
	return trace.SpanContextFromContext(ctx).IsValid()
}
