package client

import (
	"encoding/json"
	"time"

	"github.com/quantops/quant/internal/quant"
)

// The answers' types, one per shape of internal/server's JSON (field
// names and nullability as openapi.yaml documents them). Dates are
// strings as on the wire ("2024-02-01"); a value that may be null is a
// pointer; a list is never nil in an answer the server wrote.

// Health is the answer of GET /healthz.
type Health struct {
	Status  string `json:"status"`
	Version string `json:"version"`
}

// Ready is the answer of GET /readyz when the store answers.
type Ready struct {
	Status         string `json:"status"`
	DatasetVersion int64  `json:"dataset_version,string"`
}

// Politician is a politician id with its figures and identity.
type Politician struct {
	ID              string          `json:"id"`
	Name            string          `json:"name"`
	Names           []string        `json:"names"`
	TradeCount      int             `json:"trade_count"`
	AnalyzableCount int             `json:"analyzable_count"`
	FirstTrade      string          `json:"first_trade"`
	LastTrade       string          `json:"last_trade"`
	Chambers        []quant.Chamber `json:"chambers"`
	State           *string         `json:"state"`
	District        *int32          `json:"district"`
	FirstDisclosure *string         `json:"first_disclosure"`
	LastDisclosure  *string         `json:"last_disclosure"`
	Bioguides       []string        `json:"bioguides"`
	Bioguide        *string         `json:"bioguide"`
	Party           *string         `json:"party"`
	OfficialName    *string         `json:"official_name"`
	Unresolved      *Unresolved     `json:"unresolved"`
	IdentityNote    *string         `json:"identity_note"`
}

// Unresolved says why an id resolves to nobody.
type Unresolved struct {
	Reason     quant.UnresolvedReason `json:"reason"`
	Detail     string                 `json:"detail"`
	Candidates []string               `json:"candidates"`
}

// PoliticianPage is a page of GET /api/v1/politicians; Total counts the
// matches before paging.
type PoliticianPage struct {
	Politicians []Politician `json:"politicians"`
	Total       int          `json:"total"`
	Limit       int          `json:"limit"`
	Offset      int          `json:"offset"`
}

// Trade is one trade record.
type Trade struct {
	ID               int64               `json:"id"`
	PoliticianID     string              `json:"politician_id"`
	PoliticianName   string              `json:"politician_name"`
	TransactionDate  string              `json:"transaction_date"`
	DisclosureDate   *string             `json:"disclosure_date"`
	Ticker           *string             `json:"ticker"`
	Type             string              `json:"type"`
	AmountMin        *int64              `json:"amount_min"`
	AmountMax        *int64              `json:"amount_max"`
	AmountExact      bool                `json:"amount_exact"`
	Owner            string              `json:"owner"`
	OwnerKind        *quant.OwnerKind    `json:"owner_kind"`
	AssetType        string              `json:"asset_type"`
	AssetDescription string              `json:"asset_description"`
	AssetText        string              `json:"asset_text"`
	Comment          string              `json:"comment"`
	PTRLink          string              `json:"ptr_link"`
	SourceURL        *string             `json:"source_url"`
	Chamber          *quant.Chamber      `json:"chamber"`
	State            *string             `json:"state"`
	District         *int32              `json:"district"`
	FilingID         *string             `json:"filing_id"`
	Bioguide         *string             `json:"bioguide"`
	Format           *quant.SourceFormat `json:"format"`
	Place            *quant.Place        `json:"place"`
	Analyzable       bool                `json:"analyzable"`
}

// TradePage is a page of trades, newest first; NextCursor (nil on the
// last page) asks for the next one.
type TradePage struct {
	Trades     []Trade `json:"trades"`
	NextCursor *string `json:"next_cursor"`
	Limit      int     `json:"limit"`
}

// Ticker is one ticker of GET /api/v1/tickers: its trades and the
// politicians who traded it.
type Ticker struct {
	Ticker      string `json:"ticker"`
	Trades      int    `json:"trades"`
	Politicians int    `json:"politicians"`
}

// Legislators describes the legislators table a server resolves
// identities with.
type Legislators struct {
	Sources []string `json:"sources"`
	Digest  string   `json:"digest"`
	Members int      `json:"members"`
}

// Person is a person of GET /api/v1/people.
type Person struct {
	Bioguide        string          `json:"bioguide"`
	Name            *string         `json:"name"` // the official name
	Party           *string         `json:"party"`
	State           *string         `json:"state"`
	Chambers        []quant.Chamber `json:"chambers"`
	IDs             []string        `json:"ids"`
	TradeCount      int             `json:"trade_count"`
	AnalyzableCount int             `json:"analyzable_count"`
	FirstTrade      string          `json:"first_trade"`
	LastTrade       string          `json:"last_trade"`
}

// PeoplePage is a page of GET /api/v1/people; Legislators is nil when
// the server has no table.
type PeoplePage struct {
	People      []Person     `json:"people"`
	Total       int          `json:"total"`
	Limit       int          `json:"limit"`
	Offset      int          `json:"offset"`
	Legislators *Legislators `json:"legislators"`
}

