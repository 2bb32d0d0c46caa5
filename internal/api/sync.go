package api

import "net/http"

// listSyncRuns serves GET /api/v1/sync: the key's company's recent sync runs.
func (h *handler) listSyncRuns(w http.ResponseWriter, r *http.Request) {
	writeError(w, http.StatusNotImplemented, "NOT_IMPLEMENTED", "Sync runs are not available yet.")
}

// startSync serves POST /api/v1/sync (scope write): queue a sync now.
func (h *handler) startSync(w http.ResponseWriter, r *http.Request) {
	writeError(w, http.StatusNotImplemented, "NOT_IMPLEMENTED", "Starting a sync is not available yet.")
}
