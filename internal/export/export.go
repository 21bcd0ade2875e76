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
	// Evidence includes the WARC records the records rest on.
	Evidence bool
	// Minimize names fields to leave out (table.column or column).
	Minimize []string
	// Who is the investigator making the export.
	Who string
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
// package. A refused request (an invalid selection or --minimize name, an
// unknown partner, a missing purpose, legal basis or investigator, or the
// partner's policy) returns an error wrapping ErrRefused, with the reason;
// every refusal and every export is audited (export_audit and the
// local log) before Export returns. A package whose audit fails is removed:
// nothing leaves unaudited.
func (x *Exporter) Export(ctx context.Context, req Request) (*Outcome, error) {
	if x.SigningKey == nil || x.Ref == nil {
		return nil, errors.New("exporting: the exporter has no signing key or reference data")
	}
	if x.Sender.Agency == "" || x.Sender.Country == "" {
		return nil, errors.New("exporting: the sending agency's name and country are not set")
	}
	if req.Output == "" {
		return nil, errors.New("exporting: no output file")
	}
	if _, err := os.Lstat(req.Output); err == nil {
		return nil, fmt.Errorf("exporting: %s already exists", req.Output)
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
	var refusal error
	switch {
	case selErr != nil:
		refusal = fmt.Errorf("%w: %w", ErrRefused, selErr)
	case dropErr != nil:
		refusal = fmt.Errorf("%w: %w", ErrRefused, dropErr)
	case !ok:
		refusal = fmt.Errorf("%w: no partner %q in the partner directory", ErrRefused, req.Partner)
	case strings.TrimSpace(req.Purpose) == "":
		refusal = fmt.Errorf("%w: no purpose stated", ErrRefused)
	case strings.TrimSpace(req.LegalBasis) == "":
		refusal = fmt.Errorf("%w: no legal basis stated", ErrRefused)
	case strings.TrimSpace(req.Who) == "":
		refusal = fmt.Errorf("%w: who is exporting is not known", ErrRefused)
	default:
		refusal = CheckPolicy(p, req.TLP, drop)
	}
	if refusal != nil {
		a.Outcome, a.Reason = warehouse.OutcomeRefused, strings.TrimPrefix(refusal.Error(), ErrRefused.Error()+": ")
		x.Log.Warn().Str("export", id).Str("partner", req.Partner).Str("tlp", req.TLP).Str("reason", a.Reason).Msg("export refused")
		if err := x.audit(ctx, a); err != nil {
			return nil, errors.Join(fmt.Errorf("exporting: %w", refusal), err)
		}
		return nil, fmt.Errorf("exporting: %w", refusal)
	}
	out, err := x.write(ctx, id, started, req, p, drop)
	if err != nil {
		return nil, fmt.Errorf("exporting %s: %w", id, err)
	}
	a.Counts, a.PackageSHA256, a.PackageFile = out.Manifest.Counts, out.SHA256, filepath.Base(req.Output)
	a.Outcome = warehouse.OutcomeExported
	if err := x.audit(ctx, a); err != nil {
		os.Remove(out.File)
		return nil, fmt.Errorf("exporting %s: package removed: %w", id, err)
	}
	if err := os.Rename(out.File, req.Output); err != nil {
		return nil, fmt.Errorf("exporting %s: audited as exported, but the package is still at %s: %w", id, out.File, err)
	}
	out.File = req.Output
	x.Log.Info().Str("export", id).Str("partner", p.ID).Str("tlp", req.TLP).Str("file", req.Output).
		Str("sha256", out.SHA256).Int64("bytes", out.Size).Interface("counts", out.Manifest.Counts).
		Dur("took", x.now().Sub(started)).Msg("package exported")
	return out, nil
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
		limit := x.MaxEvidenceBytes
		if limit <= 0 {
			limit = DefaultMaxEvidenceBytes
		}
		if m.Evidence, evidence, err = copyEvidence(x.Captures, asm.captures, stage, limit, func(n int) { x.progress("evidence", n) }); err != nil {
			return nil, err
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
	channels := cooperation(x.Ref, x.Sender.Country, p.Country)
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
	if err := writeRequest(filepath.Join(stage, "request"), buildRequest(m, asm, flows, req.CaseInfo, x.Ref, channels, annexes)); err != nil {
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

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