// UnresolvedID is a stored id that resolves to nobody, with why.
type UnresolvedID struct {
	ID              string                 `json:"id"`
	Names           []string               `json:"names"`
	Reason          quant.UnresolvedReason `json:"reason"`
	Detail          string                 `json:"detail"`
	Candidates      []string               `json:"candidates"`
	Chambers        []quant.Chamber        `json:"chambers"`
	State           *string                `json:"state"`
	TradeCount      int                    `json:"trade_count"`
	AnalyzableCount int                    `json:"analyzable_count"`
	FirstTrade      string                 `json:"first_trade"`
	LastTrade       string                 `json:"last_trade"`
}

// UnresolvedPage is a page of GET /api/v1/people?unresolved=true.
type UnresolvedPage struct {
	IDs         []UnresolvedID `json:"ids"`
	Total       int            `json:"total"`
	Limit       int            `json:"limit"`
	Offset      int            `json:"offset"`
	Legislators *Legislators   `json:"legislators"`
}

// PersonDetail is the answer of GET /api/v1/people/{bioguide}.
type PersonDetail struct {
	Bioguide        string          `json:"bioguide"`
	Name            *string         `json:"name"`
	NameParts       *NameParts      `json:"name_parts"`
	Party           *string         `json:"party"`
	State           *string         `json:"state"`
	Chambers        []quant.Chamber `json:"chambers"`
	TradeCount      int             `json:"trade_count"`
	AnalyzableCount int             `json:"analyzable_count"`
	FirstTrade      *string         `json:"first_trade"`
	LastTrade       *string         `json:"last_trade"`
	IDs             []PersonID      `json:"ids"`
	Terms           []Term          `json:"terms"`
}

// NameParts is a member's name as the legislators table gives it.
type NameParts struct {
	First        *string     `json:"first"`
	Middle       *string     `json:"middle"`
	Last         *string     `json:"last"`
	Suffix       *string     `json:"suffix"`
	Nickname     *string     `json:"nickname"`
	OfficialFull *string     `json:"official_full"`
	OtherNames   []OtherName `json:"other_names"`
}

// OtherName is a name a member went by before.
type OtherName struct {
	First  *string `json:"first"`
	Middle *string `json:"middle"`
	Last   *string `json:"last"`
	End    *string `json:"end"`
}

// PersonID is one politician id (spelling) of a person.
type PersonID struct {
	ID              string          `json:"id"`
	Names           []string        `json:"names"`
	TradeCount      int             `json:"trade_count"`
	AnalyzableCount int             `json:"analyzable_count"`
	FirstTrade      string          `json:"first_trade"`
	LastTrade       string          `json:"last_trade"`
	Chambers        []quant.Chamber `json:"chambers"`
}

// Term is one term of service.
type Term struct {
	Chamber  quant.Chamber `json:"chamber"`
	Start    string        `json:"start"`
	End      string        `json:"end"`
	State    string        `json:"state"`
	District *int32        `json:"district"`
	Party    *string       `json:"party"`
	Parties  []PartySpan   `json:"parties"`
}

// PartySpan is one party affiliation within a term.
type PartySpan struct {
	Start string `json:"start"`
	End   string `json:"end"`
	Party string `json:"party"`
}

// Meta is the "meta" member of every analysis answer.
type Meta struct {
	Analysis       quant.Analysis `json:"analysis"`
	Key            string         `json:"key"`
	Cached         bool           `json:"cached"`
	ComputedAt     time.Time      `json:"computed_at"`
	ComputeMS      float64        `json:"compute_ms"`
	DatasetVersion int64          `json:"dataset_version,string"`
}

// Analysis is an analysis answer: its JSON as the server sent it (meta
// member included), the meta decoded, and the X-Cache header (MISS, HIT,
// STALE, ...).
type Analysis struct {
	Body  json.RawMessage
	Meta  Meta
	Cache quant.CacheStatus
}

// JobRequest is a job's work as the jobs API takes and shows it.
type JobRequest struct {
	Analysis quant.Analysis `json:"analysis"`
	ID       string         `json:"id,omitempty"`
	Params   *JobParams     `json:"params,omitempty"`
}

// JobParams are an analysis' parameters in a job; nil ones are the
// analysis' defaults.
type JobParams struct {
	K          *int                  `json:"k,omitempty"`
	Horizon    *int                  `json:"horizon,omitempty"`
	IDs        []string              `json:"ids,omitempty"`
	Top        *int                  `json:"top,omitempty"`
	MinWeight  *float64              `json:"min_weight,omitempty"`
	MinRecords *int                  `json:"min_records,omitempty"`
	Sort       *quant.ComplianceSort `json:"sort,omitempty"`
	Limit      *int                  `json:"limit,omitempty"`
	Chamber    *quant.Chamber        `json:"chamber,omitempty"`
	Party      *string               `json:"party,omitempty"`
	State      *string               `json:"state,omitempty"`
}

