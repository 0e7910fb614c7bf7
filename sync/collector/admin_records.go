package collector

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/scangate/scangate/internal/sheet"
	"github.com/scangate/scangate/sync/wire"
)

// EraseRequest asks the collector to erase one card's or one holder's
// records. Card is a card id or the number printed on the card (which
// must then name exactly one card the collector knows); By is who asked,
// kept in the audit.
type EraseRequest struct {
	Card   string `json:"card,omitempty"`
	Holder string `json:"holder,omitempty"`
	By     string `json:"by"`
}

// zone is the time zone a query's plain dates mean: ?tz= when given, else
// def.
func zone(r *http.Request, def string) (*time.Location, error) {
	if tz := r.URL.Query().Get("tz"); tz != "" {
		def = tz
	}
	return LoadZone(def)
}

// window reads the query's window [from, to): ?from= and ?to=, or ?on= for
// one whole day. Each is a plain date in loc or an RFC 3339 time
// (ParseWhen); a plain date as to includes that day.
func window(r *http.Request, loc *time.Location) (time.Time, time.Time, error) {
	q := r.URL.Query()
	if on := q.Get("on"); on != "" {
		if q.Get("from") != "" || q.Get("to") != "" {
			return time.Time{}, time.Time{}, wire.Errorf(http.StatusBadRequest, wire.CodeBadRequest, "give either on or from and to")
		}
		from, err := ParseWhen(on, loc, false)
		if err != nil {
			return time.Time{}, time.Time{}, badQuery("on", err)
		}
		to, _ := ParseWhen(on, loc, true)
		if !to.After(from) {
			return time.Time{}, time.Time{}, wire.Errorf(http.StatusBadRequest, wire.CodeBadRequest, "on: want a plain date such as 2026-12-03")
		}
		return from, to, nil
	}
	from, err := ParseWhen(q.Get("from"), loc, false)
	if err != nil {
		return time.Time{}, time.Time{}, badQuery("from", err)
	}
	to, err := ParseWhen(q.Get("to"), loc, true)
	if err != nil {
		return time.Time{}, time.Time{}, badQuery("to", err)
	}
	if !to.After(from) {
		return time.Time{}, time.Time{}, wire.Errorf(http.StatusBadRequest, wire.CodeBadRequest, "to (%s) not after from (%s)",
			to.Format(time.RFC3339), from.Format(time.RFC3339))
	}
	return from, to, nil
}

func badQuery(param string, err error) error {
	msg := strings.TrimPrefix(err.Error(), ErrBadRequest.Error()+": ")
	return wire.Errorf(http.StatusBadRequest, wire.CodeBadRequest, "%s: %s", param, msg)
}

