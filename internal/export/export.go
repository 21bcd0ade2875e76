package export

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"filippo.io/age"
	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/counternet/counternet/internal/capture"
	"github.com/counternet/counternet/internal/reference"
	"github.com/counternet/counternet/internal/warehouse"
)

// Software names the exporter in manifests and reports.
const Software = "counternet export (" + Format + ")"

// Sender is the sending (requesting) agency.
type Sender struct {
	Agency  string
	Country string // ISO 3166-1 alpha-2
	Contact string
}

// Exporter writes packages. Its fields are set once and read by Export,
// which is safe to call from several goroutines.
type Exporter struct {
	DB       *warehouse.DB
	Ref      *reference.Data
	Partners []reference.Partner
	Sender   Sender
	// SigningKey signs every manifest.
	SigningKey ed25519.PrivateKey
	// Captures is the evidence store; nil: no evidence can be included.
	Captures *capture.Store
	// AuditLog is the append-only local log (<data_dir>/export-audit.log);
	// empty: export_audit only.
	AuditLog string
	// MaxEvidenceBytes bounds the evidence in one package
	// (DefaultMaxEvidenceBytes when 0).
	MaxEvidenceBytes int64
	Log              zerolog.Logger
	// Progress, when set, is told what a long export is doing.
	Progress func(Progress)
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Progress is one step of an export.
type Progress struct {
	Stage string // listings, vendors, links, evidence, writing, sealing
	Done  int
}

// Request is one export: for whom, why, of what.
type Request struct {
	Partner    string // partner id (partners.yaml)
	Case       string // case reference ("" when none)
	CaseInfo   *Case  // details for the draft request; may be nil
	Selection  Selection
	TLP        string
	Purpose    string
	LegalBasis string
	// Evidence includes the evidence the records rest on: the captured
	// pages (WARC records), or an index of them when the partner's policy
	// leaves out a field the pages show.
	Evidence bool
	// EvidenceForm is "" (the pages when the policy allows, else the
	// index), EvidenceFull (the pages; refused when the policy does not
	// allow them) or EvidenceIndex.
	EvidenceForm string
	// AllowMissingEvidence exports even when captures the records rest on
	// are missing from the capture store or no longer match their hash;
	// the report and the draft request then say which and why. Without
	// it such an export is refused.
	AllowMissingEvidence bool
	// Problems are refusals raised before the request could be built (a
	// missing or blank flag, a bad --route or --since, an unreadable key
	// or case file): Export audits them as the refusal's reason.
	Problems []string
	// Minimize names fields to leave out (table.column or column).
	Minimize []string
	// Who is the investigator making the export.
	Who        string
	ApprovedBy string // approver of a four-eyes export ("" when none)
	// Output is the package file to write; it must not exist.
	Output string
}

// Outcome is a written package.
type Outcome struct {
	Manifest *Manifest
	File     string
	SHA256   string
	Size     int64
}

func (x *Exporter) now() time.Time {
	if x.Now != nil {
		return x.Now()
	}
	return time.Now()
}

func (x *Exporter) progress(stage string, done int) {
	if x.Progress != nil {
		x.Progress(Progress{Stage: stage, Done: done})
	}
}

func (x *Exporter) partner(id string) (reference.Partner, bool) {
	for _, p := range x.Partners {
		if p.ID == id {
			return p, true
		}
	}
	return reference.Partner{}, false
}

// Export checks the request against the partner's policy and writes the
// package. A refused request (problems the command line found, an output
// that exists, an invalid selection, --minimize name or sending country, an
// unknown partner, a missing purpose, legal basis or investigator, the
// partner's policy, a database holding synthetic data, evidence missing
// from the capture store) returns an error wrapping ErrRefused, with the
// reason. Every attempt is audited in export_audit and the local log
// before Export returns: refused; exported only once the package and both
// audit records exist; otherwise failed, with the reason, and no package
// is left.
func (x *Exporter) Export(ctx context.Context, req Request) (*Outcome, error) {
	if x.Ref == nil {
		return nil, errors.New("exporting: the exporter has no reference data")
	}
	req.TLP = strings.ToLower(strings.TrimSpace(req.TLP))
	selErr := req.Selection.Normalize()
	drop, dropErr := minimizeSet(req.Minimize)
	id := uuid.NewString()
	started := x.now().UTC()
	a := warehouse.ExportAudit{
		ExportID: id, At: started, Who: req.Who, Partner: req.Partner, TLP: req.TLP, Purpose: req.Purpose,
		LegalBasis: req.LegalBasis, CaseRef: req.Case, Selection: req.Selection.Describe(),
	}
	p, ok := x.partner(req.Partner)
	a.PartnerCountry = p.Country
	refusal := x.check(ctx, req, p, ok, selErr, dropErr, drop)
	if refusal != nil {
		return nil, x.refuse(ctx, a, refusal)
	}
	out, err := x.write(ctx, id, started, req, p, drop)
	if errors.Is(err, ErrRefused) {
		return nil, x.refuse(ctx, a, err)
	}
	if err != nil {
		return nil, x.fail(ctx, a, fmt.Errorf("exporting %s: %w", id, err), "")
	}
	// The package takes its name only if nothing is there (a link does
	// not replace an existing file, a rename would).
	if err := os.Link(out.File, req.Output); err != nil {
		os.Remove(out.File)
		return nil, x.fail(ctx, a, fmt.Errorf("exporting %s: %w", id, err), "")
	}
	os.Remove(out.File)
	out.File = req.Output
	a.Counts, a.PackageSHA256, a.PackageFile = out.Manifest.Counts, out.SHA256, filepath.Base(req.Output)
	a.Outcome = warehouse.OutcomeExported
	if x.AuditLog != "" {
		if err := appendLog(x.AuditLog, logEntry(a)); err != nil {
			return nil, x.fail(ctx, a, fmt.Errorf("exporting %s: %w", id, err), req.Output)
		}
	}
	if x.DB != nil {
		if err := x.DB.RecordExport(ctx, a); err != nil {
			return nil, x.fail(ctx, a, fmt.Errorf("exporting %s: %w", id, err), req.Output)
		}
	}
	x.Log.Info().Str("export", id).Str("partner", p.ID).Str("tlp", req.TLP).Str("file", req.Output).
		Str("sha256", out.SHA256).Int64("bytes", out.Size).Interface("counts", out.Manifest.Counts).
		Dur("took", x.now().Sub(started)).Msg("package exported")
	return out, nil
}

// check returns the refusal of a request, or nil.
func (x *Exporter) check(ctx context.Context, req Request, p reference.Partner, known bool, selErr, dropErr error, drop fieldSet) error {
	refuse := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrRefused}, args...)...)
	}
	switch {
	case len(req.Problems) > 0:
		return refuse("%s", strings.Join(req.Problems, "; "))
	case x.SigningKey == nil:
		return refuse("the exporter has no signing key")
	case strings.TrimSpace(x.Sender.Agency) == "":
		return refuse("the sending agency's name is not set (--agency or export.agency)")
	case req.Output == "":
		return refuse("no output file")
	case selErr != nil:
		return refuse("%w", selErr)
	case dropErr != nil:
		return refuse("%w", dropErr)
	case !known:
		return refuse("no partner %q in the partner directory", req.Partner)
	case strings.TrimSpace(req.Purpose) == "":
		return refuse("no purpose stated")
	case strings.TrimSpace(req.LegalBasis) == "":
		return refuse("no legal basis stated")
	case strings.TrimSpace(req.Who) == "":
		return refuse("who is exporting is not known")
	}
	if _, ok := x.Ref.Country(x.Sender.Country); !ok || len(x.Sender.Country) != 2 || strings.ToUpper(x.Sender.Country) != x.Sender.Country {
		return refuse("the sending country %q is not an ISO 3166-1 alpha-2 code (--country or export.country)", x.Sender.Country)
	}
	if _, err := os.Lstat(req.Output); err == nil {
		return refuse("%s already exists", req.Output)
	}
	if err := CheckPolicy(p, req.TLP, drop); err != nil {
		return err
	}
	switch req.EvidenceForm {
	case "", EvidenceIndex:
	case EvidenceFull:
		if shown := pageFields(drop); req.Evidence && len(shown) > 0 {
			return refuse("the evidence cannot go as full pages: the captured pages show %s, which this package leaves out (partner %s's policy or --minimize); "+
				"export with --evidence index, which lists each page by hash, content and capture time, and provide the pages through a formal request",
				strings.Join(shown, ", "), p.ID)
		}
	default:
		return refuse("evidence form %q: want full, index or none", req.EvidenceForm)
	}
	if x.DB != nil {
		var n uint64
		q := "SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'synthetic_dataset'"
		if err := x.DB.Conn().QueryRow(ctx, q).Scan(&n); err != nil {
			return fmt.Errorf("checking for synthetic data: %w", err)
		}
		if n > 0 {
			return refuse("the database %s holds synthetic data (its table synthetic_dataset was written by counternet gen): nothing from it is ever exported", x.DB.Database())
		}
	}
	return nil
}