// Job is a job as GET /api/v1/jobs/{id} shows it. Result (the analysis
// answer, meta included) and Cache are set once it is done, Error once it
// failed.
type Job struct {
	ID         string            `json:"id"`
	Status     quant.JobState    `json:"status"`
	Request    JobRequest        `json:"request"`
	Key        string            `json:"key"`
	Attempts   int               `json:"attempts"`
	CreatedAt  time.Time         `json:"created_at"`
	StartedAt  *time.Time        `json:"started_at"`
	FinishedAt *time.Time        `json:"finished_at"`
	Location   string            `json:"location"`
	Result     json.RawMessage   `json:"result,omitempty"`
	Cache      quant.CacheStatus `json:"cache,omitempty"`
	Error      *quant.JobError   `json:"error,omitempty"`
}

// The compliance answers (ANALYTICS.md section 11; field names as the
// vectors of testdata/formats have them). A figure that may be undefined
// is a pointer: null stays null. Meta is the server's (nil when the
// answer was computed in process).
type (
	// ComplianceAnswer is one politician's compliance.
	ComplianceAnswer struct {
		ID            string           `json:"id"`
		Records       int              `json:"records"`
		Known         int              `json:"known"`
		Invalid       int              `json:"invalid"`
		Undated       int              `json:"undated"`
		Late          int              `json:"late"`
		LateShare     *float64         `json:"late_share"`
		Lag           ComplianceLag    `json:"lag"`
		Filings       int              `json:"filings"`
		LateFilings   int              `json:"late_filings"`
		Worst         []ComplianceLate `json:"worst"`
		ByYear        []ComplianceYear `json:"by_year"`
		FilingIDs     []string         `json:"filing_ids"`
		LateFilingIDs []string         `json:"late_filing_ids"`
		Chambers      []quant.Chamber  `json:"chambers"`
		Meta          *Meta            `json:"meta,omitempty"`
	}
	// ComplianceLag holds the lag figures over the known lags, in days.
	ComplianceLag struct {
		Min  *float64 `json:"min"`
		P50  *float64 `json:"p50"`
		Mean *float64 `json:"mean"`
		P90  *float64 `json:"p90"`
		Max  *float64 `json:"max"`
	}
	// ComplianceLate is one of the worst late records.
	ComplianceLate struct {
		TransactionDate string  `json:"transaction_date"`
		DisclosureDate  string  `json:"disclosure_date"`
		Lag             float64 `json:"lag"`
		Ticker          *string `json:"ticker"`
		Type            string  `json:"type"`
		FilingID        *string `json:"filing_id"`
	}
	// ComplianceYear is one calendar year of transaction dates.
	ComplianceYear struct {
		Year  int      `json:"year"`
		Known int      `json:"known"`
		Late  int      `json:"late"`
		P50   *float64 `json:"p50"`
	}
	// ComplianceRanking is the compliance ranking.
	ComplianceRanking struct {
		MinRecords int               `json:"min_records"`
		Sort       string            `json:"sort"`
		Limit      int               `json:"limit"`
		Chamber    string            `json:"chamber,omitempty"`
		Party      string            `json:"party,omitempty"`
		State      string            `json:"state,omitempty"`
		Rows       []ComplianceRow   `json:"rows"`
		Summary    ComplianceSummary `json:"summary"`
		Meta       *Meta             `json:"meta,omitempty"`
	}
	// ComplianceRow is one ranked politician.
	ComplianceRow struct {
		ID        string          `json:"id"`
		Chambers  []quant.Chamber `json:"chambers"`
		Known     int             `json:"known"`
		Late      int             `json:"late"`
		LateShare *float64        `json:"late_share"`
		P50       *float64        `json:"p50"`
		Max       *float64        `json:"max"`
	}
	// ComplianceSummary is over every analyzable record of the store.
	ComplianceSummary struct {
		Politicians int      `json:"politicians"`
		Ranked      int      `json:"ranked"`
		Records     int      `json:"records"`
		Known       int      `json:"known"`
		Invalid     int      `json:"invalid"`
		Undated     int      `json:"undated"`
		Late        int      `json:"late"`
		LateShare   *float64 `json:"late_share"`
		P50         *float64 `json:"p50"`
		// ByChamber and ByParty are there when a legislators table is
		// loaded.
		ByChamber []ComplianceGroup `json:"by_chamber,omitempty"`
		ByParty   []ComplianceGroup `json:"by_party,omitempty"`
	}
	// ComplianceGroup is the summary's figures over one chamber's or one
	// party's records; Party is null for unresolved records.
	ComplianceGroup struct {
		Chamber   string   `json:"chamber,omitempty"`
		Party     *string  `json:"party,omitempty"`
		Records   int      `json:"records"`
		Known     int      `json:"known"`
		Late      int      `json:"late"`
		LateShare *float64 `json:"late_share"`
		P50       *float64 `json:"p50"`
	}
)