func (s *Server) handleVenueVisits(w http.ResponseWriter, r *http.Request) {
	// An unknown venue is an error, not an empty answer: a typo in the id
	// must not read as "nobody came".
	v, err := s.cfg.Backend.Venue(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	loc, err := zone(r, v.TimeZone)
	if err != nil {
		s.writeError(w, r, badQuery("tz", err))
		return
	}
	from, to, err := window(r, loc)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	vs, err := s.cfg.Backend.VisitsAtVenue(r.Context(), v.ID, from, to)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.log.Info("collector: query venue visits", "venue", v.ID, "rows", len(vs))
	s.writeVisits(w, r, vs, loc)
}

func (s *Server) handleCardVisits(w http.ResponseWriter, r *http.Request) {
	cq, err := ParseCardQuery(r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, badQuery("card", err))
		return
	}
	loc, err := zone(r, s.cfg.TimeZone)
	if err != nil {
		s.writeError(w, r, badQuery("tz", err))
		return
	}
	from, to, err := window(r, loc)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var vs []Visit
	if cq.Number != "" {
		vs, err = s.cfg.Backend.VisitsOfCardNumber(r.Context(), cq.Number, from, to)
	} else {
		vs, err = s.cfg.Backend.VisitsOfCard(r.Context(), cq.ID, from, to)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.log.Info("collector: query card visits", "by_number", cq.Number != "", "rows", len(vs))
	s.writeVisits(w, r, vs, loc)
}

// VisitCSVHeader is the first row of a CSV answer.
var VisitCSVHeader = []string{"time", "at", "corrected_at", "clock_synced", "venue", "device", "seq",
	"card_id", "holder", "name", "category", "group", "decision", "reason", "ledger", "card_number", "erased"}

// writeVisits answers JSON (times in UTC) or CSV (times in loc, with their
// offset, so a spreadsheet shows the venue's clock and stays exact).
func (s *Server) writeVisits(w http.ResponseWriter, r *http.Request, vs []Visit, loc *time.Location) {
	switch r.URL.Query().Get("format") {
	case "", "json":
		if vs == nil {
			vs = []Visit{}
		}
		s.writeJSON(w, http.StatusOK, vs)
	case "csv":
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		if err := WriteVisitsCSV(w, vs, loc); err != nil {
			s.log.Warn("collector: write csv", "err", err)
		}
	default:
		s.writeError(w, r, wire.Errorf(http.StatusBadRequest, wire.CodeBadRequest, "format %q: want json or csv", r.URL.Query().Get("format")))
	}
}

// WriteVisitsCSV writes visits as CSV after a UTF-8 BOM: the header
// VisitCSVHeader, times in loc with their offset. The admin API and the
// staff desk's export both write it.
func WriteVisitsCSV(w io.Writer, vs []Visit, loc *time.Location) error {
	c, err := sheet.NewCSV(w)
	if err != nil {
		return fmt.Errorf("collector: %w", err)
	}
	c.Write(VisitCSVHeader)
	for _, v := range vs {
		c.Write(VisitFields(v, loc))
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("collector: %w", err)
	}
	return nil
}

// VisitFields is a visit as the columns of VisitCSVHeader, unescaped:
// the one row layout of every export.
func VisitFields(v Visit, loc *time.Location) []string {
	ts := func(t time.Time) string { return t.In(loc).Format(time.RFC3339Nano) }
	corr, number := "", ""
	if v.CorrectedAt != nil {
		corr = ts(*v.CorrectedAt)
	}
	if len(v.CardID) == 32 {
		number = PrintedNumber(v.CardID)
	}
	return []string{ts(v.Time), ts(v.At), corr, strconv.FormatBool(v.ClockSynced),
		v.Venue, v.Device, strconv.FormatUint(v.Seq, 10), v.CardID, v.Holder, v.Name,
		v.Category, strconv.FormatInt(v.Group, 10), v.Decision, v.Reason, v.Ledger, number,
		strconv.FormatBool(v.Erased)}
}

// VenueSettingsUpdate changes a venue's records settings: a field left
// out keeps its value.
type VenueSettingsUpdate struct {
	RetentionDays *int    `json:"retention_days,omitempty"`
	TimeZone      *string `json:"time_zone,omitempty"`
}

func (s *Server) handleSetVenueSettings(w http.ResponseWriter, r *http.Request) {
	var up VenueSettingsUpdate
	if err := s.readAdmin(w, r, &up); err != nil {
		s.writeError(w, r, err)
		return
	}
	id := r.PathValue("id")
	v, err := s.cfg.Backend.Venue(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if up.RetentionDays != nil {
		v.RetentionDays = *up.RetentionDays
	}
	if up.TimeZone != nil {
		v.TimeZone = *up.TimeZone
	}
	if err := v.VenueSettings.Check(); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.cfg.Backend.SetVenueSettings(r.Context(), id, v.VenueSettings); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.log.Info("collector: venue settings set", "venue", id, "retention_days", v.RetentionDays, "time_zone", v.TimeZone)
	s.writeJSON(w, http.StatusOK, v)
}

func (s *Server) handleErase(w http.ResponseWriter, r *http.Request) {
	var req EraseRequest
	if err := s.readAdmin(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	e := Erasure{Actor: strings.TrimSpace(req.By), At: s.now().UTC()}
	switch {
	case e.Actor == "":
		s.writeError(w, r, wire.Errorf(http.StatusBadRequest, wire.CodeBadRequest, "by: say who asked for the erasure (kept in the audit)"))
		return
	case (req.Card == "") == (req.Holder == ""):
		s.writeError(w, r, wire.Errorf(http.StatusBadRequest, wire.CodeBadRequest, "give either card or holder"))
		return
	case req.Card != "":
		cq, err := ParseCardQuery(req.Card)
		if err != nil {
			s.writeError(w, r, badQuery("card", err))
			return
		}
		e.Kind, e.Subject = EraseCard, cq.ID
		if cq.Number != "" {
			ids, err := s.cfg.Backend.CardsByNumber(r.Context(), cq.Number)
			if err != nil {
				s.writeError(w, r, err)
				return
			}
			switch len(ids) {
			case 0:
				s.writeError(w, r, wire.Errorf(http.StatusNotFound, wire.CodeNotFound, "no card numbered %s is known here", PrintedNumber(cq.Number)))
				return
			case 1:
				e.Subject = ids[0]
			default:
				// Never guess whose records go: give the full id.
				s.writeError(w, r, wire.Errorf(http.StatusConflict, wire.CodeConflict,
					"%d cards are numbered %s; give the full card id (card-visits %s lists them)", len(ids), PrintedNumber(cq.Number), PrintedNumber(cq.Number)))
				return
			}
		}
	default:
		e.Kind, e.Subject = EraseHolder, strings.TrimSpace(req.Holder)
	}
	rep, err := s.cfg.Backend.Erase(r.Context(), e)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.log.Info("collector: erased", "erasure", rep.ID, "kind", rep.Kind, "checkins", rep.Deleted[TableCheckins],
		"conflicts", rep.Deleted[TableConflicts], "cards", rep.Deleted[TableCards])
	s.writeJSON(w, http.StatusOK, rep)
}

func (s *Server) handleListErasures(w http.ResponseWriter, r *http.Request) {
	limit, ok := s.queryLimit(w, r, 100)
	if !ok {
		return
	}
	es, err := s.cfg.Backend.Erasures(r.Context(), limit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, es)
}

func (s *Server) handlePurge(w http.ResponseWriter, r *http.Request) {
	ps, err := s.Purge(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, ps)
}

// Purge applies every venue's retention now (the server's clock) and logs
// what went, per venue.
func (s *Server) Purge(ctx context.Context) ([]VenuePurge, error) {
	ps, err := s.cfg.Backend.PurgeExpired(ctx, s.now())
	if err != nil {
		return ps, fmt.Errorf("collector: purge: %w", err)
	}
	for _, p := range ps {
		if p.Deleted[TableCheckins] > 0 || p.Deleted[TableConflicts] > 0 {
			s.log.Info("collector: purged by venue retention", "venue", p.Venue, "cutoff", p.Cutoff,
				"checkins", p.Deleted[TableCheckins], "conflicts", p.Deleted[TableConflicts])
		}
	}
	return ps, nil
}

// RunRetention purges by venue retention every interval until ctx ends.
// Every collector process may run it: a second purge finds nothing left.
func (s *Server) RunRetention(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := s.Purge(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("collector: retention purge", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