// refuse audits a refusal and returns it.
func (x *Exporter) refuse(ctx context.Context, a warehouse.ExportAudit, refusal error) error {
	if !errors.Is(refusal, ErrRefused) {
		return x.fail(ctx, a, refusal, "")
	}
	a.Outcome, a.Reason = warehouse.OutcomeRefused, strings.TrimPrefix(refusal.Error(), ErrRefused.Error()+": ")
	x.Log.Warn().Str("export", a.ExportID).Str("partner", a.Partner).Str("tlp", a.TLP).Str("reason", a.Reason).Msg("export refused")
	if err := x.audit(ctx, a); err != nil {
		return errors.Join(fmt.Errorf("exporting: %w", refusal), err)
	}
	return fmt.Errorf("exporting: %w", refusal)
}

// fail removes the package (when written) and audits the attempt as
// failed with the reason, in both records it can still write.
func (x *Exporter) fail(ctx context.Context, a warehouse.ExportAudit, cause error, pkg string) error {
	if pkg != "" {
		if err := os.Remove(pkg); err != nil && !errors.Is(err, os.ErrNotExist) {
			cause = errors.Join(cause, fmt.Errorf("the package %s could not be removed: %w", pkg, err))
		} else {
			cause = fmt.Errorf("%w (package removed)", cause)
		}
	}
	a.Outcome, a.Reason = warehouse.OutcomeFailed, cause.Error()
	a.PackageSHA256, a.PackageFile, a.Counts = "", "", nil
	x.Log.Error().Str("export", a.ExportID).Str("partner", a.Partner).Str("reason", a.Reason).Msg("export failed")
	if err := x.audit(ctx, a); err != nil {
		return errors.Join(cause, err)
	}
	return cause
}

// write builds the package in a staging directory beside the output and
// seals it into a temporary file there, returned in Outcome.File.
func (x *Exporter) write(ctx context.Context, id string, created time.Time, req Request, p reference.Partner, drop fieldSet) (_ *Outcome, err error) {
	outDir := filepath.Dir(req.Output)
	if err := os.MkdirAll(outDir, 0o700); err != nil {
		return nil, err
	}
	stage, err := os.MkdirTemp(outDir, ".counternet-export-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(stage)
	created = created.Truncate(time.Millisecond)
	m := &Manifest{
		Format: Format, PackageID: id, Created: created,
		Creator: Creator{Agency: x.Sender.Agency, Country: x.Sender.Country, Contact: x.Sender.Contact, Who: req.Who,
			SigningKey: FormatPublicKey(x.SigningKey.Public().(ed25519.PublicKey)), Software: Software},
		Partner: Addressee{ID: p.ID, Agency: p.Agency, Country: p.Country, Contact: p.Contact},
		TLP:     req.TLP, Purpose: req.Purpose, LegalBasis: req.LegalBasis, Case: req.Case,
		Selection: req.Selection, Minimized: drop.sorted(), Counts: map[string]uint64{},
	}
	if req.CaseInfo != nil && m.Case == "" {
		m.Case = req.CaseInfo.ID
	}
	senderID := sdoID("identity", x.Sender.Country+"|"+x.Sender.Agency)
	bf, err := os.OpenFile(filepath.Join(stage, "bundle.json"), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	defer bf.Close()
	bw := newBundleWriter(bf, "bundle--"+id, req.TLP, senderID, created)
	ident := map[string]any{"type": "identity", "id": senderID, "name": x.Sender.Agency, "identity_class": "organization",
		"sectors": []string{"government-national"}, "created_by_ref": senderID,
		"description": "Sending agency (" + x.Sender.Country + ") of counternet package " + id}
	if x.Sender.Contact != "" {
		ident["contact_information"] = x.Sender.Contact
	}
	bw.sdo(ident)
	bw.extensionDefinitions()

	asm := newAssembly()
	asm.prefer = p.Country
	lt, err := newTable(filepath.Join(stage, "listings.csv"), listingColumns, drop)
	if err != nil {
		return nil, err
	}
	err = streamListings(ctx, x.DB.Conn(), req.Selection, drop, func(l *Listing) error {
		asm.addListing(l)
		bw.listing(l)
		if err := lt.write(l); err != nil {
			return fmt.Errorf("writing listings.csv: %w", err)
		}
		if asm.listings%10000 == 0 {
			x.progress("listings", asm.listings)
		}
		return bw.err
	})
	if cerr := lt.close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	x.progress("listings", asm.listings)

	keys := sortedKeys(asm.vendors)
	q, bare := req.Selection.vendorKeys()
	for _, k := range q {
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	profiles, err := selectProfiles(ctx, x.DB.Conn(), keys, bare, req.Selection, drop)
	if err != nil {
		return nil, err
	}
	asm.addProfiles(profiles, false)
	x.progress("vendors", len(asm.vendors))
	links, err := selectLinks(ctx, x.DB.Conn(), sortedKeys(asm.vendors))
	if err != nil {
		return nil, err
	}
	if far := asm.addLinks(links, drop); len(far) > 0 {
		more, err := selectProfiles(ctx, x.DB.Conn(), far, nil, Selection{}, drop)
		if err != nil {
			return nil, err
		}
		asm.addProfiles(more, true)
	}
	x.progress("links", len(asm.links))
	asm.groupActors()
	asm.buildRoutes()

	evidence := map[string]bool{}
	m.Evidence = EvidenceSummary{Included: req.Evidence}
	if req.Evidence {
		job := evidenceJob{store: x.Captures, captures: asm.captures, what: asm.captureWhat, dir: stage, form: EvidenceFull,
			limit: x.MaxEvidenceBytes, allowMissing: req.AllowMissingEvidence, progress: func(n int) { x.progress("evidence", n) }}
		if job.limit <= 0 {
			job.limit = DefaultMaxEvidenceBytes
		}
		shown := pageFields(drop)
		if req.EvidenceForm == EvidenceIndex || len(shown) > 0 {
			job.form = EvidenceIndex
		}
		if m.Evidence, evidence, err = gatherEvidence(job); err != nil {
			return nil, err
		}
		if len(shown) > 0 {
			m.Evidence.Notes = append([]string{fmt.Sprintf("The captured pages are not in this package: they show %s, which this package leaves out. "+
				"%s lists each page by its SHA-256, what it shows (without its address) and when it was captured; the pages themselves are available through a formal request.",
				strings.Join(shown, ", "), EvidenceIndexFile)}, m.Evidence.Notes...)
		}
		for _, n := range m.Evidence.Notes {
			x.Log.Warn().Str("export", id).Msg(n)
		}
	}
	asm.writeObjects(bw, x.Ref, evidence)
	flows, err := loadFlows(ctx, x.DB, p.Country, asm, drop)
	if err != nil {
		return nil, err
	}
	flows.writeObjects(bw, asm, x.Ref)
	if err := bw.close(); err != nil {
		return nil, fmt.Errorf("writing bundle.json: %w", err)
	}
	if err := bf.Close(); err != nil {
		return nil, fmt.Errorf("writing bundle.json: %w", err)
	}
	x.progress("writing", 0)

	vrows := make([]vendorRow, 0, len(asm.vendors))
	for _, k := range sortedKeys(asm.vendors) {
		vrows = append(vrows, vendorRow{asm.vendors[k], asm.actorOf[k]})
	}
	lrows := make([]linkRow, len(asm.links))
	for i := range asm.links {
		lrows[i] = linkRow{&asm.links[i], evidence}
	}
	sightings := asm.sortedSightings()
	for _, t := range []error{
		writeAll(filepath.Join(stage, "vendors.csv"), vendorColumns, drop, vrows),
		writeAll(filepath.Join(stage, "vendor_links.csv"), linkColumns, drop, lrows),
		writeAll(filepath.Join(stage, "crypto_addresses.csv"), cryptoColumns, drop, sightings),
		writeAll(filepath.Join(stage, "routes.csv"), routeColumns, drop, asm.routeRows),
		flows.writeCSV(stage, drop),
	} {
		if t != nil {
			return nil, t
		}
	}
	m.Counts = map[string]uint64{
		"listings": uint64(asm.listings), "vendors": uint64(len(asm.vendors)), "actors": uint64(len(asm.actors)),
		"vendor_links": uint64(len(asm.links)), "crypto_addresses": uint64(len(asm.wallets)),
		"crypto_sightings": uint64(len(sightings)), "routes": uint64(len(asm.routeRows)),
		"markets": uint64(len(asm.markets)), "countries": uint64(len(asm.countries)),
		"evidence_records": uint64(m.Evidence.Records), "stix_objects": uint64(bw.n),
		"flows": uint64(len(flows.flows)), "flow_services": uint64(len(flows.services())),
		"untraced_addresses": uint64(len(flows.untraced)),
	}
	bases := x.Ref.LegalBases(x.Sender.Country, p.Country, holdsData(asm, flows, p.Country, drop))
	channels := basisRows(bases)
	if err := writeReport(filepath.Join(stage, "report.html"), m, asm, flows, channels, evidence); err != nil {
		return nil, err
	}
	annexes, err := listFiles(stage)
	if err != nil {
		return nil, err
	}
	if err := flows.writeDraft(filepath.Join(stage, "request"), m, channels); err != nil {
		return nil, err
	}
	in := requestInput{m: m, a: asm, flows: flows, c: req.CaseInfo, ref: x.Ref, bases: bases, drop: drop, annexes: annexes}
	if err := writeRequest(filepath.Join(stage, "request"), buildRequest(in)); err != nil {
		return nil, err
	}
	if m.Files, err = listFiles(stage); err != nil {
		return nil, err
	}
	for _, f := range m.Files {
		if !safePath(f.Path) {
			return nil, fmt.Errorf("%w: unsafe file name %q", ErrBadPackage, f.Path)
		}
	}
	var recipient age.Recipient
	if p.EncryptionKey != "" {
		r, err := age.ParseX25519Recipient(p.EncryptionKey)
		if err != nil {
			return nil, fmt.Errorf("partner %s: encryption_key: %w", p.ID, err)
		}
		recipient, m.EncryptedTo = r, p.EncryptionKey
	}
	x.progress("sealing", len(m.Files))
	tmp, err := os.CreateTemp(outDir, ".counternet-package-")
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return nil, err
	}
	h := sha256.New()
	cw := &countWriter{w: io.MultiWriter(tmp, h)}
	if err := seal(cw, stage, m, x.SigningKey, recipient); err != nil {
		return nil, err
	}
	if err := tmp.Sync(); err != nil {
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	return &Outcome{Manifest: m, File: tmp.Name(), SHA256: hex.EncodeToString(h.Sum(nil)), Size: cw.n}, nil
}

// holdsData says whether the partner's country can hold data the request
// asks for: accounts at services there, consignments on routes into or
// out of it, or contact accounts the package names.
func holdsData(a *assembly, fs *flowSet, country string, drop fieldSet) bool {
	if len(fs.dataHolders()) > 0 {
		return true
	}
	for _, r := range a.routeRows {
		if r.To == country || r.From == country {
			return true
		}
	}
	if !drop.has("vendor_obs.contacts") {
		for _, v := range a.vendors {
			if len(v.Contacts) > 0 {
				return true
			}
		}
	}
	return false
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
